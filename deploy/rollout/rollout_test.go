package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob/memblob"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/monitor"
)

// rig is a router over a stable and a canary fake predictor, with an
// in-process window, a store on a file:// bucket, and recorders for
// events, alias moves and metrics.
type rig struct {
	router         *deploy.Router[int, string]
	stable, canary *fake
	window         *monitor.Metrics
	store          *rollout.BlobStore
	aliases        *aliasRecorder
	metrics        *metricsRecorder

	mu     sync.Mutex
	events []rollout.Event
}

func newRig(t *testing.T) *rig {
	t.Helper()
	bucket, err := artifact.OpenBucket(context.Background(), "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bucket.Close() })
	store, err := rollout.NewBlobStore(bucket, "churn", nil)
	if err != nil {
		t.Fatal(err)
	}
	g := &rig{window: newMetrics(t), store: store, aliases: &aliasRecorder{}, metrics: &metricsRecorder{weights: map[string]float64{}}}
	g.reset(t)
	return g
}

// reset makes a new router and predictors, as a restarted process would.
func (g *rig) reset(t *testing.T) {
	g.stable = newFake("stable").SetLatency(20*time.Millisecond, 10*time.Millisecond).SetErrorRate(0.01)
	g.canary = newFake("canary").SetLatency(20*time.Millisecond, 10*time.Millisecond).SetErrorRate(0.01)
	r, err := deploy.NewRouter(map[string]deploy.Predictor[int, string]{"stable": g.stable, "canary": g.canary},
		&deploy.RouterOptions[string]{Model: "churn", Observer: g.window})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	g.router = r
}

func (g *rig) options() *rollout.Options {
	return &rollout.Options{
		Store: g.store, Source: g.window, Aliases: g.aliases, Metrics: g.metrics,
		OnEvent: func(e rollout.Event) {
			g.mu.Lock()
			defer g.mu.Unlock()
			g.events = append(g.events, e)
		},
	}
}

func (g *rig) eventTypes() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var s []string
	for _, e := range g.events {
		if e.Type != rollout.EventMeasurement {
			s = append(s, e.Type)
		}
	}
	return s
}

// serve sends requests with random keys, one after another with 5 ms
// between them, until ctx ends. It returns a function that waits for it.
func (g *rig) serve(ctx context.Context) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			g.router.Serve(ctx, deploy.Request{Key: fmt.Sprint(rand.Int())}, i)
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Millisecond):
			}
		}
	})
	return wg.Wait
}

type aliasRecorder struct {
	mu    sync.Mutex
	moves []string
	err   error
}

func (a *aliasRecorder) SetAlias(_ context.Context, model, alias, version string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return a.err
	}
	a.moves = append(a.moves, model+"@"+alias+"="+version)
	return nil
}

type metricsRecorder struct {
	mu      sync.Mutex
	weights map[string]float64
	phase   string
}

func (m *metricsRecorder) SetRolloutWeight(model, version string, w float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.weights[model+"/"+version] = w
}

func (m *metricsRecorder) SetRolloutPhase(model, phase string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.phase = phase
}

func analysis() rollout.Analysis {
	return rollout.Analysis{
		Interval: time.Minute,
		Count:    3,
		Checks: []rollout.Check{
			rollout.ErrorRate{Max: 0.05, MinSamples: 20},
			rollout.LatencyQuantile{Quantile: 0.99, Max: 200 * time.Millisecond, MinSamples: 20},
			rollout.Judge{MinSamples: 30},
		},
	}
}

func spec(steps ...rollout.Step) rollout.Spec {
	return rollout.Spec{Model: "churn", Stable: "stable", Canary: "canary", Steps: steps}
}

func canaryShare(t *testing.T, r *deploy.Router[int, string]) float64 {
	t.Helper()
	n := 0
	for i := range 2000 {
		if v, _ := r.Route(deploy.Request{Key: fmt.Sprint(i)}); v == "canary" {
			n++
		}
	}
	return float64(n) / 2000
}

