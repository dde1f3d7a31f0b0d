package drift_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/drift"
)

// ramp returns n evenly spread values from lo to hi.
func ramp(n int, lo, hi float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return x
}

func ExampleCompare() {
	reference := drift.Data{
		Numeric:     map[string][]float64{"latency_ms": ramp(200, 10, 50)},
		Categorical: map[string][]string{"region": strings.Split(strings.Repeat("eu,us,us,", 50), ",")[:150]},
	}
	current := drift.Data{
		Numeric:     map[string][]float64{"latency_ms": append(ramp(100, 25, 70), math.NaN())},
		Categorical: map[string][]string{"region": strings.Split(strings.Repeat("eu,eu,us,", 30), ",")[:90]},
	}
	// The p-values equal scipy.stats.ks_2samp's and a pooled z-test's.
	report, err := drift.Compare(reference, current, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range report.Columns {
		fmt.Printf("%s: %s p=%.3g drifted=%v (NaN dropped: %d)\n", c.Column, c.Method, c.Score, c.Drifted, c.Current.NaN)
	}
	fmt.Printf("dataset drifted: %v (%d of %d columns)\n", report.Drifted, report.DriftedColumns, len(report.Columns))
	// Output:
	// latency_ms: ks p=2.56e-12 drifted=true (NaN dropped: 1)
	// region: z p=5.24e-07 drifted=true (NaN dropped: 0)
	// dataset drifted: true (2 of 2 columns)
}

// Profiles of shards merge into the profile of the whole when the shards
// share bin edges: fit the first shard, reuse its edges for the others.
func ExampleMerge() {
	first, err := drift.Fit(drift.Data{Numeric: map[string][]float64{"x": ramp(600, 0, 6)}}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	second, err := drift.Fit(drift.Data{Numeric: map[string][]float64{"x": ramp(400, 2, 10)}}, &drift.FitOptions{Edges: first.Edges()})
	if err != nil {
		fmt.Println(err)
		return
	}
	whole, err := drift.Merge(first, second)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(whole) // persist; drift.Parse reads it back
	loaded, err := drift.Parse(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	x, _ := loaded.Column("x")
	fmt.Println("rows:", x.Rows, "bins:", x.Numeric.BinCounts)
	// Output:
	// rows: 1000 bins: [60 60 60 80 90 90 90 90 90 290]
}

func ExampleStream() {
	profile, err := drift.Fit(drift.Data{Numeric: map[string][]float64{"score": ramp(500, 0, 1)}}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	stream, err := drift.NewStream(profile, "score", &drift.StreamOptions{Size: 200, Window: time.Minute})
	if err != nil {
		fmt.Println(err)
		return
	}
	// In a serving path: one cheap call per prediction, from any goroutine.
	for _, v := range ramp(200, 0.4, 1) {
		stream.Observe(v)
	}
	w, err := stream.Check()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s over %d values: p=%.2g drifted=%v\n", w.Method, w.Current.Used, w.Score, w.Drifted)
	// Output:
	// ks over 200 values: p=6.1e-21 drifted=true
}
