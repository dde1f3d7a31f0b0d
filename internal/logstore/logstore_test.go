package logstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/artifact/artifacttest"
	"github.com/sextant-ml/sextant/internal/logstore"
	"github.com/sextant-ml/sextant/internal/proctest"
	"github.com/sextant-ml/sextant/internal/s3test"
	"gocloud.dev/blob/memblob"
)

// backends returns a fresh bucket per backend: memblob, a local directory
// (link-based create) and S3 through the AWS SDK against gofakes3.
func backends(t *testing.T) map[string]func(t *testing.T) *artifact.Bucket {
	return map[string]func(t *testing.T) *artifact.Bucket{
		"mem": func(t *testing.T) *artifact.Bucket {
			b, err := artifact.NewBucket(memblob.OpenBucket(nil), &artifact.BucketOptions{Owned: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		},
		"file": func(t *testing.T) *artifact.Bucket {
			b, err := artifact.OpenBucket(context.Background(), "file://"+t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		},
		"s3": func(t *testing.T) *artifact.Bucket {
			srv := s3test.New(t)
			b, err := artifact.NewBucket(srv.Bucket(t, "logs"), &artifact.BucketOptions{Prefix: "team"})
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	}
}

// appendData appends an entry carrying data; payload reads it back.
func appendData(ctx context.Context, l *logstore.Log, data string) (logstore.Entry, error) {
	return l.Append(ctx, 0, func([]logstore.Entry) ([]byte, error) { return json.Marshal(map[string]string{"p": data}) })
}

func payload(t testing.TB, data []byte) string {
	t.Helper()
	var e struct{ P string }
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("entry %s: %v", data, err)
	}
	return e.P
}

func TestLog(t *testing.T) {
	ctx := context.Background()
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Run("append and read in order", func(t *testing.T) {
				l, err := logstore.Open(open(t), "registry/models/m")
				if err != nil {
					t.Fatal(err)
				}
				if head, err := l.Head(ctx); err != nil || head != 0 {
					t.Fatalf("Head of empty log = %d, %v; want 0, nil", head, err)
				}
				for i := 1; i <= 20; i++ {
					e, err := appendData(ctx, l, fmt.Sprint(i))
					if err != nil {
						t.Fatal(err)
					}
					if e.Seq != uint64(i) {
						t.Fatalf("entry %d got seq %d", i, e.Seq)
					}
				}
				all, err := l.Read(ctx, 0)
				if err != nil {
					t.Fatal(err)
				}
				if len(all) != 20 {
					t.Fatalf("Read(0) returned %d entries, want 20", len(all))
				}
				for i, e := range all {
					if want := fmt.Sprint(i + 1); e.Seq != uint64(i+1) || payload(t, e.Data) != want {
						t.Fatalf("entry %d = %d %s, want %d %s", i, e.Seq, e.Data, i+1, want)
					}
				}
				tail, err := l.Read(ctx, 17)
				if err != nil || len(tail) != 3 || tail[0].Seq != 18 {
					t.Fatalf("Read(17) = %v, %v; want entries 18..20", tail, err)
				}
			})
			t.Run("prepare sees what it missed", func(t *testing.T) {
				l, _ := logstore.Open(open(t), "datasets/d")
				for range 3 {
					if _, err := appendData(ctx, l, "x"); err != nil {
						t.Fatal(err)
					}
				}
				var seen []uint64
				e, err := l.Append(ctx, 1, func(newer []logstore.Entry) ([]byte, error) {
					for _, n := range newer {
						seen = append(seen, n.Seq)
					}
					return []byte(`{"p":"y"}`), nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if e.Seq != 4 || fmt.Sprint(seen) != "[2 3]" {
					t.Fatalf("Append after 1 wrote seq %d having seen %v; want 4 having seen [2 3]", e.Seq, seen)
				}
			})
			t.Run("prepare error aborts", func(t *testing.T) {
				l, _ := logstore.Open(open(t), "d")
				boom := errors.New("invalid change")
				if _, err := l.Append(ctx, 0, func([]logstore.Entry) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
					t.Fatalf("Append = %v, want %v", err, boom)
				}
				if head, _ := l.Head(ctx); head != 0 {
					t.Fatalf("aborted append left head at %d", head)
				}
			})
			t.Run("checkpoints", func(t *testing.T) {
				l, _ := logstore.Open(open(t), "m")
				if _, _, err := l.LatestCheckpoint(ctx); !errors.Is(err, logstore.ErrNoCheckpoint) {
					t.Fatalf("LatestCheckpoint on new log = %v, want ErrNoCheckpoint", err)
				}
				for range 25 {
					if _, err := appendData(ctx, l, "e"); err != nil {
						t.Fatal(err)
					}
				}
				for _, seq := range []uint64{10, 20} {
					if err := l.WriteCheckpoint(ctx, seq, []byte("state@"+strconv.FormatUint(seq, 10))); err != nil {
						t.Fatal(err)
					}
				}
				if err := l.WriteCheckpoint(ctx, 20, []byte("again")); !errors.Is(err, artifact.ErrExist) {
					t.Fatalf("second checkpoint at 20 = %v, want ErrExist", err)
				}
				seq, data, err := l.LatestCheckpoint(ctx)
				if err != nil || seq != 20 || string(data) != "state@20" {
					t.Fatalf("LatestCheckpoint = %d %q %v, want 20 state@20", seq, data, err)
				}
				if head, err := l.Head(ctx); err != nil || head != 25 {
					t.Fatalf("Head = %d, %v; want 25", head, err)
				}
			})
			t.Run("concurrent appends get distinct numbers", func(t *testing.T) {
				l, _ := logstore.Open(open(t), "race")
				const writers, each = 8, 6
				var wg sync.WaitGroup
				errs := make(chan error, writers*each)
				for w := range writers {
					wg.Go(func() {
						for i := range each {
							if _, err := appendData(ctx, l, fmt.Sprintf("w%d-%d", w, i)); err != nil {
								errs <- err
							}
						}
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Fatal(err)
				}
				checkComplete(t, l, writers*each)
			})
		})
	}
}

// checkComplete asserts the log holds want entries numbered 1..want with
// pairwise distinct payloads: nothing lost, nothing overwritten.
func checkComplete(t *testing.T, l *logstore.Log, want int) {
	t.Helper()
	all, err := l.Read(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != want {
		t.Fatalf("log has %d entries, want %d", len(all), want)
	}
	seen := map[string]bool{}
	for i, e := range all {
		if e.Seq != uint64(i+1) {
			t.Fatalf("entry %d has seq %d", i, e.Seq)
		}
		if seen[payload(t, e.Data)] {
			t.Fatalf("payload %q written twice", e.Data)
		}
		seen[payload(t, e.Data)] = true
	}
}

func TestOpenRejectsBadDir(t *testing.T) {
	b, _ := artifact.NewBucket(memblob.OpenBucket(nil), nil)
	for _, dir := range []string{"", "../up", "a/../b", `a\b`, "a/%2e%2e"} {
		if _, err := logstore.Open(b, dir); !errors.Is(err, artifact.ErrInvalidKey) {
			t.Errorf("Open(%q) = %v, want ErrInvalidKey", dir, err)
		}
	}
}

// The multi-process test re-executes the test binary: each child appends
// its share to the log named by the environment and exits.
const envChildURL = "SEXTANT_LOGSTORE_CHILD_URL"

const procs, goroutinesPerProc, appendsPerGoroutine = 4, 8, 2

func TestMain(m *testing.M) {
	artifacttest.ConformanceMain()
	if id, ok := proctest.Child("append"); ok {
		proctest.Exit(child(os.Getenv(envChildURL), id))
	}
	os.Exit(m.Run())
}

func child(url string, id int) error {
	ctx := context.Background()
	b, err := artifact.OpenBucket(ctx, url)
	if err != nil {
		return err
	}
	defer b.Close()
	l, err := logstore.Open(b, "multi")
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutinesPerProc*appendsPerGoroutine)
	for g := range goroutinesPerProc {
		wg.Go(func() {
			for i := range appendsPerGoroutine {
				if _, err := appendData(ctx, l, fmt.Sprintf("p%d-g%d-%d", id, g, i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func TestMultiProcessAppend(t *testing.T) {
	urls := map[string]string{"file": "file://" + t.TempDir()}
	srv := s3test.New(t)
	srv.Bucket(t, "multi") // create it
	s3test.SetEnv(t)
	urls["s3"] = srv.URL("multi")
	for name, url := range urls {
		t.Run(name, func(t *testing.T) {
			proctest.Run(t, "append", procs, map[string]string{envChildURL: url})
			b, err := artifact.OpenBucket(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			l, _ := logstore.Open(b, "multi")
			checkComplete(t, l, procs*goroutinesPerProc*appendsPerGoroutine)
			all, _ := l.Read(context.Background(), 0)
			var got []string
			for _, e := range all {
				got = append(got, payload(t, e.Data))
			}
			sort.Strings(got)
			var want []string
			for p := range procs {
				for g := range goroutinesPerProc {
					for i := range appendsPerGoroutine {
						want = append(want, fmt.Sprintf("p%d-g%d-%d", p, g, i))
					}
				}
			}
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("payloads differ:\n got %v\nwant %v", got, want)
			}
		})
	}
}