func TestRolloutDecisions(t *testing.T) {
	tests := []struct {
		name        string
		setup       func(g *rig)
		wantPhase   rollout.Phase
		wantReason  string
		wantAliases []string
		wantShare   float64
	}{
		{
			name:        "good candidate is promoted",
			setup:       func(g *rig) {},
			wantPhase:   rollout.Promoted,
			wantReason:  "all steps completed",
			wantAliases: []string{"churn@production=canary"},
			wantShare:   1,
		},
		{
			name:       "erroring candidate is rolled back",
			setup:      func(g *rig) { g.canary.SetErrorRate(0.2) },
			wantPhase:  rollout.RolledBack,
			wantReason: "error-rate fail",
		},
		{
			name:       "slow candidate is rolled back by the judge",
			setup:      func(g *rig) { g.canary.SetLatency(60*time.Millisecond, 10*time.Millisecond) },
			wantPhase:  rollout.RolledBack,
			wantReason: "x baseline beyond tolerance (p=",
		},
		{
			name:       "candidate erring a little more than baseline is caught by the judge",
			setup:      func(g *rig) { g.canary.SetErrorRate(0.045) },
			wantPhase:  rollout.RolledBack,
			wantReason: "beyond tolerance (p=",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newRig(t)
				tc.setup(g)
				var hooks []string
				opts := g.options()
				opts.BeforePromote = func(_ context.Context, st rollout.State) error {
					hooks = append(hooks, fmt.Sprintf("before promotion at %g%%", st.Weight))
					return nil
				}
				opts.AfterRollback = func(_ context.Context, st rollout.State) {
					hooks = append(hooks, fmt.Sprintf("after %s at %g%%", st.Phase, st.Weight))
				}
				ro, err := rollout.New(g.router, spec(
					rollout.SetWeight(20), rollout.Analyze(analysis()),
					rollout.SetWeight(50), rollout.Analyze(analysis()),
				), opts)
				if err != nil {
					t.Fatal(err)
				}
				ctx, stop := context.WithCancel(t.Context())
				wait := g.serve(ctx)
				st, err := ro.Run(t.Context())
				stop()
				wait()
				if err != nil {
					t.Fatal(err)
				}
				if st.Phase != tc.wantPhase || !strings.Contains(st.Reason, tc.wantReason) {
					t.Fatalf("phase %s (%s), want %s containing %q", st.Phase, st.Reason, tc.wantPhase, tc.wantReason)
				}
				if diff := cmp.Diff(tc.wantAliases, g.aliases.moves); diff != "" {
					t.Errorf("alias moves (-want +got):\n%s", diff)
				}
				wantHooks := []string{"after rolled-back at 0%"}
				if tc.wantPhase == rollout.Promoted {
					wantHooks = []string{"before promotion at 50%"}
				}
				if diff := cmp.Diff(wantHooks, hooks); diff != "" {
					t.Errorf("hooks (-want +got):\n%s", diff)
				}
				if got := canaryShare(t, g.router); got != tc.wantShare {
					t.Errorf("canary share after the rollout %v, want %v", got, tc.wantShare)
				}
				if g.metrics.phase != string(tc.wantPhase) || g.metrics.weights["churn/canary"] != 100*tc.wantShare {
					t.Errorf("metrics phase %q weights %v", g.metrics.phase, g.metrics.weights)
				}
				for _, e := range g.events {
					if e.Reason == "" || e.Model != "churn" {
						t.Errorf("event without reason or model: %+v", e)
					}
				}
				saved, err := g.store.Load(t.Context())
				if err != nil || saved.Phase != tc.wantPhase {
					t.Errorf("saved state %+v, %v", saved, err)
				}
			})
		})
	}
}

// TestRolloutStateBeforeRun checks that State names the rollout set up
// before anything has started it, with no phase, and reports it once Run
// has.
func TestRolloutStateBeforeRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newRig(t)
		sp := spec(rollout.SetWeight(10), rollout.Pause(time.Hour))
		ro, err := rollout.New(g.router, sp, g.options())
		if err != nil {
			t.Fatal(err)
		}
		want := rollout.State{Model: sp.Model, Stable: sp.Stable, Canary: sp.Canary}
		if st := ro.State(); !reflect.DeepEqual(st, want) {
			t.Fatalf("State before Run = %+v, want %+v", st, want)
		}
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		go ro.Run(ctx)
		synctest.Wait()
		if st := ro.State(); st.Phase != rollout.Progressing || st.Canary != sp.Canary || st.Weight != 10 {
			t.Fatalf("State once running = %+v, want progressing at 10%%", st)
		}
	})
}

