package deploytest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/deploytest"
	"github.com/sextant-ml/sextant/deploy/rollout"
)

// A user's test of their rollout policy: a canary that fails 10% of its
// requests must be rolled back, on minutes of fake traffic that take no
// real time.
func TestMyPolicyRollsBackAnErroringCanary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rig := deploytest.NewRig[string](t, "fraud", map[string]float64{"v1": 0.1, "v2": 0.2})
		rig.Fakes["v1"].SetLatency(30*time.Millisecond, 20*time.Millisecond)
		rig.Fakes["v2"].SetLatency(30*time.Millisecond, 20*time.Millisecond).SetErrorRate(0.1)

		policy := rollout.Analysis{Interval: time.Minute, Count: 5, FailureLimit: 1,
			Checks: []rollout.Check{rollout.ErrorRate{Max: 0.02, MinSamples: 50}}}
		ro, err := rollout.New(rig.Router, rollout.Spec{
			Model: "fraud", Stable: "v1", Canary: "v2",
			Steps: []rollout.Step{rollout.SetWeight(10), rollout.Analyze(policy), rollout.SetWeight(100)},
		}, &rollout.Options{Source: rig.Metrics, Store: deploytest.NewStore(t)})
		if err != nil {
			t.Fatal(err)
		}

		ctx, stop := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		defer wg.Wait()
		defer stop()
		wg.Go(func() { // one request every 10ms of fake time
			for i := 0; ctx.Err() == nil; i++ {
				rig.Router.Serve(ctx, deploy.Request{Key: fmt.Sprint("card-", i)}, "txn")
				time.Sleep(10 * time.Millisecond)
			}
		})

		start := time.Now()
		st, err := ro.Run(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.Phase != rollout.RolledBack {
			t.Fatalf("phase %s (%s), want rolled back", st.Phase, st.Reason)
		}
		// FailureLimit 1 tolerates the first failed minute; the second ends it.
		if d := time.Since(start); d != 2*time.Minute {
			t.Errorf("decided after %s, want 2m", d)
		}
	})
}
