package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sextant-ml/sextant/deploy"
	"github.com/sextant-ml/sextant/monitor"
)

// fraudModel is a model of a user's own, with the Predict method.
type fraudModel struct{ threshold float64 }

func (m fraudModel) Predict(_ context.Context, amount float64) (bool, error) {
	if amount < 0 {
		return false, errors.New("negative amount")
	}
	return amount > m.threshold, nil
}

// New registers one metrics set on the caller's registry; the global one is
// never touched.
func ExampleNew() {
	reg := prometheus.NewRegistry()
	m, err := monitor.New(reg, &monitor.Options{
		ConstLabels: prometheus.Labels{"service": "fraud-api"},
		Window:      5 * time.Minute, WindowSlots: 60, // 5s slots
	})
	if err != nil {
		panic(err)
	}
	m.SetModelInfo("fraud", "v2", "sha256:ab12")
	n, _ := testutil.GatherAndCount(reg, monitor.MetricModelInfo)
	fmt.Println(n)
	// Output:
	// 1
}

// Wrap takes a Predictor and returns one: an instrumented model goes
// wherever the bare one went.
func ExampleWrap() {
	m, _ := monitor.New(prometheus.NewRegistry(), nil)
	p := monitor.Wrap(m, "fraud", "v2", fraudModel{threshold: 500}, nil)
	for _, amount := range []float64{20, 900, -5} {
		fmt.Println(p.Predict(context.Background(), amount))
	}
	st := m.Window("fraud", "v2")
	fmt.Println(st.Requests, st.Errors)
	// Output:
	// false <nil>
	// true <nil>
	// false negative amount
	// 3 1
}

// A deploy.Router is a Predictor too, so instrumenting all the traffic of
// a model, whichever version serves it, is one call. (To count each
// version, give the metrics to the router as its Observer instead.)
func ExampleWrap_router() {
	m, _ := monitor.New(prometheus.NewRegistry(), nil)
	router, _ := deploy.NewRouter(map[string]deploy.Predictor[float64, bool]{
		"v1": fraudModel{threshold: 500}, "v2": fraudModel{threshold: 300},
	}, nil)
	defer router.Close()
	router.SetCanary("v1", "v2", 50)

	p := monitor.Wrap(m, "fraud", "all", router, nil)
	for i := range 10 {
		p.Predict(context.Background(), float64(100*i))
	}
	fmt.Println(m.Window("fraud", "all").Requests)
	// Output:
	// 10
}

// Recorder makes a Metrics the Observer of a deploy.Router: each routed
// prediction is recorded under its version, in the window a rollout reads.
func ExampleMetrics_Recorder() {
	m, _ := monitor.New(prometheus.NewRegistry(), nil)
	router, _ := deploy.NewRouter(map[string]deploy.Predictor[float64, bool]{
		"v1": fraudModel{threshold: 500}, "v2": fraudModel{threshold: 300},
	}, &deploy.RouterOptions[bool]{Model: "fraud", Observer: m})
	defer router.Close()
	router.SetCanary("v1", "v2", 100)
	for _, amount := range []float64{10, 20, -1} {
		router.Serve(context.Background(), deploy.Request{}, amount)
	}
	v2 := m.Window("fraud", "v2")
	fmt.Println(v2.Requests, v2.Errors, m.Window("fraud", "v1").Requests)

	// Recorder alone, for a call timed by hand.
	record := m.Recorder("fraud", "batch")
	record(40*time.Millisecond, nil)
	fmt.Println(m.Window("fraud", "batch").Requests)
	// Output:
	// 3 1 0
	// 1
}

// Options.Classify decides what an error means, for Recorder and Wrap: a
// request the model refuses as bad input is rejected, not an error, and
// does not count against the version's error rate.
func ExampleOptions_classify() {
	m, _ := monitor.New(prometheus.NewRegistry(), &monitor.Options{Classify: func(err error) monitor.Outcome {
		if err != nil && strings.Contains(err.Error(), "negative") {
			return monitor.OutcomeRejected
		}
		return monitor.Classify(err)
	}})
	p := monitor.Wrap(m, "fraud", "v2", fraudModel{threshold: 500}, nil)
	p.Predict(context.Background(), -5)
	p.Predict(context.Background(), 50)
	st := m.Window("fraud", "v2")
	fmt.Println(st.ByOutcome[monitor.OutcomeRejected], st.ErrorRate())
	// Output:
	// 1 0
}
