// Package deploytest helps test code that uses package deploy: Fake, a
// predictor with a set latency, error rate and output; NewRouter, a
// ready router over fakes with an observation window; NewStore, a
// rollout store on an in-memory bucket; and conformance suites for
// Predictor and Store implementations.
//
// deploy has no clock of its own: it reads time.Now and uses timers, so
// tests of rollouts run inside a testing/synctest bubble, where a Fake's
// latency and an analysis interval of minutes pass in no real time.
package deploytest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/deploy"
)

// Rig is a router over fake versions, with a window the router feeds.
type Rig[In, Out any] struct {
	Router *deploy.Router[In, Out]
	Window *deploy.Window
	Fakes  map[string]*Fake[In, Out]
}

// NewRouter returns a router over one Fake per version (each answering
// with outputs[version], immediately, without errors) that records into
// a Window. No traffic is routed until the test says so. The router is
// closed when the test ends.
func NewRouter[In, Out any](t testing.TB, outputs map[string]Out) *Rig[In, Out] {
	t.Helper()
	rig := &Rig[In, Out]{Window: deploy.NewWindow(0), Fakes: map[string]*Fake[In, Out]{}}
	preds := map[string]deploy.Predictor[In, Out]{}
	for v, out := range outputs {
		rig.Fakes[v] = NewFake[In](out)
		preds[v] = rig.Fakes[v]
	}
	r, err := deploy.NewRouter(preds, &deploy.RouterOptions[Out]{Observer: rig.Window})
	if err != nil {
		t.Fatalf("deploytest: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	rig.Router = r
	return rig
}

// NewStore returns a rollout store on a fresh in-memory bucket, closed
// when the test ends.
func NewStore(t testing.TB) *deploy.BlobStore {
	t.Helper()
	b, err := artifact.NewBucket(memblob.OpenBucket(nil), &artifact.BucketOptions{Owned: true})
	if err != nil {
		t.Fatalf("deploytest: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	s, err := deploy.NewBlobStore(b, "rollout", nil)
	if err != nil {
		t.Fatalf("deploytest: %v", err)
	}
	return s
}

// RunConformance checks the behaviour every Predictor must have to be
// routed, shadowed and rolled out: it answers in, it is safe for
// concurrent use, it returns promptly once its context is cancelled,
// and it can be served through a Router. in must be an input the
// predictor accepts.
func RunConformance[In, Out any](t *testing.T, newPredictor func(t *testing.T) deploy.Predictor[In, Out], in In) {
	t.Run("answers", func(t *testing.T) {
		p := newPredictor(t)
		if _, err := p.Predict(context.Background(), in); err != nil {
			t.Fatalf("Predict: %v", err)
		}
	})
	t.Run("concurrent calls", func(t *testing.T) {
		p := newPredictor(t)
		var wg sync.WaitGroup
		errs := make(chan error, 8*25)
		for range 8 {
			wg.Go(func() {
				for range 25 {
					if _, err := p.Predict(context.Background(), in); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent Predict: %v", err)
		}
	})
	t.Run("cancelled context returns promptly", func(t *testing.T) {
		p := newPredictor(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		done := make(chan error, 1)
		go func() {
			_, err := p.Predict(ctx, in)
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("Predict with a cancelled context: %v; want nil or an error matching context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Predict ignored a cancelled context for 5s")
		}
	})
	t.Run("served through a router", func(t *testing.T) {
		a, b := newPredictor(t), newPredictor(t)
		r, err := deploy.NewRouter(map[string]deploy.Predictor[In, Out]{"a": a, "b": b},
			&deploy.RouterOptions[Out]{Equal: func(Out, Out) bool { return true }, MaxShadowInFlight: 10})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if err := r.Update(deploy.Config{Split: []deploy.Target{{Version: "a", Weight: 1}}, Shadow: &deploy.Shadow{Version: "b", Fraction: 1}}); err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			_, served, err := r.Predict(context.Background(), deploy.Request{Key: fmt.Sprint(i)}, in)
			if err != nil || served != "a" {
				t.Fatalf("routed Predict served %q: %v", served, err)
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for st := r.ShadowStats(); st.Agreed+st.Errors < st.Sent && time.Now().Before(deadline); st = r.ShadowStats() {
			time.Sleep(time.Millisecond)
		}
		if st := r.ShadowStats(); st.Errors != 0 || st.Sent != 10 || st.Agreed != 10 {
			t.Errorf("shadow stats %+v, want 10 shadow calls answered without error", st)
		}
	})
}

// RunStoreConformance checks a rollout Store: an empty store reports
// ErrNoState, a saved state reads back equal, a save replaces the
// previous state, and cancelled contexts are honoured.
func RunStoreConformance(t *testing.T, newStore func(t *testing.T) deploy.Store) {
	ctx := context.Background()
	st := deploy.State{
		Model: "m", Stable: "v1", Canary: "v2", Phase: deploy.Paused, Step: 3, Weight: 25,
		StepStarted: time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC), ResumeAdvances: true,
		Analysis: deploy.AnalysisState{Measurements: 4, Passes: 2, Failures: 1, Inconclusives: 1, ConsecutiveFailures: 1, Last: time.Date(2026, 3, 4, 5, 7, 0, 0, time.UTC)},
		Reason:   "analysis inconclusive", Revision: 17, Updated: time.Date(2026, 3, 4, 5, 7, 1, 0, time.UTC),
	}
	t.Run("empty store has no state", func(t *testing.T) {
		if _, err := newStore(t).Load(ctx); !errors.Is(err, deploy.ErrNoState) {
			t.Errorf("Load: %v, want ErrNoState", err)
		}
	})
	t.Run("round trip", func(t *testing.T) {
		s := newStore(t)
		if err := s.Save(ctx, st); err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !got.StepStarted.Equal(st.StepStarted) || !got.Analysis.Last.Equal(st.Analysis.Last) || !got.Updated.Equal(st.Updated) {
			t.Errorf("times changed: %+v", got)
		}
		got.StepStarted, got.Analysis.Last, got.Updated = st.StepStarted, st.Analysis.Last, st.Updated
		if got != st {
			t.Errorf("Load = %+v, want %+v", got, st)
		}
	})
	t.Run("save replaces", func(t *testing.T) {
		s := newStore(t)
		next := st
		next.Revision, next.Phase = 18, deploy.Promoted
		if err := s.Save(ctx, st); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, next); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Load(ctx); err != nil || got.Revision != 18 || got.Phase != deploy.Promoted {
			t.Errorf("Load after two saves: revision %d phase %s, %v", got.Revision, got.Phase, err)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		s := newStore(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Save(cctx, st); err == nil {
			if _, err := s.Load(ctx); err != nil {
				t.Errorf("a save that reported success is not readable: %v", err)
			}
		}
	})
}
