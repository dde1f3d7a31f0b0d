package artifacttest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/logstore"
	"github.com/sextant-ml/sextant/internal/proctest"
	"gocloud.dev/blob"
)

// BucketTarget is a store under test for RunBucketConformance.
type BucketTarget struct {
	// Open returns a fresh, empty bucket (or an empty prefix of one).
	// Nil: NewBucket, so the zero BucketTarget checks mem://.
	Open func(t testing.TB) *artifact.Bucket
	// URL, when set, is an artifact.OpenBucket URL of a fresh, empty
	// bucket that child processes open to race on one log; the test
	// binary's TestMain must call ConformanceMain. Environment the
	// children need (credentials) is inherited.
	URL string
}

// Sizes of the cross-process race: processes × goroutines × appends.
const (
	raceProcs      = 4
	raceGoroutines = 8
	raceAppends    = 4
)

// conformanceRole names the child processes of the cross-process race.
const conformanceRole = "artifacttest-append"

// envURL passes the bucket URL to the children.
const envURL = "SEXTANT_CONFORMANCE_URL"

// ConformanceMain runs this process's part in RunBucketConformance's
// cross-process race when it is one of its child processes, and exits;
// otherwise it returns at once. Call it first in TestMain:
//
//	func TestMain(m *testing.M) {
//		artifacttest.ConformanceMain()
//		os.Exit(m.Run())
//	}
func ConformanceMain() {
	i, ok := proctest.Child(conformanceRole)
	if !ok {
		return
	}
	proctest.Exit(raceChild(os.Getenv(envURL), i))
}