func TestRolloutNoTrafficIsInconclusive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newRig(t)
		ro, err := rollout.New(g.router, spec(rollout.SetWeight(10), rollout.Analyze(analysis())), g.options())
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan rollout.State)
		go func() {
			st, _ := ro.Run(t.Context())
			done <- st
		}()
		time.Sleep(time.Hour)
		synctest.Wait()
		st := ro.State()
		if st.Phase != rollout.Paused || !strings.Contains(st.Reason, "inconclusive") {
			t.Fatalf("after an hour without traffic: %s (%s), want paused and inconclusive", st.Phase, st.Reason)
		}
		if st.Analysis.Inconclusives != 3 || st.Analysis.Passes != 0 {
			t.Errorf("analysis %+v, want 3 inconclusive", st.Analysis)
		}
		if len(g.aliases.moves) != 0 {
			t.Errorf("promoted without evidence: %v", g.aliases.moves)
		}
		if err := ro.Abort(t.Context(), "no traffic to judge on"); err != nil {
			t.Fatal(err)
		}
		st = <-done
		if st.Phase != rollout.Aborted || canaryShare(t, g.router) != 0 {
			t.Errorf("after abort: %s, share %v", st.Phase, canaryShare(t, g.router))
		}
		if err := ro.Resume(t.Context(), "again"); !errors.Is(err, rollout.ErrFinished) {
			t.Errorf("Resume after abort: %v, want ErrFinished", err)
		}
	})
}

// readCounter is a Source that counts the reads of each version and window.
type readCounter struct {
	src   rollout.Source
	mu    sync.Mutex
	reads map[string]int
}

func (c *readCounter) Range(model, version string, from, to time.Time) monitor.WindowStats {
	c.mu.Lock()
	c.reads[fmt.Sprintf("%s %s-%s", version, from.Format(time.TimeOnly), to.Format(time.TimeOnly))]++
	c.mu.Unlock()
	return c.src.Range(model, version, from, to)
}

// Three checks, two of them on the canary alone and the judge on both
// versions, read each version's window once per measurement.
func TestRolloutReadsEachWindowOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newRig(t)
		src := &readCounter{src: g.window, reads: map[string]int{}}
		opts := g.options()
		opts.Source = src
		ro, err := rollout.New(g.router, spec(rollout.SetWeight(10), rollout.Analyze(analysis())), opts)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		wait := g.serve(ctx)
		go ro.Run(ctx)
		time.Sleep(150 * time.Second)
		synctest.Wait()
		cancel()
		wait()
		src.mu.Lock()
		defer src.mu.Unlock()
		if len(src.reads) != 4 {
			t.Errorf("read %d version windows, want 4 (canary and stable, two measurements): %v", len(src.reads), src.reads)
		}
		for k, n := range src.reads {
			if n != 1 {
				t.Errorf("%s read %d times in one measurement, want once", k, n)
			}
		}
	})
}

// flaky fails (or errs) on the listed measurement numbers (1-based)
// and passes otherwise.
func flaky(outcome rollout.Outcome, at ...int) rollout.Check {
	var mu sync.Mutex
	n := 0
	return rollout.CheckFunc("flaky", func(context.Context, rollout.Env) rollout.Measurement {
		mu.Lock()
		defer mu.Unlock()
		n++
		for _, a := range at {
			if a == n {
				return rollout.Measurement{Outcome: outcome, Reason: fmt.Sprintf("measurement %d is bad", n)}
			}
		}
		return rollout.Measurement{Outcome: rollout.Pass, Reason: "fine"}
	})
}

func TestRolloutLimits(t *testing.T) {
	tests := []struct {
		name       string
		a          rollout.Analysis
		wantPhase  rollout.Phase
		wantReason string
		wantTime   time.Duration
	}{
		{"one flaky failure tolerated by the failure limit",
			rollout.Analysis{Checks: []rollout.Check{flaky(rollout.Fail, 2)}, Count: 5, FailureLimit: 1},
			rollout.Promoted, "all steps completed", 5 * time.Minute},
		{"one flaky failure rolls back without a limit",
			rollout.Analysis{Checks: []rollout.Check{flaky(rollout.Fail, 2)}, Count: 5},
			rollout.RolledBack, "1 failed measurements, limit 0", 2 * time.Minute},
		{"scattered failures under the consecutive limit",
			rollout.Analysis{Checks: []rollout.Check{flaky(rollout.Fail, 2, 4)}, Count: 5, FailureLimit: 3, ConsecutiveFailureLimit: 2},
			rollout.Promoted, "all steps completed", 5 * time.Minute},
		{"failures in a row hit the consecutive limit",
			rollout.Analysis{Checks: []rollout.Check{flaky(rollout.Fail, 2, 3)}, Count: 5, FailureLimit: 3, ConsecutiveFailureLimit: 2},
			rollout.RolledBack, "2 failures in a row", 3 * time.Minute},
		{"consecutive successes pass early",
			rollout.Analysis{Checks: []rollout.Check{flaky(rollout.Fail)}, Count: 10, ConsecutiveSuccessLimit: 2},
			rollout.Promoted, "all steps completed", 2 * time.Minute},
		{"errors in a row end in error",
			rollout.Analysis{Checks: []rollout.Check{flaky(rollout.Error, 1, 2, 3, 4, 5, 6)}, Count: 10, ConsecutiveErrorLimit: 3},
			rollout.RolledBack, "analysis error", 4 * time.Minute},
		{"a few errors tolerated by the inconclusive limit",
			rollout.Analysis{Checks: []rollout.Check{flaky(rollout.Error, 1)}, Count: 3, InconclusiveLimit: 1},
			rollout.Promoted, "all steps completed", 3 * time.Minute},
		{"unknown outcome counts as error, never pass",
			rollout.Analysis{Checks: []rollout.Check{flaky(rollout.Outcome(42), 1, 2)}, Count: 2, ConsecutiveErrorLimit: 1},
			rollout.RolledBack, "analysis error", 2 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				g := newRig(t)
				ro, err := rollout.New(g.router, spec(rollout.SetWeight(30), rollout.Analyze(tc.a)), g.options())
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				st, err := ro.Run(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if st.Phase != tc.wantPhase || !strings.Contains(st.Reason, tc.wantReason) {
					t.Errorf("phase %s (%s), want %s containing %q", st.Phase, st.Reason, tc.wantPhase, tc.wantReason)
				}
				if d := time.Since(start); d != tc.wantTime {
					t.Errorf("decided after %s, want %s", d, tc.wantTime)
				}
			})
		})
	}
}

