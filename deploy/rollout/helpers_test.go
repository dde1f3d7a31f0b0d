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

// newRouter returns a router over one fake per version, each answering
// with its version's name (deploytest.New).
func newRouter(t *testing.T, versions ...string) *deploy.Router[int, string] {
	t.Helper()
	outputs := map[string]string{}
	for _, v := range versions {
		outputs[v] = v
	}
	return deploytest.New[int](t, outputs)
}

// newMetrics returns a metrics set on a fresh registry whose window holds
// the last 5 minutes in 1s slots, each keeping up to 512 latencies: enough
// for every latency of the rollout tests' traffic (a request every 5ms).
func newMetrics(t testing.TB) *monitor.Metrics {
	t.Helper()
	m, err := monitor.New(prometheus.NewRegistry(), &monitor.Options{
		Window: 5 * time.Minute, WindowSlots: 300, WindowSample: 512, CostSampleEvery: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
