package logstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/sextant-ml/sextant/artifact"
)

// sum is the state of the test fold: entries {"add": k} add k to total.
type sum struct {
	N     int `json:"n"` // entries folded
	Total int `json:"total"`
}

type addEntry struct {
	Add int `json:"add"`
}

type sumCheckpoint struct {
	Format int `json:"format"`
	N      int `json:"n"`
	Total  int `json:"total"`
}

func sumFold(every int, logger *slog.Logger) Fold[*sum] {
	return Fold[*sum]{
		Empty: func() *sum { return &sum{} },
		Clone: func(s *sum) *sum { c := *s; return &c },
		Apply: func(s *sum, e Entry) error {
			var a addEntry
			if err := json.Unmarshal(e.Data, &a); err != nil {
				return fmt.Errorf("test: %w: entry %d: %v", ErrCorrupt, e.Seq, err)
			}
			s.N++
			s.Total += a.Add
			return nil
		},
		Encode: func(s *sum) ([]byte, error) {
			return json.Marshal(sumCheckpoint{Format: 1, N: s.N, Total: s.Total})
		},
		Decode: func(seq uint64, data []byte) (*sum, error) {
			var c sumCheckpoint
			if err := json.Unmarshal(data, &c); err != nil {
				return nil, fmt.Errorf("test: %w: %v", ErrCorrupt, err)
			}
			if c.Format != 1 {
				return nil, fmt.Errorf("test: %w: checkpoint format %d", ErrUnsupported, c.Format)
			}
			if uint64(c.N) != seq {
				return nil, fmt.Errorf("test: %w: checkpoint %d folds %d entries", ErrCorrupt, seq, c.N)
			}
			return &sum{N: c.N, Total: c.Total}, nil
		},
		Every:  every,
		Logger: logger,
	}
}

// countingStore counts the reads of a store.
type countingStore struct {
	Store
	reads atomic.Int64
}

func (c *countingStore) ReadAll(ctx context.Context, rel string) ([]byte, error) {
	c.reads.Add(1)
	return c.Store.ReadAll(ctx, rel)
}

