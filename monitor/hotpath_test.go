package monitor_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/monitor"
)

func TestHotPathDoesNotAllocate(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts *monitor.Options
	}{
		{"defaults", nil},
		{"every call cost-sampled", &monitor.Options{CostSampleEvery: 1, Prices: monitor.Prices{VCPUSecond: 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := newMetrics(t, tc.opts)
			f := monitor.WrapFunc(m, "m", "1", linear, &monitor.WrapOptions[float64]{
				Value: func(v float64) (float64, bool) { return v, true },
				Class: func(v float64) string {
					if v > 0 {
						return "pos"
					}
					return "neg"
				},
			})
			ctx := context.Background()
			in := [4]float64{1, 2, 3, 4}
			for range 100 { // warm up: first use creates series and native buckets
				_, _ = f(ctx, in)
			}
			if n := testing.AllocsPerRun(1000, func() { _, _ = f(ctx, in) }); n != 0 {
				t.Fatalf("%v allocations per instrumented call, want 0", n)
			}
		})
	}
}

// scorer is a Predictor of a user's own: Wrap takes it as it is.
type scorer struct{}

func (scorer) Predict(ctx context.Context, in [4]float64) (float64, error) { return linear(ctx, in) }

func (scorer) Ready(context.Context) bool { return true }

// The Predictor form and Recorder, which a deploy.Router calls as its
// Observer, allocate nothing either.
func TestWrapAndRecorderDoNotAllocate(t *testing.T) {
	m, _ := newMetrics(t, nil)
	p := monitor.Wrap(m, "m", "1", scorer{}, nil)
	if rd, ok := p.(interface{ Ready(context.Context) bool }); !ok || !rd.Ready(context.Background()) {
		t.Errorf("Wrap hid the predictor's readiness")
	}
	rec := m.Recorder("m", "2")
	ctx := context.Background()
	in := [4]float64{1, 2, 3, 4}
	for range 100 {
		_, _ = p.Predict(ctx, in)
		rec(time.Millisecond, nil)
	}
	if n := testing.AllocsPerRun(1000, func() { _, _ = p.Predict(ctx, in) }); n != 0 {
		t.Errorf("%v allocations per call of a wrapped Predictor, want 0", n)
	}
	if n := testing.AllocsPerRun(1000, func() { rec(time.Millisecond, nil) }); n != 0 {
		t.Errorf("%v allocations per recorded call, want 0", n)
	}
	if w := m.Window("m", "2"); w.Requests != 1101 || w.ByOutcome[monitor.OutcomeOK] != 1101 { // 100, then AllocsPerRun's 1 + 1000
		t.Errorf("Recorder's window: %d requests", w.Requests)
	}
	if nilRec := (*monitor.Metrics)(nil).Recorder("m", "1"); nilRec == nil {
		t.Error("a nil Metrics gave a nil Recorder")
	} else {
		nilRec(time.Second, errors.New("x")) // records nothing, does not panic
	}
	if got := monitor.Wrap[[4]float64, float64](nil, "m", "1", scorer{}, nil); got != (scorer{}) {
		t.Errorf("Wrap on a nil Metrics returned %v, want the predictor itself", got)
	}
}

func TestSeriesDo(t *testing.T) {
	m, _ := newMetrics(t, nil)
	s := m.Series("m", "1")
	errBoom := errors.New("boom")
	if err := s.Do(context.Background(), func(context.Context) error { return errBoom }); !errors.Is(err, errBoom) {
		t.Fatalf("Do returned %v, want the function's error", err)
	}
	if err := s.Do(context.Background(), func(context.Context) error { return context.DeadlineExceeded }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do returned %v", err)
	}
	_ = s.Do(context.Background(), func(context.Context) error { return nil })
	func() {
		defer func() {
			if r := recover(); r != "x" {
				t.Errorf("Do recovered %v, want the panic \"x\" re-raised", r)
			}
		}()
		_ = s.Do(context.Background(), func(context.Context) error { panic("x") })
	}()
	s.Observe(monitor.Outcome(99), 0) // out of range: counted as an error
	st := s.Window()
	want := [5]uint64{1, 3, 1, 0, 0} // ok, error (boom, the panic, 99), timeout
	for o, w := range want {
		if st.ByOutcome[o] != w {
			t.Errorf("%v = %d, want %d", monitor.Outcome(o), st.ByOutcome[o], w)
		}
	}
	if s.Model() != "m" || s.Version() != "1" {
		t.Errorf("labels %q %q", s.Model(), s.Version())
	}
}

func TestNativeHistogramSettings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   *monitor.Options
		native bool
	}{
		{"default", nil, true},
		{"disabled", &monitor.Options{DisableNativeHistograms: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, reg := newMetrics(t, tc.opts)
			m.Series("m", "1").Observe(monitor.OutcomeOK, 3e6) // 3ms
			mfs, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			for _, mf := range mfs {
				if mf.GetName() != monitor.MetricDuration {
					continue
				}
				h := mf.GetMetric()[0].GetHistogram()
				if got := h.Schema != nil; got != tc.native {
					t.Fatalf("native schema present = %v, want %v", got, tc.native)
				}
				if tc.native && h.GetSchema() != 3 { // factor 1.1 rounds to schema 3 (2^(2^-3) ≈ 1.09)
					t.Errorf("schema %d, want 3", h.GetSchema())
				}
				if len(h.GetBucket()) != len(monitor.DefaultBuckets()) {
					t.Errorf("%d classic buckets, want %d", len(h.GetBucket()), len(monitor.DefaultBuckets()))
				}
				return
			}
			t.Fatal("no latency histogram gathered")
		})
	}
}

func TestNilMetricsRecordsNothing(t *testing.T) {
	var m *monitor.Metrics
	f := monitor.WrapFunc(m, "m", "1", linear, nil)
	if v, err := f(context.Background(), [4]float64{2}); v != 1 || err != nil {
		t.Fatalf("wrapped on nil Metrics = %v, %v", v, err)
	}
	next := http.NotFoundHandler()
	if h := m.Middleware("m", "1", next); h == nil {
		t.Fatal("Middleware on nil Metrics returned nil")
	}
	m.SetDrift("m", "f", "ks", 1, true)
	m.DeleteDrift("m")
	m.SetModelInfo("m", "1", "d")
	m.DeleteModelInfo("m", "1")
	m.SetRolloutWeight("m", "1", 50)
	m.SetRolloutPhase("m", "paused")
	m.ClearRollout("m")
	m.Forget("m", "1")
	m.Unregister()
	if _, ok := m.RolloutWeight("m", "1"); ok {
		t.Error("weight on nil Metrics")
	}
	if _, ok := m.RolloutPhase("m"); ok {
		t.Error("phase on nil Metrics")
	}
	s := m.Series("m", "1")
	s.Observe(monitor.OutcomeOK, time.Millisecond)
	s.ObserveValue(1)
	s.ObserveClass("a")
	if err := s.Do(context.Background(), func(context.Context) error { return errors.ErrUnsupported }); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Do on nil Series = %v", err)
	}
	if st := m.Window("m", "1"); st.Requests != 0 || s.Window().Requests != 0 || s.Range(time.Time{}, time.Now()).Requests != 0 {
		t.Error("window on nil Metrics has requests")
	}
	if m.Cost("m", "1") != (monitor.CostStats{}) || s.Model() != "" || s.Version() != "" {
		t.Error("nil Metrics reported something")
	}
}
