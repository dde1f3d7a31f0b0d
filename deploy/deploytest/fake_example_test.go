package deploytest_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/deploytest"
	"github.com/sextant-ml/sextant/monitor"
)

// Fakes stand in for model versions behind a real router: here the canary
// fails exactly one call in four, and the router's window sees it.
func ExampleFake() {
	stable := deploytest.NewFake[string](0.1)
	canary := deploytest.NewFake[string](0.7).SetErrorRate(0.25)
	metrics, err := monitor.New(prometheus.NewRegistry(), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := deploy.NewRouter(map[string]deploy.Predictor[string, float64]{"v1": stable, "v2": canary},
		&deploy.RouterOptions[float64]{Model: "fraud", Observer: metrics})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	r.Update(deploy.Config{Split: []deploy.Target{{Version: "v2", Weight: 100}}})

	ctx := context.Background()
	for i := range 8 {
		out, version, err := r.Serve(ctx, deploy.Request{Key: fmt.Sprint("card-", i)}, "txn")
		fmt.Println(version, out, errors.Is(err, deploytest.ErrInjected))
	}
	fmt.Println("canary:", canary.Calls(), "calls,", canary.Errors(), "injected; stable:", stable.Calls(), "calls")
	obs := metrics.Window("fraud", "v2")
	fmt.Printf("window: %d of %d failed (%.2f)\n", obs.Errors, obs.Requests, obs.ErrorRate())
	// Output:
	// v2 0.7 false
	// v2 0.7 false
	// v2 0.7 false
	// v2 0 true
	// v2 0.7 false
	// v2 0.7 false
	// v2 0.7 false
	// v2 0 true
	// canary: 8 calls, 2 injected; stable: 0 calls
	// window: 2 of 8 failed (0.25)
}

// The zero Fake answers the zero output at once; its settings change while
// it serves, and Hold makes calls wait, for tests of in-flight work.
func ExampleFake_Hold() {
	var f deploytest.Fake[string, int]
	out, err := f.Predict(context.Background(), "x")
	fmt.Println(out, err)

	f.SetOutput(7).Hold()
	done := make(chan int)
	go func() {
		out, _ := f.Predict(context.Background(), "x")
		done <- out
	}()
	for f.Calls() < 2 { // the second call has started and waits
		runtime.Gosched()
	}
	f.Release()
	fmt.Println(<-done, f.Calls())
	// Output:
	// 0 <nil>
	// 7 2
}
