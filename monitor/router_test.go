package monitor_test

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/monitor"
)

// sum adds up every series of a counter whose labels include want.
func sum(t *testing.T, reg *prometheus.Registry, name string, want map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, mt := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range mt.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue next
				}
			}
			total += mt.GetCounter().GetValue()
		}
	}
	return total
}

// Versions wrapped BehindRouter, behind a router whose Observer is the same
// Metrics: routed calls are counted once, direct calls stay out of the
// counters and the window, and cost covers both.
func TestWrapBehindRouter(t *testing.T) {
	m, reg := newMetrics(t, &monitor.Options{CostSampleEvery: 1})
	wrap := func(version string) deploy.Predictor[[4]float64, float64] {
		return monitor.Wrap(m, "m", version, scorer{}, &monitor.WrapOptions[float64]{
			BehindRouter: true, Value: func(v float64) (float64, bool) { return v, true }})
	}
	r, err := deploy.NewRouter(map[string]deploy.Predictor[[4]float64, float64]{"1": wrap("1"), "2": wrap("2")},
		&deploy.RouterOptions[float64]{Model: "m", Observer: m})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.SetCanary("1", "2", 100)
	ctx := context.Background()
	for range 7 {
		r.Serve(ctx, deploy.Request{}, [4]float64{1, 2, 3, 4})
	}
	for range 5 {
		r.PredictVersion(ctx, "2", [4]float64{1, 2, 3, 4})
	}
	if got := sum(t, reg, monitor.MetricPredictions, map[string]string{"version": "2"}); got != 7 {
		t.Errorf("%v predictions counted, want the 7 routed ones", got)
	}
	if w := m.Window("m", "2"); w.Requests != 7 {
		t.Errorf("window holds %d requests, want 7", w.Requests)
	}
	if got := sum(t, reg, monitor.MetricCostSamples, map[string]string{"version": "2"}); got != 12 {
		t.Errorf("%v cost samples, want 12 (every call)", got)
	}
	if g := testGauge(t, reg, monitor.MetricInFlight, "2"); g != 0 {
		t.Errorf("in flight %v after every call returned", g)
	}
}

func testGauge(t *testing.T, reg *prometheus.Registry, name, version string) float64 {
	t.Helper()
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, mt := range mf.GetMetric() {
			for _, lp := range mt.GetLabel() {
				if lp.GetName() == "version" && lp.GetValue() == version {
					return mt.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no %s for version %s", name, version)
	return 0
}
