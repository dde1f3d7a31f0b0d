package drift

import (
	"math"
	"sort"
)

// DefaultBins is the number of bins numeric columns are cut into.
const DefaultBins = 10

// QuantileEdges returns the inner bin edges that cut a sorted sample into
// bins bins of equal mass: the sample's quantiles at 1/bins, ..., (bins-1)/bins
// with linear interpolation (NumPy's default "linear" method), with
// duplicate edges dropped. The outer edges are open: bin 0 holds everything
// below the first edge and the last bin everything from the last edge up.
// It returns nil for an empty sample or bins < 2.
func QuantileEdges(sorted []float64, bins int) []float64 {
	n := len(sorted)
	if n == 0 || bins < 2 {
		return nil
	}
	step := 1 / float64(bins)
	edges := make([]float64, 0, bins-1)
	for i := 1; i < bins; i++ {
		q := float64(i) * step
		vi := float64(n-1) * q
		prev := math.Floor(vi)
		var lo, hi float64
		if vi >= float64(n-1) {
			lo, hi = sorted[n-1], sorted[n-1]
			prev = float64(n - 1)
		} else {
			lo, hi = sorted[int(prev)], sorted[int(prev)+1]
		}
		g := vi - prev
		d := hi - lo
		e := lo + float64(d*g)
		if g >= 0.5 {
			e = hi - float64(d*(1-g))
		}
		if len(edges) == 0 || e != edges[len(edges)-1] {
			edges = append(edges, e)
		}
	}
	return edges
}

// BinIndex returns the bin of v for the given inner edges: the number of
// edges at or below v, so a value equal to an edge falls in the bin to its
// right.
func BinIndex(edges []float64, v float64) int {
	return sort.Search(len(edges), func(i int) bool { return edges[i] > v })
}

// Histogram counts values into len(edges)+1 bins (see BinIndex).
func Histogram(edges, values []float64) []float64 {
	counts := make([]float64, len(edges)+1)
	for _, v := range values {
		counts[BinIndex(edges, v)]++
	}
	return counts
}