func TestRolloutManual(t *testing.T) {
	t.Run("pause step waits for resume", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := newRig(t)
			ro, _ := rollout.New(g.router, spec(rollout.SetWeight(20), rollout.Pause(0), rollout.SetWeight(60), rollout.Pause(10*time.Minute)), g.options())
			done := make(chan rollout.State)
			go func() {
				st, _ := ro.Run(t.Context())
				done <- st
			}()
			time.Sleep(24 * time.Hour)
			synctest.Wait()
			if st := ro.State(); st.Phase != rollout.Paused || st.Step != 1 || canaryShare(t, g.router) < 0.15 {
				t.Fatalf("state %+v, share %v", st, canaryShare(t, g.router))
			}
			if err := ro.Resume(t.Context(), "looks fine"); err != nil {
				t.Fatal(err)
			}
			resumed := time.Now()
			time.Sleep(5 * time.Minute)
			synctest.Wait()
			// A manual pause in the middle of a timed pause, then resume.
			if err := ro.Pause(t.Context(), "lunch"); err != nil {
				t.Fatal(err)
			}
			if st := ro.State(); st.Phase != rollout.Paused || st.Step != 3 || st.Weight != 60 {
				t.Fatalf("after manual pause %+v", st)
			}
			if err := ro.Resume(t.Context(), "back"); err != nil {
				t.Fatal(err)
			}
			st := <-done
			if st.Phase != rollout.Promoted || time.Since(resumed) != 10*time.Minute {
				t.Errorf("phase %s after %s, want promoted after the 10m pause", st.Phase, time.Since(resumed))
			}
			want := []string{"started", "weight", "paused", "resumed", "weight", "paused", "resumed", "step-done", "promoted"}
			if diff := cmp.Diff(want, g.eventTypes()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	})
	t.Run("abort while progressing", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := newRig(t)
			var hooked []rollout.Phase
			opts := g.options()
			opts.AfterRollback = func(_ context.Context, st rollout.State) { hooked = append(hooked, st.Phase) }
			ro, _ := rollout.New(g.router, spec(rollout.SetWeight(50), rollout.Pause(time.Hour)), opts)
			done := make(chan rollout.State)
			go func() {
				st, _ := ro.Run(t.Context())
				done <- st
			}()
			time.Sleep(time.Minute)
			if err := ro.Abort(t.Context(), "pager went off"); err != nil {
				t.Fatal(err)
			}
			st := <-done
			if st.Phase != rollout.Aborted || st.Reason != "aborted by hand: pager went off" || canaryShare(t, g.router) != 0 {
				t.Errorf("after abort %+v", st)
			}
			if diff := cmp.Diff([]rollout.Phase{rollout.Aborted}, hooked); diff != "" {
				t.Errorf("AfterRollback calls (-want +got):\n%s", diff)
			}
		})
	})
	t.Run("manual promote without Run", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := newRig(t)
			ro, _ := rollout.New(g.router, spec(rollout.SetWeight(5), rollout.Pause(0)), g.options())
			if err := ro.Promote(t.Context(), "hotfix"); err != nil {
				t.Fatal(err)
			}
			if st := ro.State(); st.Phase != rollout.Promoted || canaryShare(t, g.router) != 1 {
				t.Errorf("state %+v", st)
			}
			if err := ro.Abort(t.Context(), "late"); !errors.Is(err, rollout.ErrFinished) {
				t.Errorf("Abort after promotion: %v", err)
			}
			st, err := ro.Run(t.Context())
			if err != nil || st.Phase != rollout.Promoted {
				t.Errorf("Run after promotion: %s, %v", st.Phase, err)
			}
		})
	})
	t.Run("hook refuses promotion", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := newRig(t)
			opts := g.options()
			opts.BeforePromote = func(context.Context, rollout.State) error { return errors.New("model card missing") }
			ro, _ := rollout.New(g.router, spec(rollout.SetWeight(50)), opts)
			st, err := ro.Run(t.Context())
			if err != nil || st.Phase != rollout.RolledBack || !strings.Contains(st.Reason, "model card missing") {
				t.Errorf("state %s (%s), %v", st.Phase, st.Reason, err)
			}
			if len(g.aliases.moves) != 0 {
				t.Errorf("alias moved: %v", g.aliases.moves)
			}
		})
	})
	t.Run("alias failure is returned and promotion can be retried", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := newRig(t)
			g.aliases.err = errors.New("registry unavailable")
			ro, _ := rollout.New(g.router, spec(rollout.SetWeight(50)), g.options())
			if _, err := ro.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "registry unavailable") {
				t.Fatalf("Run: %v", err)
			}
			g.aliases.err = nil
			st, err := ro.Run(t.Context())
			if err != nil || st.Phase != rollout.Promoted || len(g.aliases.moves) != 1 {
				t.Errorf("retry: %s, %v, %v", st.Phase, err, g.aliases.moves)
			}
		})
	})
	t.Run("one Run at a time", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			g := newRig(t)
			ro, _ := rollout.New(g.router, spec(rollout.Pause(0)), g.options())
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error)
			go func() {
				_, err := ro.Run(ctx)
				done <- err
			}()
			synctest.Wait()
			if _, err := ro.Run(t.Context()); !errors.Is(err, rollout.ErrRunning) {
				t.Errorf("second Run: %v", err)
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("Run after cancel: %v", err)
			}
		})
	})
}

func TestRolloutResumesAfterRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newRig(t)
		steps := []rollout.Step{rollout.SetWeight(25), rollout.Analyze(analysis()), rollout.SetWeight(50), rollout.Pause(time.Minute)}
		ro, _ := rollout.New(g.router, spec(steps...), g.options())
		ctx, stop := context.WithCancel(t.Context())
		wait := g.serve(ctx)
		runCtx, crash := context.WithCancel(t.Context())
		done := make(chan error)
		go func() {
			_, err := ro.Run(runCtx)
			done <- err
		}()
		time.Sleep(2*time.Minute + 30*time.Second) // two measurements taken
		crash()
		stop()
		wait()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
		saved, err := g.store.Load(t.Context())
		if err != nil || saved.Step != 1 || saved.Analysis.Measurements != 2 || saved.Weight != 25 {
			t.Fatalf("saved %+v, %v", saved, err)
		}

		// A new process: new router (all traffic on nothing yet), new rollout.
		g.reset(t)
		g.events = nil
		ro2, _ := rollout.New(g.router, spec(steps...), g.options())
		// Not restored yet: the spec, with no phase, whatever is saved.
		if st := ro2.State(); st.Phase != "" || st.Step != 0 || st.Canary != "canary" {
			t.Errorf("State before the restore = %+v", st)
		}
		ctx, stop = context.WithCancel(t.Context())
		wait = g.serve(ctx)
		go func() {
			st, err := ro2.Run(t.Context())
			if err != nil || st.Phase != rollout.Promoted {
				t.Errorf("resumed rollout ended %s (%s), %v", st.Phase, st.Reason, err)
			}
			done <- err
		}()
		synctest.Wait()
		if share := canaryShare(t, g.router); share < 0.2 || share > 0.3 {
			t.Errorf("restored share %v, want about 0.25", share)
		}
		if st := ro2.State(); st.Revision != saved.Revision || st.Step != 1 || st.Weight != 25 || st.Phase != rollout.Progressing {
			t.Errorf("State after the restore = %+v, want the saved state", st)
		}
		<-done
		stop()
		wait()
		var measured []string
		for _, e := range g.events {
			if e.Type == rollout.EventMeasurement && e.Measurements != nil {
				measured = append(measured, e.Reason[:strings.Index(e.Reason, " (")])
			}
		}
		want := []string{"step 1: measurement 3/3 pass"}
		if diff := cmp.Diff(want, measured); diff != "" {
			t.Errorf("measurements after restart (-want +got):\n%s", diff)
		}
		if got := g.eventTypes(); got[0] != rollout.EventRestored {
			t.Errorf("first event %s, want restored", got[0])
		}
	})
}

