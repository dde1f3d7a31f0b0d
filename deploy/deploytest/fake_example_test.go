package deploytest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/deploy/deploytest"
)

// Fakes stand in for model versions behind a real router: here the canary
// fails exactly one call in four, and the router's window sees it.
func ExampleFake() {
	stable := deploytest.NewFake[string](0.1)
	canary := deploytest.NewFake[string](0.7).SetErrorRate(0.25)
	window := deploy.NewWindow(0)
	r, err := deploy.NewRouter(map[string]deploy.Predictor[string, float64]{"v1": stable, "v2": canary},
		&deploy.RouterOptions[float64]{Observer: window})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	r.Update(deploy.Config{Split: []deploy.Target{{Version: "v2", Weight: 100}}})

	ctx := context.Background()
	for i := range 8 {
		out, version, err := r.Predict(ctx, deploy.Request{Key: fmt.Sprint("card-", i)}, "txn")
		fmt.Println(version, out, errors.Is(err, deploytest.ErrInjected))
	}
	fmt.Println("canary:", canary.Calls(), "calls,", canary.Errors(), "injected; stable:", stable.Calls(), "calls")
	obs, _ := window.Observations(ctx, "v2", time.Now().Add(-time.Minute), time.Now())
	fmt.Printf("window: %d of %d failed (%.2f)\n", obs.Errors, obs.Total, obs.ErrorRate())
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
