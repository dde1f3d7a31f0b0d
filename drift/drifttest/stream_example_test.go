package drifttest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/drift"
	"github.com/sextant-ml/sextant/drift/drifttest"
)

// NewStream wires a stream's time window to a manual clock. The kit takes
// a test's testing.TB; an example has none, so testing.Benchmark lends one
// here (it may call the function more than once; each call starts afresh).
// In a test, pass t, as TestAlertClearsAfterWindow does.
func ExampleNewStream() {
	var got []string
	testing.Benchmark(func(t *testing.B) {
		got = got[:0]
		profile := drifttest.NewProfile(t, drift.Data{Numeric: map[string][]float64{
			"latency": drifttest.Normal(1, 2000, 100, 10),
		}}, nil)
		stream, clock := drifttest.NewStream(t, profile, "latency", &drift.StreamOptions{Window: 5 * time.Minute})

		stream.ObserveBatch(drifttest.Shifted(drifttest.Normal(2, 300, 100, 10), 15))
		w, err := stream.Check()
		got = append(got, fmt.Sprint(w.At.Format(time.TimeOnly), " slow: drifted=", w.Drifted, " ", err))

		clock.Advance(10 * time.Minute)
		stream.ObserveBatch(drifttest.Normal(3, 300, 100, 10))
		w, err = stream.Check()
		got = append(got, fmt.Sprint(w.At.Format(time.TimeOnly), " recovered: drifted=", w.Drifted, " ", err, ", observed ", w.Observed))
	})
	for _, line := range got {
		fmt.Println(line)
	}
	// Output:
	// 00:00:00 slow: drifted=true <nil>
	// 00:10:00 recovered: drifted=false <nil>, observed 600
}

// The zero Clock reads the Unix epoch and is ready to use.
func ExampleClock() {
	var c drifttest.Clock
	fmt.Println(c.Now().Format(time.RFC3339))
	c.Advance(90 * time.Second)
	fmt.Println(c.Now().Format(time.RFC3339))
	c.Set(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	fmt.Println(c.Now().Format(time.RFC3339))
	// Output:
	// 1970-01-01T00:00:00Z
	// 1970-01-01T00:01:30Z
	// 2026-01-01T00:00:00Z
}

// The builders make reproducible samples: the same seed gives the same
// values, and shifts and missing values are applied to a copy.
func ExampleShifted() {
	x := drifttest.Normal(7, 5, 0, 1)
	y := drifttest.Shifted(x, 10)
	fmt.Println(len(y), y[0]-x[0] == 10, drifttest.Normal(7, 5, 0, 1)[0] == x[0])
	fmt.Println(drifttest.Categories(3, 6, []string{"eu", "us"}, []float64{1, 0}))
	// Output:
	// 5 true true
	// [eu eu eu eu eu eu]
}