func TestNewRolloutErrors(t *testing.T) {
	r := newRouter(t, "a", "b")
	tests := []struct {
		name string
		spec rollout.Spec
	}{
		{"no model", rollout.Spec{Stable: "a", Canary: "b"}},
		{"same versions", rollout.Spec{Model: "m", Stable: "a", Canary: "a"}},
		{"bad weight", rollout.Spec{Model: "m", Stable: "a", Canary: "b", Steps: []rollout.Step{rollout.SetWeight(120)}}},
		{"no checks", rollout.Spec{Model: "m", Stable: "a", Canary: "b", Steps: []rollout.Step{rollout.Analyze(rollout.Analysis{})}}},
		{"negative failure limit", rollout.Spec{Model: "m", Stable: "a", Canary: "b", Steps: []rollout.Step{rollout.Analyze(rollout.Analysis{Checks: []rollout.Check{rollout.Judge{}}, FailureLimit: -1})}}},
		{"negative inconclusive limit", rollout.Spec{Model: "m", Stable: "a", Canary: "b", Steps: []rollout.Step{rollout.Analyze(rollout.Analysis{Checks: []rollout.Check{rollout.Judge{}}, InconclusiveLimit: -2})}}},
		{"nil check", rollout.Spec{Model: "m", Stable: "a", Canary: "b", Steps: []rollout.Step{rollout.Analyze(rollout.Analysis{Checks: []rollout.Check{nil}})}}},
		{"zero step", rollout.Spec{Model: "m", Stable: "a", Canary: "b", Steps: []rollout.Step{{}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := rollout.New(r, tc.spec, nil); !errors.Is(err, rollout.ErrInvalid) {
				t.Errorf("err %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := rollout.New(nil, spec(), nil); !errors.Is(err, rollout.ErrInvalid) {
		t.Errorf("nil traffic: %v", err)
	}
	// A version the router does not know stops the rollout before any
	// traffic moves.
	ro, err := rollout.New(r, rollout.Spec{Model: "m", Stable: "a", Canary: "zzz", Steps: []rollout.Step{rollout.SetWeight(50)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ro.Run(context.Background()); !errors.Is(err, deploy.ErrUnknownVersion) {
		t.Errorf("Run with an unknown canary: %v, want ErrUnknownVersion", err)
	}
	if err := ro.Promote(context.Background(), "now"); !errors.Is(err, deploy.ErrUnknownVersion) {
		t.Errorf("Promote of an unknown canary: %v, want ErrUnknownVersion", err)
	}
}

// Manual operations, state reads and traffic race with a running
// rollout. The goroutines run in parallel for the race detector; time is
// synctest's, so how far the rollout gets does not depend on the machine.
func TestRolloutConcurrentOperations(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newRig(t)
		g.stable.SetLatency(0, 0)
		g.canary.SetLatency(0, 0)
		a := rollout.Analysis{Interval: 20 * time.Millisecond, Count: 3, InconclusiveLimit: 3,
			Checks: []rollout.Check{rollout.ErrorRate{Max: 0.5}}}
		var steps []rollout.Step
		for w := 10; w <= 90; w += 10 {
			steps = append(steps, rollout.SetWeight(float64(w)), rollout.Analyze(a), rollout.Pause(time.Millisecond))
		}
		ro, err := rollout.New(g.router, spec(steps...), g.options())
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(t.Context())
		wait := g.serve(ctx)
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				for ctx.Err() == nil {
					ro.Pause(ctx, "look")
					_ = ro.State()
					ro.Resume(ctx, "go on")
					time.Sleep(3 * time.Millisecond)
				}
			})
		}
		done := make(chan rollout.State)
		go func() {
			st, err := ro.Run(t.Context())
			if err != nil {
				t.Error(err)
			}
			done <- st
		}()
		time.Sleep(200 * time.Millisecond)
		if err := ro.Abort(t.Context(), "enough"); err != nil {
			t.Errorf("Abort of a rollout that cannot have finished: %v", err)
		}
		st := <-done
		stop()
		wg.Wait()
		wait()
		if st.Phase != rollout.Aborted || canaryShare(t, g.router) != 0 {
			t.Fatalf("phase %s, canary share %v after abort", st.Phase, canaryShare(t, g.router))
		}
		saved, err := g.store.Load(t.Context())
		if err != nil || saved.Revision != st.Revision || saved.Phase != st.Phase {
			t.Errorf("saved %s revision %d, in memory %s revision %d (%v)", saved.Phase, saved.Revision, st.Phase, st.Revision, err)
		}
		g.mu.Lock()
		defer g.mu.Unlock()
		for i := 1; i < len(g.events); i++ {
			if g.events[i].Time.Before(g.events[i-1].Time) || g.events[i].Type == rollout.EventPromoted {
				t.Fatalf("event %d: %+v after %+v", i, g.events[i], g.events[i-1])
			}
		}
	})
}

var errDenied = errors.New("rbac: denied")

type onlyPause struct{ asked []string }

func (a *onlyPause) Authorize(_ context.Context, verb, resource, name string) error {
	a.asked = append(a.asked, verb+" "+resource+"/"+name)
	if verb == "update" {
		return nil
	}
	return errDenied
}

func TestRolloutAuthorization(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newRig(t)
		az := &onlyPause{}
		opts := g.options()
		opts.Authorizer = az
		ro, _ := rollout.New(g.router, spec(rollout.SetWeight(10), rollout.Pause(0)), opts)
		ctx := t.Context()
		if err := ro.Promote(ctx, "now"); !errors.Is(err, errDenied) {
			t.Errorf("Promote: %v, want the authorizer's error", err)
		}
		if err := ro.Abort(ctx, "now"); !errors.Is(err, errDenied) {
			t.Errorf("Abort: %v, want the authorizer's error", err)
		}
		if err := ro.Pause(ctx, "look"); err != nil {
			t.Errorf("Pause: %v", err)
		}
		if st := ro.State(); st.Phase != rollout.Paused {
			t.Errorf("phase %s after denied operations and a pause", st.Phase)
		}
		want := []string{"promote deployments/churn", "rollback deployments/churn", "update deployments/churn"}
		if diff := cmp.Diff(want, az.asked); diff != "" {
			t.Errorf("asked (-want +got):\n%s", diff)
		}
	})
}

func TestRolloutRefusesDamagedState(t *testing.T) {
	tests := []struct {
		name string
		st   rollout.State
	}{
		{"unknown phase", rollout.State{Phase: "winning"}},
		{"step beyond the spec", rollout.State{Phase: rollout.Progressing, Step: 7}},
		{"negative step", rollout.State{Phase: rollout.Progressing, Step: -1}},
		{"weight", rollout.State{Phase: rollout.Paused, Weight: 140}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newRig(t)
			tc.st.Model, tc.st.Stable, tc.st.Canary = "churn", "stable", "canary"
			if err := g.store.Save(context.Background(), tc.st); err != nil {
				t.Fatal(err)
			}
			ro, _ := rollout.New(g.router, spec(rollout.SetWeight(10), rollout.Pause(0)), g.options())
			if _, err := ro.Run(context.Background()); !errors.Is(err, rollout.ErrInvalid) {
				t.Errorf("Run: %v, want ErrInvalid", err)
			}
			if len(g.aliases.moves) != 0 {
				t.Errorf("alias moved: %v", g.aliases.moves)
			}
		})
	}
}

