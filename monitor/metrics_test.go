package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sextant-ml/sextant/monitor"
)

func newMetrics(t *testing.T, opts *monitor.Options) (*monitor.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m, err := monitor.New(reg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m, reg
}

func TestNewInvalidOptions(t *testing.T) {
	for _, tc := range []struct {
		name string
		reg  prometheus.Registerer
		opts *monitor.Options
	}{
		{"nil registerer", nil, nil},
		{"buckets not increasing", prometheus.NewRegistry(), &monitor.Options{Buckets: []float64{0.1, 0.1}}},
		{"bucket NaN", prometheus.NewRegistry(), &monitor.Options{Buckets: []float64{math.NaN()}}},
		{"value buckets decreasing", prometheus.NewRegistry(), &monitor.Options{ValueBuckets: []float64{1, 0}}},
		{"too many slots", prometheus.NewRegistry(), &monitor.Options{WindowSlots: 100000}},
		{"slots too fine", prometheus.NewRegistry(), &monitor.Options{Window: 100 * time.Millisecond, WindowSlots: 200}},
		{"sample too large", prometheus.NewRegistry(), &monitor.Options{WindowSample: 1 << 20}},
		{"window too large", prometheus.NewRegistry(), &monitor.Options{WindowSlots: 600, WindowSample: 4096}},
		{"negative price", prometheus.NewRegistry(), &monitor.Options{Prices: monitor.Prices{VCPUSecond: -1}}},
		{"infinite memory", prometheus.NewRegistry(), &monitor.Options{Prices: monitor.Prices{MemoryBytes: math.Inf(1)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := monitor.New(tc.reg, tc.opts)
			if !errors.Is(err, monitor.ErrInvalidOptions) || m != nil {
				t.Fatalf("New = %v, %v; want nil, ErrInvalidOptions", m, err)
			}
			if !strings.HasPrefix(err.Error(), "monitor: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestTwoSetsOneRegistry(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	a, err := monitor.New(reg, &monitor.Options{ConstLabels: prometheus.Labels{"service": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := monitor.New(reg, &monitor.Options{ConstLabels: prometheus.Labels{"service": "b"}})
	if err != nil {
		t.Fatalf("second set with other const labels: %v", err)
	}
	a.Series("m", "1").Observe(monitor.OutcomeOK, time.Millisecond)
	b.Series("m", "1").Observe(monitor.OutcomeError, time.Millisecond)
	b.Series("m", "1").Observe(monitor.OutcomeError, time.Millisecond)
	want := `
# HELP sextant_predictions_total Predictions finished, by model, version and outcome (ok, error, timeout, canceled, rejected).
# TYPE sextant_predictions_total counter
sextant_predictions_total{model="m",outcome="canceled",service="a",version="1"} 0
sextant_predictions_total{model="m",outcome="canceled",service="b",version="1"} 0
sextant_predictions_total{model="m",outcome="error",service="a",version="1"} 0
sextant_predictions_total{model="m",outcome="error",service="b",version="1"} 2
sextant_predictions_total{model="m",outcome="ok",service="a",version="1"} 1
sextant_predictions_total{model="m",outcome="ok",service="b",version="1"} 0
sextant_predictions_total{model="m",outcome="rejected",service="a",version="1"} 0
sextant_predictions_total{model="m",outcome="rejected",service="b",version="1"} 0
sextant_predictions_total{model="m",outcome="timeout",service="a",version="1"} 0
sextant_predictions_total{model="m",outcome="timeout",service="b",version="1"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), monitor.MetricPredictions); err != nil {
		t.Fatal(err)
	}

	// The same const labels again collide, and nothing half-registered
	// is left behind.
	before, _ := reg.Gather()
	if _, err := monitor.New(reg, &monitor.Options{ConstLabels: prometheus.Labels{"service": "a"}}); !errors.Is(err, monitor.ErrRegister) {
		t.Fatalf("duplicate set: %v, want ErrRegister", err)
	}
	after, _ := reg.Gather()
	if len(before) != len(after) {
		t.Fatalf("families %d before the failed New, %d after", len(before), len(after))
	}
	// Unregister frees the name for a new set.
	a.Unregister()
	if _, err := monitor.New(reg, &monitor.Options{ConstLabels: prometheus.Labels{"service": "a"}}); err != nil {
		t.Fatalf("New after Unregister: %v", err)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want monitor.Outcome
	}{
		{nil, monitor.OutcomeOK},
		{errors.New("x"), monitor.OutcomeError},
		{fmt.Errorf("wrapped: %w", context.Canceled), monitor.OutcomeCanceled},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), monitor.OutcomeTimeout},
	} {
		if got := monitor.Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	if got := monitor.Outcome(200).String(); got != "invalid" {
		t.Errorf("out-of-range outcome String = %q", got)
	}
}

func TestWrapClassifyAndPanic(t *testing.T) {
	m, reg := newMetrics(t, nil)
	errBadInput := errors.New("bad input")
	predict := monitor.WrapFunc(m, "m", "1", func(_ context.Context, in string) (int, error) {
		switch in {
		case "panic":
			panic("model exploded")
		case "bad":
			return 0, errBadInput
		}
		return len(in), nil
	}, &monitor.WrapOptions[int]{
		Classify: func(err error) monitor.Outcome {
			if errors.Is(err, errBadInput) {
				return monitor.OutcomeRejected
			}
			return monitor.Classify(err)
		},
	})
	if n, err := predict(context.Background(), "abc"); n != 3 || err != nil {
		t.Fatalf("predict = %d, %v", n, err)
	}
	if _, err := predict(context.Background(), "bad"); !errors.Is(err, errBadInput) {
		t.Fatalf("error not passed through: %v", err)
	}
	func() {
		defer func() {
			if r := recover(); r != "model exploded" {
				t.Errorf("recovered %v, want the original panic", r)
			}
		}()
		_, _ = predict(context.Background(), "panic")
	}()
	for o, want := range map[string]float64{"ok": 1, "rejected": 1, "error": 1, "timeout": 0} {
		got := testutil.ToFloat64(counter(t, reg, monitor.MetricPredictions, "outcome", o))
		if got != want {
			t.Errorf("outcome %s = %v, want %v", o, got, want)
		}
	}
	if got := m.Series("m", "1").Window().ByOutcome[monitor.OutcomeRejected]; got != 1 {
		t.Errorf("window rejected = %d, want 1", got)
	}
	if inflight := gaugeValue(t, reg, monitor.MetricInFlight); inflight != 0 {
		t.Errorf("in flight after panic = %v, want 0", inflight)
	}
}

// counter returns a collector reading the one series of name whose label
// has the value, for testutil.ToFloat64.
func counter(t *testing.T, reg *prometheus.Registry, name, label, value string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if lp.GetName() == label && lp.GetValue() == value {
					c := prometheus.NewCounter(prometheus.CounterOpts{Name: "x"})
					c.Add(mt.GetCounter().GetValue())
					return c
				}
			}
		}
	}
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "x"})
	return c
}

func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, mt := range mf.GetMetric() {
				sum += mt.GetGauge().GetValue()
			}
		}
	}
	return sum
}

func TestClassCardinalityBounded(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     *monitor.Options
		wantKept []string
	}{
		{"first seen", &monitor.Options{MaxClasses: 3}, []string{"a", "b", "c"}},
		{"allow list", &monitor.Options{Classes: []string{"cat", "dog"}}, []string{"cat", "dog"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, reg := newMetrics(t, tc.opts)
			s := m.Series("m", "1")
			adversarial := []string{"a", "b", "cat", "c", "dog", "", "other",
				strings.Repeat("x", 1000), "\xff\xfe", "d", "e"}
			// The legitimate classes come first; then an attacker floods.
			for _, c := range tc.wantKept {
				s.ObserveClass(c)
			}
			var wg sync.WaitGroup
			const workers, per = 8, 500
			for w := range workers {
				wg.Go(func() {
					for i := range per {
						switch i % 3 {
						case 0:
							s.ObserveClass(adversarial[(w+i)%len(adversarial)])
						case 1:
							s.ObserveClass(fmt.Sprintf("attack-%d-%d", w, i))
						default:
							s.ObserveClass(tc.wantKept[i%len(tc.wantKept)])
						}
					}
				})
			}
			wg.Wait()
			n, err := testutil.GatherAndCount(reg, monitor.MetricClass)
			if err != nil {
				t.Fatal(err)
			}
			if n > len(tc.wantKept)+1 {
				t.Fatalf("%d class series, want at most %d", n, len(tc.wantKept)+1)
			}
			mfs, _ := reg.Gather()
			var total float64
			for _, mf := range mfs {
				if mf.GetName() != monitor.MetricClass {
					continue
				}
				for _, mt := range mf.GetMetric() {
					total += mt.GetCounter().GetValue()
				}
			}
			if want := float64(workers*per + len(tc.wantKept)); total != want {
				t.Fatalf("counted %v classes, want %v: nothing may be dropped", total, want)
			}
			// Each kept class has its own series.
			for _, c := range tc.wantKept {
				if got := testutil.ToFloat64(counter(t, reg, monitor.MetricClass, "class", c)); got == 0 {
					t.Errorf("class %q has no count", c)
				}
			}
		})
	}
}

func TestDriftInfoRollout(t *testing.T) {
	m, reg := newMetrics(t, nil)
	m.SetDrift("fraud", "amount", "psi", 0.4, true)
	m.SetDrift("fraud", "amount", "psi", 0.05, false) // a later check
	m.SetDrift("churn", "tenure", "ks", 0.2, true)
	m.SetModelInfo("fraud", "v1", "sha256:aa")
	m.SetModelInfo("fraud", "v2", "sha256:bb")
	m.DeleteModelInfo("fraud", "v1")
	m.DeleteModelInfo("fraud", "v9")              // unknown: no effect
	m.SetRolloutWeight("fraud", "v1", 90)         // percent: exported as 0.9
	m.SetRolloutWeight("fraud", "v2", 170)        // clamped to 100
	m.SetRolloutWeight("fraud", "v3", -2)         // clamped to 0
	m.SetRolloutWeight("fraud", "v4", math.NaN()) // ignored
	m.SetRolloutPhase("fraud", "progressing")
	m.SetRolloutPhase("churn", "promoted")

	want := `
# HELP sextant_feature_drift_detected 1 when the latest drift check of a feature found drift, else 0.
# TYPE sextant_feature_drift_detected gauge
sextant_feature_drift_detected{feature="amount",method="psi",model="fraud"} 0
sextant_feature_drift_detected{feature="tenure",method="ks",model="churn"} 1
# HELP sextant_feature_drift_score Latest drift score of a feature, by detection method.
# TYPE sextant_feature_drift_score gauge
sextant_feature_drift_score{feature="amount",method="psi",model="fraud"} 0.05
sextant_feature_drift_score{feature="tenure",method="ks",model="churn"} 0.2
# HELP sextant_model_info Always 1 for each model version served, with its content digest.
# TYPE sextant_model_info gauge
sextant_model_info{digest="sha256:bb",model="fraud",version="v2"} 1
# HELP sextant_rollout_phase 1 for the current rollout phase of a model.
# TYPE sextant_rollout_phase gauge
sextant_rollout_phase{model="churn",phase="promoted"} 1
sextant_rollout_phase{model="fraud",phase="progressing"} 1
# HELP sextant_rollout_weight Share of traffic routed to a model version, from 0 to 1.
# TYPE sextant_rollout_weight gauge
sextant_rollout_weight{model="fraud",version="v1"} 0.9
sextant_rollout_weight{model="fraud",version="v2"} 1
sextant_rollout_weight{model="fraud",version="v3"} 0
`
	names := []string{monitor.MetricDriftScore, monitor.MetricDriftDetected, monitor.MetricModelInfo, monitor.MetricRolloutWeight, monitor.MetricRolloutPhase}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
	if w, ok := m.RolloutWeight("fraud", "v2"); !ok || w != 100 {
		t.Errorf("RolloutWeight(fraud, v2) = %v, %v; want 100, true", w, ok)
	}
	if _, ok := m.RolloutWeight("fraud", "v4"); ok {
		t.Error("a NaN weight was stored")
	}
	if p, ok := m.RolloutPhase("fraud"); !ok || p != "progressing" {
		t.Errorf("RolloutPhase(fraud) = %q, %v", p, ok)
	}

	m.ClearRollout("fraud")
	m.DeleteDrift("fraud")
	if _, ok := m.RolloutPhase("fraud"); ok {
		t.Error("phase survives ClearRollout")
	}
	want = `
# HELP sextant_feature_drift_detected 1 when the latest drift check of a feature found drift, else 0.
# TYPE sextant_feature_drift_detected gauge
sextant_feature_drift_detected{feature="tenure",method="ks",model="churn"} 1
# HELP sextant_feature_drift_score Latest drift score of a feature, by detection method.
# TYPE sextant_feature_drift_score gauge
sextant_feature_drift_score{feature="tenure",method="ks",model="churn"} 0.2
# HELP sextant_model_info Always 1 for each model version served, with its content digest.
# TYPE sextant_model_info gauge
sextant_model_info{digest="sha256:bb",model="fraud",version="v2"} 1
# HELP sextant_rollout_phase 1 for the current rollout phase of a model.
# TYPE sextant_rollout_phase gauge
sextant_rollout_phase{model="churn",phase="promoted"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Fatal(err)
	}
}

func TestLabelValuesSanitised(t *testing.T) {
	m, reg := newMetrics(t, nil)
	bad := "v\xff1"
	long := strings.Repeat("é", 100) // 200 bytes
	m.Series(bad, long).Observe(monitor.OutcomeOK, time.Millisecond)
	m.SetDrift(bad, long, bad, 1, true)
	m.SetModelInfo(bad, bad, long)
	m.SetRolloutPhase(bad, long)
	if _, err := reg.Gather(); err != nil {
		t.Fatalf("gather after odd label values: %v", err)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
	// The sanitised names still find the same series.
	if got := m.Window(bad, long).Requests; got != 1 {
		t.Errorf("Window with the original odd labels = %d requests, want 1", got)
	}
}

func TestForget(t *testing.T) {
	m, reg := newMetrics(t, nil)
	m.Series("fraud", "v1").Observe(monitor.OutcomeOK, time.Millisecond)
	m.Series("fraud", "v1").ObserveClass("a")
	m.Series("fraud", "v1").ObserveValue(0.5)
	m.SetModelInfo("fraud", "v1", "sha256:aa")
	m.Series("fraud", "v2").Observe(monitor.OutcomeOK, time.Millisecond)
	m.Forget("fraud", "v1")
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if lp.GetName() == "version" && lp.GetValue() == "v1" {
					t.Errorf("%s still has a v1 series", mf.GetName())
				}
			}
		}
	}
	if got := m.Window("fraud", "v1").Requests; got != 0 {
		t.Errorf("window of a forgotten version has %d requests", got)
	}
	if got := m.Window("fraud", "v2").Requests; got != 1 {
		t.Errorf("window of v2 has %d requests, want 1", got)
	}
}

func TestConcurrentPredictions(t *testing.T) {
	m, reg := newMetrics(t, &monitor.Options{CostSampleEvery: 7})
	predict := monitor.WrapFunc(m, "m", "1", func(_ context.Context, i int) (int, error) {
		if i%10 == 0 {
			return 0, errors.New("fail")
		}
		return i, nil
	}, &monitor.WrapOptions[int]{
		Value: func(v int) (float64, bool) { return float64(v%10) / 10, true },
		Class: func(v int) string { return fmt.Sprint(v % 5) },
	})
	const workers, per = 8, 1000
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range per {
				_, _ = predict(context.Background(), i)
			}
		})
	}
	for range 20 { // readers race with writers
		_ = m.Window("m", "1")
		_, _ = reg.Gather()
	}
	wg.Wait()
	st := m.Window("m", "1")
	if st.Requests != workers*per || st.Errors != workers*per/10 {
		t.Fatalf("window: %d requests, %d errors; want %d, %d", st.Requests, st.Errors, workers*per, workers*per/10)
	}
	// Sampling draws one call in 7 at random: 8,000 calls give a binomial
	// count with mean 1142.9 and standard deviation 31.3; allow 6 of them.
	if got := float64(m.Cost("m", "1").Samples); math.Abs(got-8000.0/7) > 6*31.3 {
		t.Errorf("cost samples = %v, want about %v", got, 8000.0/7)
	}
	if got := testutil.ToFloat64(counter(t, reg, monitor.MetricPredictions, "outcome", "ok")); got != workers*per*9/10 {
		t.Errorf("ok = %v", got)
	}
}

// Options.Classify decides outcomes for Recorder and for Wrap without a
// Classify of its own; WrapOptions.Classify still wins.
func TestOptionsClassify(t *testing.T) {
	errBad := errors.New("bad input")
	m, _ := newMetrics(t, &monitor.Options{Classify: func(err error) monitor.Outcome {
		if errors.Is(err, errBad) {
			return monitor.OutcomeRejected
		}
		return monitor.Classify(err)
	}})
	m.Recorder("m", "rec")(time.Millisecond, errBad)
	m.Recorder("m", "rec")(time.Millisecond, errors.New("boom"))
	fail := func(context.Context, int) (int, error) { return 0, errBad }
	_, _ = monitor.WrapFunc(m, "m", "wrap", fail, nil)(context.Background(), 1)
	_, _ = monitor.WrapFunc(m, "m", "own", fail, &monitor.WrapOptions[int]{Classify: func(error) monitor.Outcome { return monitor.OutcomeTimeout }})(context.Background(), 1)
	rec, wrap, own := m.Window("m", "rec"), m.Window("m", "wrap"), m.Window("m", "own")
	if rec.ByOutcome[monitor.OutcomeRejected] != 1 || rec.ByOutcome[monitor.OutcomeError] != 1 || rec.Errors != 1 {
		t.Errorf("Recorder: %v outcomes, %d errors; want one rejected, one error", rec.ByOutcome, rec.Errors)
	}
	if wrap.ByOutcome[monitor.OutcomeRejected] != 1 || wrap.Errors != 0 {
		t.Errorf("WrapFunc: %v", wrap.ByOutcome)
	}
	if own.ByOutcome[monitor.OutcomeTimeout] != 1 {
		t.Errorf("WrapFunc with its own Classify: %v", own.ByOutcome)
	}
}
