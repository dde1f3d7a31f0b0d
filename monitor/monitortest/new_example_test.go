package monitortest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/monitor/monitortest"
)

// New gives a monitor.Metrics on its own registry and reads back what was
// recorded. The kit takes a test's testing.TB; an example has none, so
// testing.Benchmark lends one here (it may call the function more than
// once; each call starts afresh). In a test, pass t, as
// TestScoreHandlerRecordsPredictions does.
func ExampleNew() {
	var got []string
	testing.Benchmark(func(t *testing.B) {
		got = got[:0]
		r := monitortest.New(t, nil)
		model := monitortest.Scripted[float64](r.Clock, monitortest.Script{Latency: 25 * time.Millisecond, FailEvery: 4}, 0.8)
		predict := monitor.WrapFunc(r.Metrics, "fraud", "v3", model, nil)
		for range 8 {
			_, _ = predict(context.Background(), 120)
		}
		count, sum := r.Latency("fraud", "v3")
		got = append(got,
			fmt.Sprint("total ", r.Total("fraud", "v3"), ", errors ", r.Predictions("fraud", "v3", monitor.OutcomeError)),
			fmt.Sprintf("latency: %d observations, %.3fs in all", count, sum))
	})
	for _, line := range got {
		fmt.Println(line)
	}
	// Output:
	// total 8, errors 2
	// latency: 8 observations, 0.200s in all
}