func TestRolloutRetryAfterAbort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newRig(t)
		ro, _ := rollout.New(g.router, spec(rollout.SetWeight(40), rollout.Pause(time.Hour)), g.options())
		if err := ro.Retry(t.Context(), "too early"); !errors.Is(err, rollout.ErrInvalid) {
			t.Errorf("Retry of a running rollout: %v", err)
		}
		if err := ro.Abort(t.Context(), "wrong build"); err != nil {
			t.Fatal(err)
		}
		if err := ro.Retry(t.Context(), "fixed build"); err != nil {
			t.Fatal(err)
		}
		if st := ro.State(); st.Phase != rollout.Progressing || st.Step != 0 || st.Weight != 0 {
			t.Errorf("after retry %+v", st)
		}
		start := time.Now()
		st, err := ro.Run(t.Context())
		if err != nil || st.Phase != rollout.Promoted || time.Since(start) != time.Hour {
			t.Errorf("retried rollout: %s after %s, %v", st.Phase, time.Since(start), err)
		}
		if err := ro.Retry(t.Context(), "again"); !errors.Is(err, rollout.ErrInvalid) {
			t.Errorf("Retry of a promoted rollout: %v", err)
		}
		want := []string{"started", "aborted", "retried", "weight", "step-done", "promoted"}
		if diff := cmp.Diff(want, g.eventTypes()); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})
}

