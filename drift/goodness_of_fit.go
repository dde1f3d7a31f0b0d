package drift

import (
	"math"

	"github.com/sextant-ml/sextant/internal/stats"
)

// sortedFinite returns the finite values of x, sorted.
func sortedFinite(x []float64) []float64 {
	s := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			s = append(s, v)
		}
	}
	stats.Sort(s)
	return s
}

// chiSquareGOF tests current counts against the reference proportions
// scaled to the current total, over categories seen on either side. Counts
// are checked as the distances check them (see pair). A category seen only
// in the current data has expectation zero and makes the test undefined
// (ErrInvalid).
func chiSquareGOF(ref, cur []float64) (stats.ChiSquareResult, error) {
	p, _, err := pair(ref, cur)
	if err != nil {
		return stats.ChiSquareResult{}, err
	}
	tc := 0.0
	for _, c := range cur {
		tc += c
	}
	var obs, exp []float64
	for i := range ref {
		if ref[i]+cur[i] == 0 {
			continue
		}
		obs = append(obs, cur[i])
		exp = append(exp, p[i]*tc)
	}
	return stats.ChiSquareGoodnessOfFit(obs, exp)
}
