package rollout_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/rollout"
)

func TestStepStrings(t *testing.T) {
	got := []string{
		rollout.SetWeight(25).String(), rollout.Pause(0).String(), rollout.Pause(time.Minute).String(),
		rollout.Analyze(rollout.Analysis{Checks: []rollout.Check{rollout.Judge{}}}).String(), rollout.Step{}.String(),
	}
	want := []string{"set weight 25%", "pause until resumed", "pause 1m0s", "analyze 5×1m0s", "invalid step"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestFollowArguments(t *testing.T) {
	r := newRouter(t, "a", "b")
	if err := rollout.Follow(context.Background(), nil, r, time.Second, nil); !errors.Is(err, rollout.ErrInvalid) {
		t.Errorf("Follow without a store: %v", err)
	}
}

// flakyStore fails every read until healed, then reads the state set.
type flakyStore struct {
	mu     sync.Mutex
	st     rollout.State
	healed bool
	reads  int
}

func (s *flakyStore) Load(context.Context) (rollout.State, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if !s.healed {
		return rollout.State{}, errors.New("bucket unavailable")
	}
	return s.st, nil
}

func (s *flakyStore) Save(_ context.Context, st rollout.State) error { return nil }

func TestFollowRetriesAFailingStore(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRouter(t, "a", "b")
		if err := r.Switch("a"); err != nil {
			t.Fatal(err)
		}
		store := &flakyStore{st: rollout.State{Model: "m", Stable: "a", Canary: "b", Phase: rollout.Promoted, Weight: 100, Revision: 9}}
		done := make(chan error)
		go func() { done <- rollout.Follow(t.Context(), store, r, time.Second, nil) }()
		time.Sleep(10*time.Second - time.Nanosecond)
		synctest.Wait()
		if v, _ := r.Route(deploy.Request{}); v != "a" || store.reads != 10 {
			t.Fatalf("while the store fails: routed to %q after %d reads, want a after 10", v, store.reads)
		}
		store.mu.Lock()
		store.healed = true
		store.mu.Unlock()
		if err := <-done; err != nil {
			t.Fatalf("Follow: %v", err)
		}
		if v, _ := r.Route(deploy.Request{}); v != "b" {
			t.Errorf("after the store healed: routed to %q, want b", v)
		}
	})
}