// A process that was down for longer than an interval measures a fresh
// window after restarting rather than an empty one from the past.
func TestRolloutLongDowntime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := newRig(t)
		steps := []rollout.Step{rollout.SetWeight(25), rollout.Analyze(analysis())}
		ro, _ := rollout.New(g.router, spec(steps...), g.options())
		ctx, stop := context.WithCancel(t.Context())
		wait := g.serve(ctx)
		runCtx, crash := context.WithCancel(t.Context())
		done := make(chan error)
		go func() {
			_, err := ro.Run(runCtx)
			done <- err
		}()
		time.Sleep(90 * time.Second) // one measurement taken
		crash()
		stop()
		wait()
		<-done
		time.Sleep(time.Hour) // down for an hour

		g.reset(t)
		g.events = nil
		ro2, _ := rollout.New(g.router, spec(steps...), g.options())
		ctx, stop = context.WithCancel(t.Context())
		wait = g.serve(ctx)
		st, err := ro2.Run(t.Context())
		stop()
		wait()
		if err != nil || st.Phase != rollout.Promoted {
			t.Errorf("after downtime: %s (%s), %v", st.Phase, st.Reason, err)
		}
		measured := 0
		for _, e := range g.events {
			if e.Type == rollout.EventMeasurement && e.Measurements != nil {
				measured++
				if e.Outcome != rollout.Pass {
					t.Errorf("measurement after the restart: %s", e.Reason)
				}
			}
		}
		if measured != 2 {
			t.Errorf("%d measurements after the restart, want the 2 still due", measured)
		}
	})
}

// pauseBeforeAndAfterCanary pauses ro while r lacks the canary, which
// must fail with ErrUnknownVersion, then adds the canary and pauses again,
// which must succeed.
func pauseBeforeAndAfterCanary(ctx context.Context, t *testing.T, r *deploy.Router[int, string], ro *rollout.Rollout) {
	t.Helper()
	if err := ro.Pause(ctx, "look"); !errors.Is(err, deploy.ErrUnknownVersion) {
		t.Fatalf("Pause with the canary missing: %v, want ErrUnknownVersion", err)
	}
	if err := r.Add("canary", newFake("canary")); err != nil {
		t.Fatal(err)
	}
	if err := ro.Pause(ctx, "look"); err != nil {
		t.Fatal(err)
	}
}

// A restarted process whose router lacks the canary at first restores the
// saved split once the canary is there, instead of going on without it.
func TestRolloutRestoreRetriesTheSplit(t *testing.T) {
	ctx := context.Background()
	bucket, err := artifact.NewBucket(memblob.OpenBucket(nil), &artifact.BucketOptions{Owned: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	store, _ := rollout.NewBlobStore(bucket, "churn", nil)
	saved := rollout.State{Model: "churn", Stable: "stable", Canary: "canary", Phase: rollout.Paused, Step: 1, Weight: 25, ResumeAdvances: true, Revision: 3}
	if err := store.Save(ctx, saved); err != nil {
		t.Fatal(err)
	}
	r := newRouter(t, "stable")
	ro, err := rollout.New(r, spec(rollout.SetWeight(25), rollout.Pause(0)), &rollout.Options{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	pauseBeforeAndAfterCanary(ctx, t, r, ro)
	if st, share := ro.State(), canaryShare(t, r); st.Revision != 3 || st.Step != 1 || share < 0.2 || share > 0.3 {
		t.Errorf("restored revision %d at step %d, canary share %v; want revision 3, step 1, about 0.25", st.Revision, st.Step, share)
	}
}

// A rollout that could not start (its canary unknown to the router) starts
// cleanly once the canary is there: all traffic on stable, a started event.
func TestRolloutStartRetriesTheSplit(t *testing.T) {
	ctx := context.Background()
	r := newRouter(t, "stable")
	var events []string
	ro, err := rollout.New(r, spec(rollout.Pause(0)), &rollout.Options{OnEvent: func(e rollout.Event) { events = append(events, e.Type) }})
	if err != nil {
		t.Fatal(err)
	}
	pauseBeforeAndAfterCanary(ctx, t, r, ro)
	if v, err := r.Route(deploy.Request{Key: "k"}); err != nil || v != "stable" {
		t.Errorf("Route = %q, %v; want stable", v, err)
	}
	if diff := cmp.Diff([]string{rollout.EventStarted, rollout.EventPaused}, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
