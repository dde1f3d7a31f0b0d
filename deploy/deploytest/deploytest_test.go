package deploytest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/deploytest"
	"github.com/sextant-ml/sextant/deploy/rollout"
)

func TestFakeConformance(t *testing.T) {
	deploytest.RunConformance(t, func(t *testing.T) deploy.Predictor[string, int] {
		return deploytest.NewFake[string](7).SetLatency(time.Millisecond, time.Millisecond)
	}, "x")
}

func TestFuncConformance(t *testing.T) {
	deploytest.RunConformance(t, func(t *testing.T) deploy.Predictor[[]float64, float64] {
		return deploy.PredictorFunc[[]float64, float64](func(_ context.Context, xs []float64) (float64, error) {
			s := 0.0
			for _, x := range xs {
				s += x
			}
			return s, nil
		})
	}, []float64{1, 2})
}

func TestStoreConformance(t *testing.T) {
	t.Run("mem", func(t *testing.T) {
		deploytest.RunStoreConformance(t, func(t *testing.T) rollout.Store { return deploytest.NewStore(t) })
	})
	t.Run("file", func(t *testing.T) {
		deploytest.RunStoreConformance(t, func(t *testing.T) rollout.Store {
			b, err := artifact.OpenBucket(context.Background(), "file://"+t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			s, err := rollout.NewBlobStore(b, "a", nil)
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
}

func TestBlobStoreCorrupt(t *testing.T) {
	dir := t.TempDir()
	b, err := artifact.OpenBucket(context.Background(), "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	entry := filepath.Join(dir, "deployments", "state", "log", "00000000000000000001.json")
	if err := os.MkdirAll(filepath.Dir(entry), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(entry, []byte(`{"phase": 3`), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _ := rollout.NewBlobStore(b, "state", nil)
	if _, err := s.Load(context.Background()); !errors.Is(err, rollout.ErrInvalid) || !errors.Is(err, rollout.ErrCorrupt) {
		t.Errorf("Load of a truncated state: %v, want ErrInvalid and ErrCorrupt", err)
	}
	if _, err := rollout.NewBlobStore(nil, "k", nil); !errors.Is(err, rollout.ErrInvalid) {
		t.Errorf("NewBlobStore(nil): %v", err)
	}
}

func TestFake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := deploytest.NewFake[int]("a").SetLatency(time.Second, 0).SetErrorRate(0.25)
		start := time.Now()
		errs := 0
		for range 100 {
			out, err := f.Predict(context.Background(), 0)
			switch {
			case errors.Is(err, deploytest.ErrInjected):
				errs++
			case err != nil || out != "a":
				t.Fatalf("Predict = %q, %v", out, err)
			}
		}
		if errs != 25 || f.Errors() != 25 || f.Calls() != 100 {
			t.Errorf("%d errors (%d counted) in %d calls, want 25 in 100", errs, f.Errors(), f.Calls())
		}
		if d := time.Since(start); d != 100*time.Second {
			t.Errorf("100 calls took %s, want 100s", d)
		}
		f.SetOutput("b").SetErrorRate(0).SetLatency(0, 0)
		f.Hold()
		done := make(chan string)
		go func() {
			out, _ := f.Predict(context.Background(), 0)
			done <- out
		}()
		synctest.Wait()
		select {
		case <-done:
			t.Fatal("a held call returned")
		default:
		}
		f.Release()
		if out := <-done; out != "b" {
			t.Errorf("released call answered %q", out)
		}
		ctx, cancel := context.WithCancel(context.Background())
		f.Hold()
		cancel()
		if _, err := f.Predict(ctx, 0); !errors.Is(err, context.Canceled) {
			t.Errorf("held call with a cancelled context: %v", err)
		}
		f.Release()
	})
}

func TestNewRig(t *testing.T) {
	rig := deploytest.NewRig[int](t, "m", map[string]string{"v1": "one", "v2": "two"})
	if err := rig.Router.SetCanary("v1", "v2", 100); err != nil {
		t.Fatal(err)
	}
	out, served, err := rig.Router.Serve(context.Background(), deploy.Request{}, 0)
	if out != "two" || served != "v2" || err != nil || rig.Fakes["v2"].Calls() != 1 {
		t.Errorf("Predict = %q from %q, %v", out, served, err)
	}
	o := rig.Metrics.Range("m", "v2", time.Now().Add(-time.Minute), time.Now().Add(time.Second))
	if o.Requests != 1 {
		t.Errorf("window saw %d requests", o.Requests)
	}
	// Direct calls stay out of the window.
	if _, err := rig.Router.PredictVersion(context.Background(), "v2", 0); err != nil {
		t.Fatal(err)
	}
	if o := rig.Metrics.Window("m", "v2"); o.Requests != 1 {
		t.Errorf("window saw %d requests after a direct call, want 1", o.Requests)
	}
}

func TestNew(t *testing.T) {
	r := deploytest.New[string](t, map[string]int{"a": 1, "b": 2})
	if err := r.Switch("b"); err != nil {
		t.Fatal(err)
	}
	if out, err := r.Predict(context.Background(), "x"); out != 2 || err != nil {
		t.Errorf("Predict = %d, %v; want 2 from b", out, err)
	}
	if diff := cmp.Diff([]string{"a", "b"}, r.Versions()); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
}

func TestZeroFake(t *testing.T) {
	var f deploytest.Fake[string, int]
	if out, err := f.Predict(context.Background(), "x"); out != 0 || err != nil || f.Calls() != 1 || f.Errors() != 0 {
		t.Errorf("zero Fake: %d, %v, %d calls", out, err, f.Calls())
	}
	f.Hold()
	f.Release()
	if _, err := f.Predict(context.Background(), "x"); err != nil {
		t.Error(err)
	}
}
