package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/registry"
)

// The packages on the other side of deploy's seams satisfy them as they are.
var (
	_ rollout.MetricsSink         = (*monitor.Metrics)(nil)
	_ rollout.Source              = (*monitor.Metrics)(nil)
	_ rollout.NumberedAliasSetter = (*registry.Registry)(nil)
	_ rollout.Traffic             = (*deploy.Router[int, int])(nil)
	_ deploy.Observer             = (*monitor.Metrics)(nil)
)

// A client that calls the canary by name, however often and however
// badly, cannot fail an analysis: the router gives the window routed
// calls only. Here every direct call fails while routed traffic is
// healthy, and the canary is promoted.
func TestDirectCallsCannotTiltARollout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		metrics := newMetrics(t)
		fails := errors.New("refused")
		version := deploy.PredictorFunc[int, string](func(_ context.Context, in int) (string, error) {
			time.Sleep(time.Duration(10+in%5) * time.Millisecond)
			if in < 0 {
				return "", fails
			}
			return "ok", nil
		})
		r, err := deploy.NewRouter(map[string]deploy.Predictor[int, string]{"stable": version, "canary": version},
			&deploy.RouterOptions[string]{Model: "churn", Observer: metrics, DirectAnyVersion: true})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		ro, err := rollout.New(r, spec(rollout.SetWeight(50), rollout.Analyze(analysis())), &rollout.Options{Source: metrics})
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { // routed traffic
			for i := 0; ctx.Err() == nil; i++ {
				r.Serve(ctx, deploy.Request{Key: fmt.Sprint(i)}, i)
				time.Sleep(5 * time.Millisecond)
			}
		})
		var direct atomic.Int64
		wg.Go(func() { // a client naming the canary, failing ten times as often
			for i := 0; ctx.Err() == nil; i++ {
				for range 10 {
					if _, err := r.PredictVersion(ctx, "canary", -1); errors.Is(err, fails) {
						direct.Add(1)
					}
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
		st, err := ro.Run(t.Context())
		stop()
		wg.Wait()
		if err != nil || st.Phase != rollout.Promoted {
			t.Fatalf("phase %s, %v (%s); want promoted", st.Phase, err, st.Reason)
		}
		if direct.Load() < 1000 {
			t.Fatalf("only %d failed direct calls: the test did not try", direct.Load())
		}
		if w := metrics.Window("churn", "canary"); w.Errors != 0 {
			t.Errorf("the window holds %d errors of direct calls", w.Errors)
		}
	})
}

// A rollout's transitions reach the monitor package's gauges.
func TestRolloutIsVisibleToMonitor(t *testing.T) {
	preg := prometheus.NewRegistry()
	m, err := monitor.New(preg, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := newRouter(t, "v1", "v2")
	ro, err := rollout.New(r, rollout.Spec{Model: "churn", Stable: "v1", Canary: "v2",
		Steps: []rollout.Step{rollout.SetWeight(30), rollout.Pause(0)}}, &rollout.Options{Metrics: m})
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
