package drift

import (
	"fmt"
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
// scaled to the current total, over categories seen on either side. A
// category seen only in the current data has expectation zero and makes the
// test undefined (ErrInvalid).
func chiSquareGOF(ref, cur []float64) (stats.ChiSquareResult, error) {
	if len(ref) != len(cur) {
		return stats.ChiSquareResult{}, fmt.Errorf("%w: %d reference and %d current categories", ErrInvalid, len(ref), len(cur))
	}
	var tr, tc float64
	for i := range ref {
		for _, c := range [2]float64{ref[i], cur[i]} {
			if !(c >= 0) || math.IsInf(c, 0) {
				return stats.ChiSquareResult{}, fmt.Errorf("%w: count %v at %d", ErrInvalid, c, i)
			}
		}
		tr += ref[i]
		tc += cur[i]
	}
	if math.IsInf(tr, 0) || math.IsInf(tc, 0) {
		return stats.ChiSquareResult{}, fmt.Errorf("%w: counts sum past the float64 range", ErrInvalid)
	}
	if tr == 0 || tc == 0 {
		return stats.ChiSquareResult{}, fmt.Errorf("%w: chi-square goodness of fit needs counts on both sides", ErrEmpty)
	}
	var obs, exp []float64
	for i := range ref {
		if ref[i]+cur[i] == 0 {
			continue
		}
		obs = append(obs, cur[i])
		exp = append(exp, ref[i]/tr*tc)
	}
	return stats.ChiSquareGoodnessOfFit(obs, exp)
}
