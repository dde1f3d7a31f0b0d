package drifttest_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/drift"
	"github.com/sextant-ml/sextant/drift/drifttest"
)

// A user's test of an alerting rule built on a drift stream: feed shifted
// values, move the clock, and watch the window clear.
func TestAlertClearsAfterWindow(t *testing.T) {
	profile := drifttest.NewProfile(t, drift.Data{Numeric: map[string][]float64{
		"latency": drifttest.Normal(1, 2000, 100, 10),
	}}, nil)
	stream, clock := drifttest.NewStream(t, profile, "latency", &drift.StreamOptions{Window: 5 * time.Minute})

	stream.ObserveBatch(drifttest.Shifted(drifttest.Normal(2, 300, 100, 10), 15))
	if w, err := stream.Check(); err != nil || !w.Drifted {
		t.Fatalf("slow latencies not flagged: %+v, %v", w.ColumnResult, err)
	}
	clock.Advance(10 * time.Minute)
	stream.ObserveBatch(drifttest.Normal(3, 300, 100, 10))
	if w, err := stream.Check(); err != nil || w.Drifted {
		t.Fatalf("recovered latencies still flagged: %+v, %v", w.ColumnResult, err)
	}
}

func ExampleRunConformance() {
	// In a _test.go file, for a detector of your own:
	//
	//	func TestMyDetector(t *testing.T) {
	//		drifttest.RunConformance(t, func(t *testing.T, p *drift.Profile, column string) drifttest.Detector {
	//			return mypkg.NewDetector(p, column, drifttest.ConformanceWindow)
	//		})
	//	}
	fmt.Println(drifttest.ConformanceWindow)
	// Output: 500
}
