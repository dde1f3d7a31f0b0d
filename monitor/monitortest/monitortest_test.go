package monitortest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/monitor/monitortest"
)

func TestRecorderReadsBack(t *testing.T) {
	r := monitortest.New(t, nil)
	m := r.Metrics
	predict := monitor.WrapFunc(m, "fraud", "v2",
		monitortest.Scripted[int](r.Clock, monitortest.Script{Latency: 250 * time.Millisecond, FailEvery: 4}, 0.75),
		&monitor.WrapOptions[float64]{
			Value: func(p float64) (float64, bool) { return p, true },
			Class: func(float64) string { return "fraud" },
		})
	for range 8 {
		_, _ = predict(context.Background(), 0)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := predict(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled call: %v", err)
	}
	m.SetDrift("fraud", "amount", "psi", 0.3, true)
	m.SetModelInfo("fraud", "v2", "sha256:ab")
	m.SetRolloutWeight("fraud", "v2", 10)
	m.SetRolloutPhase("fraud", "progressing")

	checks := []struct {
		name      string
		got, want any
	}{
		{"ok", r.Predictions("fraud", "v2", monitor.OutcomeOK), 6.0},
		{"error", r.Predictions("fraud", "v2", monitor.OutcomeError), 2.0},
		{"canceled", r.Predictions("fraud", "v2", monitor.OutcomeCanceled), 1.0},
		{"total", r.Total("fraud", "v2"), 9.0},
		{"in flight", r.InFlight("fraud", "v2"), 0.0},
		{"classes", r.Classes("fraud", "v2"), map[string]float64{"fraud": 6}},
		{"unknown version", r.Total("fraud", "v9"), 0.0},
	}
	for _, c := range checks {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
	if n, sum := r.Latency("fraud", "v2"); n != 9 || sum != 9*0.25 {
		t.Errorf("latency count %d sum %v, want 9, 2.25", n, sum)
	}
	if n, sum := r.Values("fraud", "v2"); n != 6 || sum != 6*0.75 {
		t.Errorf("values count %d sum %v, want 6, 4.5", n, sum)
	}
	if s, d, ok := r.Drift("fraud", "amount", "psi"); !ok || !d || s != 0.3 {
		t.Errorf("drift = %v %v %v", s, d, ok)
	}
	if _, _, ok := r.Drift("fraud", "age", "ks"); ok {
		t.Error("drift of an unknown feature reported")
	}
	if dg, ok := r.ModelInfo("fraud", "v2"); !ok || dg != "sha256:ab" {
		t.Errorf("model info = %q %v", dg, ok)
	}
	if w, ok := r.RolloutWeight("fraud", "v2"); !ok || w != 0.1 {
		t.Errorf("weight = %v %v", w, ok)
	}
	if p, ok := r.RolloutPhase("fraud"); !ok || p != "progressing" {
		t.Errorf("phase = %q %v", p, ok)
	}
	if got := r.Count(monitor.MetricPredictions); got != 5 {
		t.Errorf("%d prediction series, want one per outcome (5)", got)
	}
	if s := r.Scrape(); !strings.Contains(s, `sextant_predictions_total{model="fraud",outcome="error",version="v2"} 2`) {
		t.Errorf("scrape lacks the error count:\n%s", s)
	}
	// The window follows the Recorder's clock: 9 calls of 250ms moved it
	// 2.25s; a minute later they have left the window.
	if st := m.Window("fraud", "v2"); st.Requests != 9 || st.Errors != 2 {
		t.Errorf("window: %d requests %d errors", st.Requests, st.Errors)
	}
	r.Clock.Advance(2 * time.Minute)
	if st := m.Window("fraud", "v2"); st.Requests != 0 {
		t.Errorf("window after 2m: %d requests", st.Requests)
	}
}

func TestScriptedCustomError(t *testing.T) {
	errDown := errors.New("backend down")
	clk := monitortest.NewClock(time.Unix(0, 0))
	f := monitortest.Scripted[string](clk, monitortest.Script{Latency: time.Second, FailEvery: 1, Err: errDown}, "x")
	if _, err := f(context.Background(), "in"); !errors.Is(err, errDown) {
		t.Fatalf("err = %v, want %v", err, errDown)
	}
	if got := clk.Now(); !got.Equal(time.Unix(1, 0)) {
		t.Fatalf("clock = %v, want 1s after the epoch", got)
	}
}

func TestRecorderKeepsGivenOptions(t *testing.T) {
	fixed := time.Unix(1e9, 0)
	r := monitortest.New(t, &monitor.Options{Now: func() time.Time { return fixed }, CostSampleEvery: 1})
	r.Metrics.Series("m", "1").Do(context.Background(), func(context.Context) error { return nil })
	if got := r.Metrics.Cost("m", "1").Samples; got != 1 {
		t.Errorf("cost samples = %d, want 1 with CostSampleEvery 1", got)
	}
	r.Clock.Advance(time.Hour) // not the clock in use: the window still counts
	if st := r.Metrics.Window("m", "1"); st.Requests != 1 {
		t.Errorf("window = %d requests, want 1", st.Requests)
	}
}

// A zero Recorder is empty rather than broken.
func TestRecorderZeroValue(t *testing.T) {
	var r monitortest.Recorder
	if v, ok := r.Value("sextant_predictions_total", nil); ok || v != 0 {
		t.Errorf("Value = %v, %v; want 0, false", v, ok)
	}
	if n := r.Total("fraud", "v1"); n != 0 {
		t.Errorf("Total = %v, want 0", n)
	}
	if s := r.Scrape(); s != "" {
		t.Errorf("Scrape = %q, want empty", s)
	}
}
