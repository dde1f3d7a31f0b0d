package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/monitor"
)

// deployStep serves two versions of a churn model behind a router, rolls
// the new one out as a canary on synthetic traffic, and then tries a
// faulty third version, which the analysis rolls back.
func deployStep(ctx context.Context, d *demo) error {
	bucket, err := artifact.OpenBucket(ctx, d.bucketURL)
	if err != nil {
		return err
	}
	defer bucket.Close()

	// A version scores a request with a few microseconds of arithmetic, so
	// that its latency is work and not the clock's noise; failEvery > 0
	// makes every n-th call fail.
	version := func(failEvery int64) deploy.Predictor[float64, float64] {
		var calls atomic.Int64
		return deploy.PredictorFunc[float64, float64](func(_ context.Context, x float64) (float64, error) {
			if n := calls.Add(1); failEvery > 0 && n%failEvery == 0 {
				return 0, errors.New("feature store timeout")
			}
			score := 0.0
			for i := range 300 {
				score += math.Sqrt(x + float64(i))
			}
			return 1 / (1 + score*score), nil
		})
	}
	// One window serves the router and the rollout: the router records
	// every routed prediction into monitor's metrics, and the analysis
	// reads them back. Its 100 ms analysis windows need slots finer than
	// monitor's default 5s: 2s kept, in 50 ms slots.
	metrics, err := monitor.New(prometheus.NewRegistry(), &monitor.Options{
		Window: 2 * time.Second, WindowSlots: 40, WindowSample: 1024,
	})
	if err != nil {
		return err
	}
	router, err := deploy.NewRouter(map[string]deploy.Predictor[float64, float64]{
		"v1": version(0), "v2": version(0), "v3": version(5),
	}, &deploy.RouterOptions[float64]{Model: "churn", Observer: metrics})
	if err != nil {
		return err
	}
	defer router.Close()
	if err := router.Switch("v1"); err != nil {
		return err
	}

	// Synthetic traffic from many users, sticky by user id.
	trafficCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; trafficCtx.Err() == nil; i++ {
			router.Serve(trafficCtx, deploy.Request{Key: fmt.Sprintf("user-%d", i%5000)}, float64(i%100))
		}
	})
	defer func() { stop(); wg.Wait() }()

	// Three 100 ms windows per analysis. On a busy machine the process
	// may get no CPU for a whole window, so up to two may lack evidence
	// (InconclusiveLimit) without stopping a healthy canary; at least one
	// must pass and none may fail.
	analysis := rollout.Analysis{
		Interval: 100 * time.Millisecond, Count: 3, InconclusiveLimit: 2,
		Checks: []rollout.Check{
			rollout.ErrorRate{Max: 0.02, MinSamples: 20},
			rollout.Judge{MinSamples: 20, ErrorTolerance: 0.01},
		},
	}
	steps := []rollout.Step{rollout.SetWeight(20), rollout.Analyze(analysis), rollout.SetWeight(50), rollout.Analyze(analysis)}
	for _, pair := range []struct{ stable, canary string }{{"v1", "v2"}, {"v2", "v3"}} {
		store, err := rollout.NewBlobStore(bucket, "churn", nil)
		if err != nil {
			return err
		}
		ro, err := rollout.New(router, rollout.Spec{Model: "churn", Stable: pair.stable, Canary: pair.canary, Steps: steps},
			&rollout.Options{
				Store: store, Source: metrics, Metrics: metrics,
				OnEvent: func(e rollout.Event) {
					if e.Type == rollout.EventMeasurement {
						return
					}
					reason := e.Reason
					if i := strings.Index(reason, "; judge"); i > 0 {
						reason = reason[:i]
					}
					d.printf("  %-11s canary %3.0f%%  %s\n", e.Type, e.Weight, reason)
				},
			})
		if err != nil {
			return err
		}
		start := time.Now()
		// An analysis without enough traffic pauses for a human; here,
		// nobody is watching, so give up after ten seconds.
		runCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		st, err := ro.Run(runCtx)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) && ro.State().Phase == rollout.Paused {
			if err = ro.Abort(ctx, "not enough evidence in time"); err == nil {
				st = ro.State()
			}
		}
		if err != nil {
			return err
		}
		d.printf("decision for %s: %s after %s\n", pair.canary, st.Phase, time.Since(start).Round(10*time.Millisecond))
		if pair.canary == "v2" && st.Phase != rollout.Promoted {
			return fmt.Errorf("the healthy canary was not promoted: %s", st.Reason)
		}
	}
	served, _ := router.Route(deploy.Request{Key: "user-42"})
	d.printf("user-42 is now served by %s; rollout states kept in deployments/churn/\n", served)
	return nil
}