func raceChild(url string, proc int) error {
	ctx := context.Background()
	b, err := artifact.OpenBucket(ctx, url)
	if err != nil {
		return err
	}
	defer b.Close()
	l, err := logstore.Open(b, "conformance/race")
	if err != nil {
		return err
	}
	errs := make(chan error, raceGoroutines)
	var wg sync.WaitGroup
	for g := range raceGoroutines {
		wg.Go(func() {
			for i := range raceAppends {
				if _, err := appendPayload(ctx, l, fmt.Sprintf("p%d-g%d-%d", proc, g, i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func appendPayload(ctx context.Context, l *logstore.Log, p string) (logstore.Entry, error) {
	return l.Append(ctx, 0, func([]logstore.Entry) ([]byte, error) {
		return []byte(`{"p":` + strconv.Quote(p) + `}`), nil
	})
}

// payloads returns the payloads of a log in order, failing t on a gap.
func payloads(t testing.TB, l *logstore.Log) []string {
	t.Helper()
	all, err := l.Read(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, e := range all {
		if e.Seq != uint64(i+1) {
			t.Fatalf("entry %d has sequence number %d", i+1, e.Seq)
		}
		var p struct{ P string }
		if err := json.Unmarshal(e.Data, &p); err != nil {
			t.Fatalf("entry %d: %v", e.Seq, err)
		}
		out = append(out, p.P)
	}
	return out
}

// lostReplies is a log store whose creates commit and then report an
// error whose outcome is unknown, as a dropped reply does.
type lostReplies struct {
	*artifact.Bucket
	left atomic.Int64 // replies still to lose
}

var errLostReply = errors.New("artifacttest: reply lost after the create committed")

func (s *lostReplies) CreateOnly(ctx context.Context, rel string, data []byte) error {
	err := s.Bucket.CreateOnly(ctx, rel, data)
	if err == nil && s.left.Add(-1) >= 0 {
		return errLostReply
	}
	return err
}

// RunBucketConformance checks that a bucket keeps the promises Sextant's
// logs rest on, in the manner of gocloud's drivertest: keys are
// validated before any call reaches the store; an object listed is one
// written (list after write, in key order); a create-only write fails
// with artifact.ErrExist on a taken key and leaves it alone, and of many
// racing creates of one key exactly one wins, among goroutines and, with
// a URL, among processes; the store honours create-only writes (the
// probe finds no ErrNotCreateOnly); and appends to a log are exactly
// once under lost replies.
func RunBucketConformance(t *testing.T, target BucketTarget) {
	ctx := context.Background()
	if target.Open == nil {
		target.Open = NewBucket
	}
	t.Run("key validation", func(t *testing.T) {
		b := target.Open(t)
		for _, key := range []string{"", "/abs", "a/../b", "a//b", `a\b`, "a\x00b", "%2e%2e/x", "c:/x", "a/./b"} {
			if err := b.CreateOnly(ctx, key, []byte("x")); !errors.Is(err, artifact.ErrInvalidKey) {
				t.Errorf("CreateOnly(%q) = %v, want ErrInvalidKey", key, err)
			}
			if _, err := b.ReadAll(ctx, key); !errors.Is(err, artifact.ErrInvalidKey) {
				t.Errorf("ReadAll(%q) = %v, want ErrInvalidKey", key, err)
			}
			if err := b.WriteAll(ctx, key, []byte("x")); !errors.Is(err, artifact.ErrInvalidKey) {
				t.Errorf("WriteAll(%q) = %v, want ErrInvalidKey", key, err)
			}
		}
	})
	t.Run("list after write", func(t *testing.T) {
		b := target.Open(t)
		var want []string
		for i := range 25 {
			key := fmt.Sprintf("d/%03d", i)
			want = append(want, key)
			if err := b.WriteAll(ctx, key, []byte(key)); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.WriteAll(ctx, "other/x", nil); err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := b.List(ctx, "d/", func(rel string, _ *blob.ListObject) error {
			got = append(got, rel)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("List(d/) = %v, want %v", got, want)
		}
		if data, err := b.ReadAll(ctx, "d/007"); err != nil || string(data) != "d/007" {
			t.Errorf("ReadAll(d/007) = %q, %v", data, err)
		}
		if _, err := b.ReadAll(ctx, "d/999"); !errors.Is(err, artifact.ErrNotFound) {
			t.Errorf("ReadAll of a missing key = %v, want ErrNotFound", err)
		}
	})
	t.Run("create-only", func(t *testing.T) {
		b := target.Open(t)
		if err := b.CreateOnly(ctx, "c/one", []byte("first")); err != nil {
			t.Fatal(err)
		}
		if err := b.CreateOnly(ctx, "c/one", []byte("second")); !errors.Is(err, artifact.ErrExist) {
			t.Fatalf("second create = %v, want ErrExist (a store that ignores If-None-Match reports ErrNotCreateOnly)", err)
		}
		if data, err := b.ReadAll(ctx, "c/one"); err != nil || string(data) != "first" {
			t.Fatalf("after a refused create the object holds %q, %v; want first", data, err)
		}
		var wins atomic.Int64
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				err := b.CreateOnly(ctx, "c/race", []byte(strconv.Itoa(i)))
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, artifact.ErrExist):
					t.Errorf("racing create: %v", err)
				}
			})
		}
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("%d of 16 racing creates of one key won, want exactly 1", n)
		}
	})
	t.Run("appends exactly once under lost replies", func(t *testing.T) {
		s := &lostReplies{Bucket: target.Open(t)}
		l, err := logstore.Open(s, "conformance/lost")
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for i := range 12 {
			if i%2 == 0 {
				s.left.Store(1) // lose the reply of every other append
			}
			p := strconv.Itoa(i)
			want = append(want, p)
			if _, err := appendPayload(ctx, l, p); err != nil {
				t.Fatalf("append %d: %v", i, err)
			}
		}
		if got := payloads(t, l); !slices.Equal(got, want) {
			t.Fatalf("log holds %v, want each append once: %v", got, want)
		}
	})
	t.Run("log race among goroutines", func(t *testing.T) {
		l, err := logstore.Open(target.Open(t), "conformance/goroutines")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var want []string
		for g := range raceGoroutines {
			for i := range raceAppends {
				want = append(want, fmt.Sprintf("g%d-%d", g, i))
			}
			wg.Go(func() {
				for i := range raceAppends {
					if _, err := appendPayload(ctx, l, fmt.Sprintf("g%d-%d", g, i)); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		got := payloads(t, l)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("log holds %v, want %v", got, want)
		}
	})
	if target.URL == "" {
		return
	}
	t.Run("log race among processes", func(t *testing.T) {
		proctest.Run(t, conformanceRole, raceProcs, map[string]string{envURL: target.URL})
		b, err := artifact.OpenBucket(ctx, target.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		l, err := logstore.Open(b, "conformance/race")
		if err != nil {
			t.Fatal(err)
		}
		got := payloads(t, l)
		var want []string
		for p := range raceProcs {
			for g := range raceGoroutines {
				for i := range raceAppends {
					want = append(want, fmt.Sprintf("p%d-g%d-%d", p, g, i))
				}
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%d processes × %d goroutines: log holds %d entries, want %d, each once:\n got %v\nwant %v",
				raceProcs, raceGoroutines, len(got), len(want), got, want)
		}
	})
}
