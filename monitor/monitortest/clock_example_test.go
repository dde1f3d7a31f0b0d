package monitortest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/monitor/monitortest"
)

// A zero Clock is ready: it reads the Unix epoch until advanced.
func ExampleClock() {
	var clock monitortest.Clock
	fmt.Println(clock.Now())
	clock.Advance(90 * time.Second)
	fmt.Println(clock.Now())
	// Output:
	// 1970-01-01 00:00:00 +0000 UTC
	// 1970-01-01 00:01:30 +0000 UTC
}

// A scripted canary that takes 40ms and fails one call in five, measured by
// monitor on the same manual clock: the window's numbers are exact.
func ExampleScripted() {
	var clock monitortest.Clock
	m, err := monitor.New(prometheus.NewRegistry(), &monitor.Options{Now: clock.Now, CostSampleEvery: -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	canary := monitortest.Scripted[string](&clock, monitortest.Script{Latency: 40 * time.Millisecond, FailEvery: 5}, 0.8)
	predict := monitor.WrapFunc(m, "fraud", "v3", canary, nil)

	failed := 0
	for range 20 {
		if _, err := predict(context.Background(), "txn"); errors.Is(err, monitortest.ErrInjected) {
			failed++
		}
	}
	st := m.Window("fraud", "v3")
	p50, _ := st.Quantile(0.5)
	fmt.Println(failed, "failed; clock at", clock.Now().Sub(time.Unix(0, 0)))
	fmt.Printf("window: %d requests, error rate %.2f, p50 %v\n", st.Requests, st.ErrorRate(), p50)
	// Output:
	// 4 failed; clock at 800ms
	// window: 20 requests, error rate 0.20, p50 40ms
}
