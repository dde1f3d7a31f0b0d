package beam_test

import (
	"testing"
	"time"

	"github.com/sextant-ml/sextant/drift"
	sbeam "github.com/sextant-ml/sextant/engines/beam"
)

// BenchmarkProfileFn adds rows (four numeric and two categorical columns,
// see rows) to one ProfileFn accumulator and extracts the profile, beside
// drift.Fit of the same columns in one call, alternately: fn/fit is what
// the combine costs over the fit itself (its buffer, one fit per flush of
// flushRows rows, and the merge of each into the partial profile). Run:
//
//	cd engines/beam && go test -run '^$' -bench '^BenchmarkProfileFn$' -benchtime 10x -benchmem
func BenchmarkProfileFn(b *testing.B) {
	data := rows(100_000, 21, 0)
	cols := sbeam.Data(data)
	ref, err := drift.Fit(cols, &drift.FitOptions{SampleSize: 1000})
	if err != nil {
		b.Fatal(err)
	}
	opts := drift.FitOptions{SampleSize: 1000, Seed: 3, Edges: ref.Edges()}
	fn := &sbeam.ProfileFn{Options: opts}
	var fit, combine time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := drift.Fit(cols, &opts); err != nil {
			b.Fatal(err)
		}
		fit += time.Since(t0)
		t0 = time.Now()
		a := fn.CreateAccumulator()
		for _, r := range data {
			if a, err = fn.AddInput(a, r); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := fn.ExtractOutput(a); err != nil {
			b.Fatal(err)
		}
		combine += time.Since(t0)
	}
	b.ReportMetric(combine.Seconds()/fit.Seconds(), "fn/fit")
	b.ReportMetric(fit.Seconds()/float64(b.N)*1e3, "fit-ms")
	b.ReportMetric(combine.Seconds()/float64(b.N)*1e3, "fn-ms")
}
