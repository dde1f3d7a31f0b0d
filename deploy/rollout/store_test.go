package rollout_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob/memblob"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/deploy/rollout"
)

func memBucket(t testing.TB) *artifact.Bucket {
	t.Helper()
	b, err := artifact.NewBucket(memblob.OpenBucket(nil), &artifact.BucketOptions{Owned: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func FuzzStoreLoad(f *testing.F) {
	f.Add([]byte(`{"model":"m","stable":"a","canary":"b","phase":"paused","step":2,"weight":25,"stepStarted":"2026-01-02T03:04:05Z","analysis":{"measurements":1,"last":"2026-01-02T03:05:05Z"},"reason":"x","revision":4,"updated":"2026-01-02T03:05:06Z"}`))
	f.Add([]byte(`{"phase": 3}`))
	f.Add([]byte(`{"stepStarted":"yesterday"}`))
	f.Add([]byte(`null`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx := context.Background()
		bucket := memBucket(t)
		// The state as a Save would have written it, and the bytes alone.
		entry := append(append([]byte(`{"op":"x","v":1,"state":`), b...), '}')
		if err := bucket.CreateOnly(ctx, "deployments/s/log/00000000000000000001.json", entry); err != nil {
			t.Fatal(err)
		}
		if err := bucket.CreateOnly(ctx, "deployments/raw/log/00000000000000000001.json", b); err != nil {
			t.Fatal(err)
		}
		raw, _ := rollout.NewBlobStore(bucket, "raw", nil)
		if _, err := raw.Load(ctx); err != nil && !errors.Is(err, rollout.ErrInvalid) {
			t.Fatalf("Load error %v does not match ErrInvalid", err)
		}
		s, _ := rollout.NewBlobStore(bucket, "s", nil)
		st, err := s.Load(ctx)
		if err != nil {
			if !errors.Is(err, rollout.ErrInvalid) {
				t.Fatalf("Load error %v does not match ErrInvalid", err)
			}
			return
		}
		again, _ := rollout.NewBlobStore(bucket, "again", nil)
		if err := again.Save(ctx, st); err != nil {
			return // a time outside what JSON can hold, for instance
		}
		back, err := again.Load(ctx)
		if err != nil {
			t.Fatalf("reloading a saved state: %v", err)
		}
		if diff := cmp.Diff(st, back); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// Every Save is kept: Load returns the newest, History all of them, and a
// second store on the same bucket (another process) reads the same.
func TestBlobStoreHistory(t *testing.T) {
	ctx := context.Background()
	b := memBucket(t)
	s, err := rollout.NewBlobStore(b, "churn", nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []rollout.State
	for rev := int64(1); rev <= 3; rev++ {
		st := rollout.State{Model: "churn", Stable: "v1", Canary: "v2", Phase: rollout.Progressing, Weight: float64(10 * rev), Revision: rev}
		if err := s.Save(ctx, st); err != nil {
			t.Fatal(err)
		}
		want = append(want, st)
	}
	other, _ := rollout.NewBlobStore(b, "churn", nil)
	got, err := other.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if st, err := other.Load(ctx); err != nil || st != want[2] {
		t.Errorf("Load = %+v, %v; want revision 3", st, err)
	}
	if ok, err := b.Exists(ctx, "deployments/churn/log/00000000000000000003.json"); err != nil || !ok {
		t.Errorf("entry 3 not under deployments/churn/log: %v, %v", ok, err)
	}
}

// A second decider (a Save whose revision is not newer than the saved one
// of the same rollout) is refused with a ConflictError and changes nothing;
// a new rollout (another canary) starts over from any revision.
func TestBlobStoreRefusesSecondDecider(t *testing.T) {
	ctx := context.Background()
	b := memBucket(t)
	leader, _ := rollout.NewBlobStore(b, "churn", nil)
	rival, _ := rollout.NewBlobStore(b, "churn", nil)
	st := rollout.State{Model: "churn", Stable: "v1", Canary: "v2", Phase: rollout.Progressing, Weight: 20, Revision: 4}
	if err := leader.Save(ctx, st); err != nil {
		t.Fatal(err)
	}
	for _, rev := range []int64{4, 3} {
		t.Run(fmt.Sprint(rev), func(t *testing.T) {
			late := st
			late.Revision, late.Phase = rev, rollout.Aborted
			err := rival.Save(ctx, late)
			var c *rollout.ConflictError
			if !errors.Is(err, rollout.ErrConflict) || !errors.As(err, &c) || c.Saved != 4 || c.Attempted != rev || c.Rollout != "churn" {
				t.Fatalf("Save at revision %d: %v (%+v), want a ConflictError saved 4", rev, err, c)
			}
			if got, err := leader.Load(ctx); err != nil || got != st {
				t.Errorf("after a refused save Load = %+v, %v", got, err)
			}
		})
	}
	next := st
	next.Revision = 5
	if err := leader.Save(ctx, next); err != nil {
		t.Errorf("the leader's next revision: %v", err)
	}
	fresh := rollout.State{Model: "churn", Stable: "v2", Canary: "v3", Phase: rollout.Progressing, Revision: 1}
	if err := rival.Save(ctx, fresh); err != nil {
		t.Errorf("a new rollout's first state: %v", err)
	}
	if got, err := leader.Load(ctx); err != nil || got != fresh {
		t.Errorf("Load = %+v, %v; want the new rollout", got, err)
	}
}

// A checkpoint is a cache of the log: whatever is wrong with it, a fresh
// reader skips it with a warning and reads every state.
func TestBlobStoreSkipsBadCheckpoint(t *testing.T) {
	tests := []struct{ name, data string }{
		{"does not parse", "{broken"},
		{"newer format", `{"v":2,"state":{}}`},
		{"no state", `{"v":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			b := memBucket(t)
			s, _ := rollout.NewBlobStore(b, "churn", nil)
			const n = 66 // one checkpoint, at entry 64
			for rev := int64(1); rev <= n; rev++ {
				if err := s.Save(ctx, rollout.State{Model: "churn", Stable: "v1", Canary: "v2", Phase: rollout.Progressing, Revision: rev}); err != nil {
					t.Fatal(err)
				}
			}
			const cp = "deployments/churn/checkpoint/00000000000000000064.json"
			if ok, err := b.Exists(ctx, cp); err != nil || !ok {
				t.Fatalf("no checkpoint at %s: %v", cp, err)
			}
			if err := b.WriteAll(ctx, cp, []byte(tt.data)); err != nil {
				t.Fatal(err)
			}
			var logged bytes.Buffer
			fresh, _ := rollout.NewBlobStore(b, "churn", &rollout.BlobStoreOptions{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
			if st, err := fresh.Load(ctx); err != nil || st.Revision != n {
				t.Fatalf("Load past a bad checkpoint: revision %d, %v; want %d", st.Revision, err, n)
			}
			if h, err := fresh.History(ctx); err != nil || len(h) != n {
				t.Errorf("history past a bad checkpoint: %d states, %v", len(h), err)
			}
			if !strings.Contains(logged.String(), "ignoring unreadable checkpoint") {
				t.Errorf("no warning about the checkpoint: %q", logged.String())
			}
		})
	}
}

func TestNewBlobStoreRejectsBadNames(t *testing.T) {
	b := memBucket(t)
	for _, name := range []string{"", "a/b", "..", "a%2f", "c:d"} {
		if _, err := rollout.NewBlobStore(b, name, nil); !errors.Is(err, rollout.ErrInvalid) {
			t.Errorf("NewBlobStore(%q): %v, want ErrInvalid", name, err)
		}
	}
}
