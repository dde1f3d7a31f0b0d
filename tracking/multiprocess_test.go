package tracking_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/proctest"
	"github.com/sextant-ml/sextant/tracking"
)

const (
	envURL    = "SEXTANT_TRACKING_RACE_URL"
	envExp    = "SEXTANT_TRACKING_RACE_EXP"
	envShared = "SEXTANT_TRACKING_RACE_RUN"
	processes = 4
	workers   = 4
	steps     = 60
	perBatch  = 12
)

func TestMain(m *testing.M) {
	if i, ok := proctest.Child("log"); ok {
		proctest.Exit(logAsChild(i))
	}
	os.Exit(m.Run())
}

func openTracker(ctx context.Context, url string) (*tracking.Tracker, *artifact.Store, error) {
	s, err := artifact.Open(ctx, url, nil)
	if err != nil {
		return nil, nil, err
	}
	tr, err := tracking.Open(ctx, s, &tracking.Options{CheckpointEvery: 8})
	return tr, s, err
}

// logAsChild is one process of TestMultiProcess: workers goroutines that
// each create a run of their own in the experiment and log a series of
// their own to the shared run, in batches.
func logAsChild(proc int) error {
	ctx := context.Background()
	tr, s, err := openTracker(ctx, os.Getenv(envURL))
	if err != nil {
		return err
	}
	defer s.Close()
	exp, shared := os.Getenv(envExp), os.Getenv(envShared)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	var mu sync.Mutex
	for w := range workers {
		wg.Go(func() {
			errs[w] = func() error {
				owner := fmt.Sprintf("p%dw%d", proc, w)
				run, err := tr.CreateRun(ctx, exp, &tracking.RunOptions{Name: owner})
				if err != nil {
					return err
				}
				mu.Lock()
				fmt.Println("RUN", run.Info.ID, owner)
				mu.Unlock()
				if err := tr.LogParam(ctx, run.Info.ID, "owner", owner); err != nil {
					return err
				}
				for start := 0; start < steps; start += perBatch {
					var b tracking.Batch
					for st := start; st < start+perBatch; st++ {
						b.Metrics = append(b.Metrics, tracking.Metric{Key: owner, Value: float64(st) / 10, Timestamp: int64(st), Step: int64(st)})
					}
					// Every writer logs the same param value: allowed, not a conflict.
					b.Params = []tracking.Param{{"dataset", "v1"}}
					if err := tr.LogBatch(ctx, shared, &b); err != nil {
						return err
					}
				}
				return nil
			}()
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestMultiProcess: 4 processes × 4 goroutines log to one experiment on a
// file:// bucket at once. Every run each created is listed once, and every
// point each logged to the shared run is in its series exactly once, in
// order.
func TestMultiProcess(t *testing.T) {
	ctx := context.Background()
	url := "file://" + filepath.ToSlash(t.TempDir())
	tr, s, err := openTracker(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	exp := must[string](t)(tr.CreateExperiment(ctx, "race", nil))
	shared := must[*tracking.Run](t)(tr.CreateRun(ctx, exp, &tracking.RunOptions{Name: "shared"})).Info.ID
	outs := proctest.Run(t, "log", processes, map[string]string{envURL: url, envExp: exp, envShared: shared})

	created := map[string]string{}
	for _, out := range outs {
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "RUN" {
				created[f[1]] = f[2]
			}
		}
	}
	if len(created) != processes*workers {
		t.Fatalf("%d runs reported, want %d", len(created), processes*workers)
	}
	cold, s2, err := openTracker(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	page := must[*tracking.RunPage](t)(cold.SearchRuns(ctx, &tracking.RunSearch{ExperimentIDs: []string{exp}, Filter: "attributes.run_name != 'shared'"}))
	found := map[string]string{}
	for _, r := range page.Runs {
		if _, dup := found[r.Info.ID]; dup {
			t.Fatalf("run %s listed twice", r.Info.ID)
		}
		found[r.Info.ID] = r.Params["owner"]
	}
	for id, owner := range created {
		if found[id] != owner {
			t.Errorf("run %s of %s: found with owner %q", id, owner, found[id])
		}
	}
	run := must[*tracking.Run](t)(cold.GetRun(ctx, shared))
	if len(run.Metrics) != processes*workers || run.Params["dataset"] != "v1" {
		t.Fatalf("shared run has %d series, params %v", len(run.Metrics), run.Params)
	}
	for _, owner := range created {
		hist := must[[]tracking.Metric](t)(cold.MetricHistory(ctx, shared, owner))
		var got []int64
		for _, m := range hist {
			got = append(got, m.Step)
		}
		want := make([]int64, steps)
		for i := range want {
			want[i] = int64(i)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("series %s has steps %v, want 0..%d once each", owner, got, steps-1)
		}
		if last := run.Metrics[owner]; last.Step != steps-1 {
			t.Fatalf("latest %s is %+v", owner, last)
		}
	}
}
