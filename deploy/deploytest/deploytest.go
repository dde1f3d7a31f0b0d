// Package deploytest helps test code that uses packages deploy and
// deploy/rollout:
//
//   - New, a ready router over fakes, and NewRig, the same router with
//     the fakes and the monitor.Metrics its Observer feeds (a rollout's
//     Source);
//   - Fake (NewFake), a predictor with a set latency, error rate and
//     output; its zero value answers the zero Out at once;
//   - NewStore, a rollout store on an in-memory bucket;
//   - RunConformance for Predictor implementations and
//     RunStoreConformance for rollout Store implementations.
//
// Everything made with a testing.TB is cleaned up when the test ends.
//
// deploy and rollout have no clock of their own: they read time.Now and
// use timers, so tests of rollouts run inside a testing/synctest bubble,
// where a Fake's latency and an analysis interval of minutes pass in no
// real time. Make the Rig inside the bubble, so that its metrics' clock is
// the bubble's.
package deploytest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gocloud.dev/blob/memblob"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/monitor"
)

// Rig is a router over fake versions and the metrics its Observer feeds:
// give Metrics to a rollout as its Source (rollout.Options.Source) and
// name Model in its Spec. The zero Rig holds nothing; NewRig fills it.
type Rig[In, Out any] struct {
	// Model is the model the router reports its versions under.
	Model string
	// Router routes between the fakes; nothing is routed until the test
	// says so.
	Router *deploy.Router[In, Out]
	// Metrics is the router's Observer, on a registry of its own, with a
	// window of 10 minutes in 5s slots that keeps up to 512 latencies
	// per slot.
	Metrics *monitor.Metrics
	// Fakes holds the predictor of each version.
	Fakes map[string]*Fake[In, Out]
}

// New returns a router over one Fake per version, each answering with
// outputs[version] at once and without errors. No traffic is routed
// until the test says so, and the router is closed when the test ends.
// Use NewRig to reach the fakes and the router's metrics.
func New[In, Out any](t testing.TB, outputs map[string]Out) *deploy.Router[In, Out] {
	t.Helper()
	return NewRig[In](t, "model", outputs).Router
}

// NewRig returns a Rig: a router over one Fake per version (as New
// makes it) that records every routed prediction of model into Metrics.
func NewRig[In, Out any](t testing.TB, model string, outputs map[string]Out) *Rig[In, Out] {
	t.Helper()
	m, err := monitor.New(prometheus.NewRegistry(), &monitor.Options{
		Window: 10 * time.Minute, WindowSlots: 120, WindowSample: 512, CostSampleEvery: -1,
	})
	if err != nil {
		t.Fatalf("deploytest: %v", err)
	}
	rig := &Rig[In, Out]{Model: model, Metrics: m, Fakes: map[string]*Fake[In, Out]{}}
	preds := map[string]deploy.Predictor[In, Out]{}
	for v, out := range outputs {
		rig.Fakes[v] = NewFake[In](out)
		preds[v] = rig.Fakes[v]
	}
	r, err := deploy.NewRouter(preds, &deploy.RouterOptions[Out]{Model: model, Observer: m})
	if err != nil {
		t.Fatalf("deploytest: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	rig.Router = r
	return rig
}

// NewStore returns a rollout store on a fresh in-memory bucket, closed
// when the test ends.
func NewStore(t testing.TB) *rollout.BlobStore {
	t.Helper()
	b, err := artifact.NewBucket(memblob.OpenBucket(nil), &artifact.BucketOptions{Owned: true})
	if err != nil {
		t.Fatalf("deploytest: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	s, err := rollout.NewBlobStore(b, "rollout", nil)
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
			_, served, err := r.Serve(context.Background(), deploy.Request{Key: fmt.Sprint(i)}, in)
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
func RunStoreConformance(t *testing.T, newStore func(t *testing.T) rollout.Store) {
	ctx := context.Background()
	st := rollout.State{
		Model: "m", Stable: "v1", Canary: "v2", Phase: rollout.Paused, Step: 3, Weight: 25,
		StepStarted: time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC), ResumeAdvances: true,
		Analysis: rollout.AnalysisState{Measurements: 4, Passes: 2, Failures: 1, Inconclusives: 1, ConsecutiveFailures: 1, Last: time.Date(2026, 3, 4, 5, 7, 0, 0, time.UTC)},
		Reason:   "analysis inconclusive", Revision: 17, Updated: time.Date(2026, 3, 4, 5, 7, 1, 0, time.UTC),
	}
	t.Run("empty store has no state", func(t *testing.T) {
		if _, err := newStore(t).Load(ctx); !errors.Is(err, rollout.ErrNoState) {
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
		next.Revision, next.Phase = 18, rollout.Promoted
		if err := s.Save(ctx, st); err != nil {
			t.Fatal(err)
		}
		if err := s.Save(ctx, next); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Load(ctx); err != nil || got.Revision != 18 || got.Phase != rollout.Promoted {
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