func testBuckets(t *testing.T) map[string]*artifact.Bucket {
	mem, err := artifact.NewBucket(memblob.OpenBucket(nil), &artifact.BucketOptions{Owned: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mem.Close() })
	file, err := artifact.OpenBucket(t.Context(), "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() })
	return map[string]*artifact.Bucket{"mem": mem, "file": file}
}

func newSum(t *testing.T, s Store, every int, logger *slog.Logger) *Folded[*sum] {
	t.Helper()
	l, err := Open(s, "sums/a")
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFolded(l, sumFold(every, logger))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func add(k int) func(*sum) ([]byte, error) {
	return func(*sum) ([]byte, error) { return json.Marshal(addEntry{Add: k}) }
}

func checkpoints(t *testing.T, b *artifact.Bucket) []string {
	t.Helper()
	var out []string
	err := b.List(t.Context(), "sums/a/checkpoint/", func(rel string, _ *blob.ListObject) error {
		out = append(out, rel[strings.LastIndexByte(rel, '/')+1:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFoldedAppendAndRead(t *testing.T) {
	for name, b := range testBuckets(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			w := newSum(t, b, 3, nil)
			for k := 1; k <= 7; k++ {
				st, e, err := w.Append(ctx, add(k))
				if err != nil {
					t.Fatal(err)
				}
				if e.Seq != uint64(k) || st.N != k || st.Total != k*(k+1)/2 {
					t.Fatalf("append %d: entry %d, state %+v", k, e.Seq, st)
				}
			}
			if diff := cmp.Diff([]string{"00000000000000000003.json", "00000000000000000006.json"}, checkpoints(t, b)); diff != "" {
				t.Errorf("checkpoints (-want +got):\n%s", diff)
			}
			// A new reader starts from checkpoint 6 and reads entry 7 only.
			cs := &countingStore{Store: b}
			r := newSum(t, cs, 3, nil)
			st, err := r.State(ctx, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&sum{N: 7, Total: 28}, st); diff != "" {
				t.Errorf("fresh reader (-want +got):\n%s", diff)
			}
			// 1 checkpoint, entry 7, and the probes past the end.
			if n := cs.reads.Load(); n > 4 {
				t.Errorf("a reader from checkpoint 6 made %d reads", n)
			}
			if _, seq, ok := r.Cached(); !ok || seq != 7 {
				t.Errorf("cached at %d (%v), want 7", seq, ok)
			}
		})
	}
}

// The cache serves reads younger than maxAge without touching the store;
// a zero maxAge always reads the tail.
func TestFoldedMaxAge(t *testing.T) {
	b := testBuckets(t)["mem"]
	ctx := t.Context()
	cs := &countingStore{Store: b}
	r := newSum(t, cs, 0, nil)
	w := newSum(t, b, 0, nil)
	if _, err := r.State(ctx, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Append(ctx, add(5)); err != nil {
		t.Fatal(err)
	}
	before := cs.reads.Load()
	st, err := r.State(ctx, time.Hour)
	if err != nil || st.Total != 0 || cs.reads.Load() != before {
		t.Errorf("young cache: total %d, %d reads, %v; want the cached 0 and no read", st.Total, cs.reads.Load()-before, err)
	}
	if st, err = r.State(ctx, 0); err != nil || st.Total != 5 {
		t.Errorf("maxAge 0: total %d, %v; want 5", st.Total, err)
	}
}

// A bad checkpoint is a cache miss: skipped with a warning, the state is
// folded from the log, and nothing is lost.
func TestFoldedSkipsBadCheckpoint(t *testing.T) {
	tests := []struct {
		name, data string
	}{
		{"does not parse", "{broken"},
		{"fails validation", `{"format":1,"n":99,"total":1}`},
		{"unsupported format", `{"format":2,"n":6,"total":21}`},
		{"empty", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			b := testBuckets(t)["mem"]
			w := newSum(t, b, 3, nil)
			for k := 1; k <= 7; k++ {
				if _, _, err := w.Append(ctx, add(k)); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.WriteAll(ctx, "sums/a/checkpoint/00000000000000000006.json", []byte(tt.data)); err != nil {
				t.Fatal(err)
			}
			var logged bytes.Buffer
			r := newSum(t, b, 3, slog.New(slog.NewTextHandler(&logged, nil)))
			st, err := r.State(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&sum{N: 7, Total: 28}, st); diff != "" {
				t.Errorf("state past a bad checkpoint (-want +got):\n%s", diff)
			}
			if !strings.Contains(logged.String(), "ignoring unreadable checkpoint") || !strings.Contains(logged.String(), "seq=6") {
				t.Errorf("no warning naming the checkpoint: %q", logged.String())
			}
			// At folds from the log too.
			if st, err := newSum(t, b, 3, nil).At(ctx, 6); err != nil || st.Total != 21 {
				t.Errorf("At(6) past a bad checkpoint: %+v, %v", st, err)
			}
			// Appends go on from the full state.
			if st, _, err := r.Append(ctx, add(8)); err != nil || st.Total != 36 {
				t.Errorf("append past a bad checkpoint: %+v, %v", st, err)
			}
		})
	}
}

// A reader with an empty cache that folds at least Every entries leaves a
// checkpoint at the end for the next one.
func TestFoldedColdReaderWritesCheckpoint(t *testing.T) {
	ctx := t.Context()
	b := testBuckets(t)["mem"]
	w := newSum(t, b, -1, nil) // checkpoints disabled
	for k := 1; k <= 10; k++ {
		if _, _, err := w.Append(ctx, add(k)); err != nil {
			t.Fatal(err)
		}
	}
	if got := checkpoints(t, b); len(got) != 0 {
		t.Fatalf("checkpoints written with Every < 0: %v", got)
	}
	short := newSum(t, b, 11, nil)
	if _, err := short.State(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if got := checkpoints(t, b); len(got) != 0 {
		t.Fatalf("a fold shorter than Every left checkpoints %v", got)
	}
	long := newSum(t, b, 4, nil)
	if st, err := long.State(ctx, 0); err != nil || st.Total != 55 {
		t.Fatalf("cold read: %+v, %v", st, err)
	}
	if diff := cmp.Diff([]string{"00000000000000000010.json"}, checkpoints(t, b)); diff != "" {
		t.Errorf("checkpoints (-want +got):\n%s", diff)
	}
}

// Append folds the entries its cache lacks before build runs, and build
// sees them; an error of build aborts and keeps what was folded.
func TestFoldedAppendFoldsWhatItMissed(t *testing.T) {
	ctx := t.Context()
	b := testBuckets(t)["mem"]
	a, c := newSum(t, b, 0, nil), newSum(t, b, 0, nil)
	if _, _, err := a.Append(ctx, add(1)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Append(ctx, add(2)); err != nil { // c read a's entry
		t.Fatal(err)
	}
	if _, _, err := c.Append(ctx, add(3)); err != nil {
		t.Fatal(err)
	}
	var seen []int
	st, e, err := a.Append(ctx, func(s *sum) ([]byte, error) {
		seen = append(seen, s.Total)
		return json.Marshal(addEntry{Add: 10})
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{6}, seen); diff != "" {
		t.Errorf("totals build saw (-want +got):\n%s", diff)
	}
	if e.Seq != 4 || st.Total != 16 {
		t.Errorf("entry %d, total %d; want 4, 16", e.Seq, st.Total)
	}
	// A refused change writes nothing and keeps the folded entries.
	if _, _, err := c.Append(ctx, add(1)); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("refused")
	if _, _, err := a.Append(ctx, func(*sum) ([]byte, error) { return nil, refused }); !errors.Is(err, refused) {
		t.Fatalf("build error: %v", err)
	}
	if st, seq, _ := a.Cached(); seq != 5 || st.Total != 17 {
		t.Errorf("after a refused append the cache is at %d with %d; want 5, 17", seq, st.Total)
	}
	// A corrupt entry stops the fold and is not cached past.
	if err := b.CreateOnly(ctx, "sums/a/log/00000000000000000006.json", []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Append(ctx, add(1)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("append after a corrupt entry: %v, want ErrCorrupt", err)
	}
	if _, seq, _ := a.Cached(); seq != 5 {
		t.Errorf("cache at %d after a corrupt entry, want 5", seq)
	}
	if _, err := newSum(t, b, 0, nil).State(ctx, 0); !errors.Is(err, ErrCorrupt) {
		t.Errorf("read of a corrupt entry: %v, want ErrCorrupt", err)
	}
}

// Many writers, each with its own Folded as separate processes would have,
// lose no entry and every state handed out is consistent.
func TestFoldedConcurrentAppends(t *testing.T) {
	for name, b := range testBuckets(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			const writers, each = 4, 12
			var wg sync.WaitGroup
			errs := make(chan error, writers*each)
			for range writers {
				f := newSum(t, b, 5, nil)
				wg.Go(func() {
					for range each {
						wg.Go(func() {
							st, e, err := f.Append(ctx, add(1))
							if err == nil && (st.N != int(e.Seq) || st.Total != st.N) {
								err = fmt.Errorf("entry %d gave state %+v", e.Seq, st)
							}
							if err != nil {
								errs <- err
							}
						})
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			st, err := newSum(t, b, 5, nil).State(ctx, 0)
			if err != nil || st.Total != writers*each {
				t.Errorf("final state %+v, %v; want %d", st, err, writers*each)
			}
		})
	}
}

func TestFoldedAt(t *testing.T) {
	ctx := t.Context()
	b := testBuckets(t)["mem"]
	w := newSum(t, b, 3, nil)
	for k := 1; k <= 7; k++ {
		if _, _, err := w.Append(ctx, add(k)); err != nil {
			t.Fatal(err)
		}
	}
	r := newSum(t, b, 3, nil)
	for _, tt := range []struct {
		seq  uint64
		want int
	}{{0, 0}, {2, 3}, {3, 6}, {5, 15}, {7, 28}, {100, 28}} {
		t.Run(fmt.Sprint(tt.seq), func(t *testing.T) {
			st, err := r.At(ctx, tt.seq)
			if err != nil || st.Total != tt.want {
				t.Errorf("At(%d) = %+v, %v; want total %d", tt.seq, st, err, tt.want)
			}
		})
	}
}

// Only a newer snapshot replaces the cached one.
func TestFoldedPublishKeepsNewest(t *testing.T) {
	f := newSum(t, testBuckets(t)["mem"], 0, nil)
	t0 := time.Now()
	f.publish(&sum{N: 5}, 5, t0)
	f.publish(&sum{N: 4}, 4, t0.Add(time.Second))
	f.publish(&sum{N: 99}, 5, t0.Add(-time.Second))
	if st, seq, _ := f.Cached(); seq != 5 || st.N != 5 {
		t.Errorf("cached %+v at %d, want the first snapshot at 5", st, seq)
	}
	f.publish(&sum{N: 5, Total: 1}, 5, t0.Add(time.Second))
	if st, _, _ := f.Cached(); st.Total != 1 {
		t.Errorf("a later look at the same entry did not replace the snapshot")
	}
}

// Losing the checkpoint race to another writer is not worth a warning.
func TestFoldedCheckpointRaceIsQuiet(t *testing.T) {
	ctx := t.Context()
	b := testBuckets(t)["mem"]
	if err := b.CreateOnly(ctx, "sums/a/checkpoint/00000000000000000002.json", []byte(`{"format":1,"n":2,"total":3}`)); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	w := newSum(t, b, 2, slog.New(slog.NewTextHandler(&logged, nil)))
	for k := 1; k <= 2; k++ {
		if _, _, err := w.Append(ctx, add(k)); err != nil {
			t.Fatal(err)
		}
	}
	if logged.Len() != 0 {
		t.Errorf("warned about a checkpoint another writer wrote: %q", logged.String())
	}
}

func TestNewFoldedNeedsFunctions(t *testing.T) {
	l, err := Open(testBuckets(t)["mem"], "x")
	if err != nil {
		t.Fatal(err)
	}
	full := sumFold(0, nil)
	for name, f := range map[string]Fold[*sum]{
		"no empty": {Clone: full.Clone, Apply: full.Apply},
		"no clone": {Empty: full.Empty, Apply: full.Apply},
		"no apply": {Empty: full.Empty, Clone: full.Clone},
	} {
		if _, err := NewFolded(l, f); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewFolded[*sum](nil, full); err == nil {
		t.Error("nil log accepted")
	}
}
