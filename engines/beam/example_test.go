package beam_test

import (
	"fmt"
	"math"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/sextant-ml/sextant/drift"
	sbeam "github.com/sextant-ml/sextant/engines/beam"
)

// request is a record type of the user's pipeline.
type request struct {
	LatencyMS float64
	Region    string
}

// toRow turns a request into a Row.
func toRow(r request) sbeam.Row {
	return sbeam.Row{Num: map[string]float64{"latency_ms": r.LatencyMS}, Cat: map[string]string{"region": r.Region}}
}

// printProfile prints a few statistics of the fitted profile.
func printProfile(p *drift.Profile) {
	lat, _ := p.Column("latency_ms")
	reg, _ := p.Column("region")
	fmt.Printf("latency_ms: %d rows, %d NaN, mean %.1f, bins %v\n", lat.Rows, lat.NaN, lat.Numeric.Mean, lat.Numeric.BinCounts)
	fmt.Printf("region: %v\n", reg.Categorical.Counts)
}

func init() {
	register.Function1x1(toRow)
	register.Function1x0(printProfile)
	beam.RegisterType(reflectTypeOfRequest)
}

func Example() {
	var reqs []request
	for i := range 1000 {
		reqs = append(reqs, request{LatencyMS: float64(10 + i%50), Region: []string{"eu", "us"}[i%2]})
	}
	reqs = append(reqs, request{LatencyMS: math.NaN(), Region: "eu"})

	p, s := beam.NewPipelineWithRoot()
	rows := beam.ParDo(s, toRow, beam.CreateList(s, reqs))
	profile := sbeam.FitProfile(s, rows, &drift.FitOptions{Bins: 5})
	beam.ParDo0(s, printProfile, profile)
	// Prism, in process, here; beamx.Run(ctx, p) on Dataflow or Flink.
	if err := ptest.Run(p); err != nil {
		fmt.Println(err)
	}
	// Output:
	// latency_ms: 1001 rows, 1 NaN, mean 34.5, bins [200 200 200 200 200]
	// region: map[eu:501 us:500]
}

var reflectTypeOfRequest = reflect.TypeOf(request{})
