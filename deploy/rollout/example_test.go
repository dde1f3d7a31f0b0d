package rollout_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/monitor"
)

func ExampleRollout() {
	// v2 fails 30% of the time.
	model := func(errEvery int) deploy.Predictor[int, int] {
		n := 0
		return deploy.PredictorFunc[int, int](func(context.Context, int) (int, error) {
			n++
			if errEvery > 0 && n%10 < errEvery {
				return 0, fmt.Errorf("failure %d", n)
			}
			return 1, nil
		})
	}
	// One window: the router records routed calls into the metrics, and
	// the rollout's analysis reads them back. Slots of 50 ms (2s kept in
	// 40) suit analysis intervals of 50 ms.
	metrics, _ := monitor.New(prometheus.NewRegistry(), &monitor.Options{Window: 2 * time.Second, WindowSlots: 40})
	r, _ := deploy.NewRouter(map[string]deploy.Predictor[int, int]{"v1": model(0), "v2": model(3)},
		&deploy.RouterOptions[int]{Model: "churn", Observer: metrics})
	defer r.Close()

	ro, _ := rollout.New(r, rollout.Spec{
		Model: "churn", Stable: "v1", Canary: "v2",
		Steps: []rollout.Step{
			rollout.SetWeight(50),
			// Five chances to see ten requests in 50 ms: one window with
			// enough traffic fails the canary, however slow the machine.
			rollout.Analyze(rollout.Analysis{Interval: 50 * time.Millisecond, Count: 5,
				Checks: []rollout.Check{rollout.ErrorRate{Max: 0.05, MinSamples: 10}}}),
		},
	}, &rollout.Options{
		Source:  metrics,
		Metrics: metrics, // weights and phase as Prometheus gauges
		OnEvent: func(e rollout.Event) {
			if e.Type != rollout.EventMeasurement {
				fmt.Println(e.Type, e.Weight)
			}
		},
	})

	// Synthetic traffic while the rollout runs.
	ctx, stop := context.WithCancel(context.Background())
	traffic := make(chan struct{})
	go func() {
		defer close(traffic)
		for i := 0; ctx.Err() == nil; i++ {
			r.Serve(ctx, deploy.Request{Key: fmt.Sprint(i)}, i)
		}
	}()
	// Without enough traffic the analysis would pause for a human; a
	// deadline keeps an unattended program from waiting forever.
	runCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := ro.Run(runCtx)
	stop()
	<-traffic
	fmt.Println(st.Phase, err, strings.Contains(st.Reason, "error-rate fail"))
	// Output:
	// started 0
	// weight 50
	// rolled-back 0
	// rolled-back <nil> true
}
