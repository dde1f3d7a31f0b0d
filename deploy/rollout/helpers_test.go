package rollout_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/deploytest"
	"github.com/sextant-ml/sextant/monitor"
)

type fake = deploytest.Fake[int, string]

func newFake(out string) *fake { return deploytest.NewFake[int](out) }

func newRouter(t *testing.T, opts *deploy.RouterOptions[string], versions ...string) (*deploy.Router[int, string], map[string]*fake) {
	t.Helper()
	fakes := map[string]*fake{}
	preds := map[string]deploy.Predictor[int, string]{}
	for _, v := range versions {
		fakes[v] = newFake(v)
		preds[v] = fakes[v]
	}
	r, err := deploy.NewRouter(preds, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, fakes
}

// newMetrics returns a metrics set on a fresh registry whose window holds
// the last 5 minutes in 1s slots, each keeping up to 512 latencies: enough
// for every latency of the rollout tests' traffic (a request every 5ms).
// now, when not nil, is its clock.
func newMetrics(t testing.TB, now func() time.Time) *monitor.Metrics {
	t.Helper()
	m, err := monitor.New(prometheus.NewRegistry(), &monitor.Options{
		Window: 5 * time.Minute, WindowSlots: 300, WindowSample: 512, CostSampleEvery: -1, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
