package deploy_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/registry"
)

// The packages on the other side of deploy's seams satisfy them as they are.
var (
	_ deploy.MetricsSink         = (*monitor.Metrics)(nil)
	_ deploy.NumberedAliasSetter = (*registry.Registry)(nil)
)

// A rollout's transitions reach the monitor package's gauges.
func TestRolloutIsVisibleToMonitor(t *testing.T) {
	preg := prometheus.NewRegistry()
	m, err := monitor.New(preg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := newRouter(t, nil, "v1", "v2")
	ro, err := deploy.NewRollout(r, deploy.Spec{Model: "churn", Stable: "v1", Canary: "v2",
		Steps: []deploy.Step{deploy.SetWeight(30), deploy.Pause(0)}}, &deploy.RolloutOptions{Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := ro.Pause(ctx, "look"); err != nil { // starts the rollout at 0%, paused
		t.Fatal(err)
	}
	gauges := func() map[string]float64 {
		t.Helper()
		mfs, err := preg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			if mf.GetName() != monitor.MetricRolloutWeight && mf.GetName() != monitor.MetricRolloutPhase {
				continue
			}
			for _, s := range mf.GetMetric() {
				key := mf.GetName()
				for _, l := range s.GetLabel() {
					key += " " + l.GetName() + "=" + l.GetValue()
				}
				got[key] = s.GetGauge().GetValue()
			}
		}
		return got
	}
	want := map[string]float64{
		monitor.MetricRolloutWeight + " model=churn version=v1":  1,
		monitor.MetricRolloutWeight + " model=churn version=v2":  0,
		monitor.MetricRolloutPhase + " model=churn phase=paused": 1,
	}
	if diff := cmp.Diff(want, gauges()); diff != "" {
		t.Errorf("paused (-want +got):\n%s", diff)
	}
	if err := ro.Promote(ctx, "looks good"); err != nil {
		t.Fatal(err)
	}
	want = map[string]float64{
		monitor.MetricRolloutWeight + " model=churn version=v1":    0,
		monitor.MetricRolloutWeight + " model=churn version=v2":    1,
		monitor.MetricRolloutPhase + " model=churn phase=promoted": 1,
	}
	if diff := cmp.Diff(want, gauges()); diff != "" {
		t.Errorf("promoted (-want +got):\n%s", diff)
	}
}
