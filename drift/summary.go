package drift

import (
	"math"
	"sort"

	"github.com/sextant-ml/sextant/internal/stats"
)

// HistogramBins is the number of equal-width bins of a numeric column's
// Histogram.
const HistogramBins = 20

// ECDFPoints bounds the points of each side of a numeric column's ECDF.
const ECDFPoints = 200

// Summary holds the statistics of one side of a column.
type Summary struct {
	// Rows counts every value given; Count the values used (finite
	// numbers, non-empty categories).
	Rows  int64 `json:"rows"`
	Count int64 `json:"count"`
	// MissingShare is the share of rows that were NaN, infinite or empty
	// (0 when there are no rows).
	MissingShare float64             `json:"missing_share"`
	Numeric      *NumericSummary     `json:"numeric,omitempty"`
	Categorical  *CategoricalSummary `json:"categorical,omitempty"`
}

// NumericSummary holds the moments and quantiles of a numeric side. Mean,
// Std (the population standard deviation), Min and Max cover every finite
// value. Quantiles interpolate linearly between order statistics (NumPy's
// default); on the reference of a sampled profile they are computed from
// the sample, and Approximate is set.
type NumericSummary struct {
	Mean        float64 `json:"mean"`
	Std         float64 `json:"std"`
	Min         float64 `json:"min"`
	P25         float64 `json:"p25"`
	P50         float64 `json:"p50"`
	P75         float64 `json:"p75"`
	Max         float64 `json:"max"`
	Approximate bool    `json:"approximate,omitempty"`
}

// CategoricalSummary describes a categorical side: how many distinct
// categories it has and its most frequent one (the first by name on a tie).
type CategoricalSummary struct {
	Distinct int     `json:"distinct"`
	Top      string  `json:"top"`
	TopShare float64 `json:"top_share"`
}

// ColumnStats summarise reference and current.
type ColumnStats struct {
	Reference Summary `json:"reference"`
	Current   Summary `json:"current"`
}

// ValueHistogram counts both sides of a numeric column on HistogramBins
// equal-width bins spanning the smaller minimum to the larger maximum.
// Edges has one more entry than each count slice; bin i holds values in
// [Edges[i], Edges[i+1]), the last bin includes its upper edge. The
// reference counts come from the profile's values, which for a sampled
// profile are the sample.
type ValueHistogram struct {
	Edges     []float64 `json:"edges"`
	Reference []int64   `json:"reference"`
	Current   []int64   `json:"current"`
}

// ECDFPoint is one step of an empirical distribution function: the share
// P of values at or below X.
type ECDFPoint struct {
	X float64 `json:"x"`
	P float64 `json:"p"`
}

// ECDF holds both sides' empirical distribution functions, each thinned to
// at most ECDFPoints points at evenly spaced quantiles (the last point is
// always the maximum, with P 1).
type ECDF struct {
	Reference []ECDFPoint `json:"reference"`
	Current   []ECDFPoint `json:"current"`
}

// describe fills in the statistics, histogram, ECDF and p-value of a
// scored column.
func describe(res *ColumnResult, col *ColumnProfile, cur batch) {
	res.Stats.Reference = Summary{Rows: res.Reference.Rows, Count: res.Reference.Used, MissingShare: missing(res.Reference)}
	res.Stats.Current = Summary{Rows: res.Current.Rows, Count: res.Current.Used, MissingShare: missing(res.Current)}
	if res.IsTest {
		p := res.Score
		res.PValue, res.PValueMethod = &p, res.Method
	}
	if col.Kind != Numeric {
		res.Stats.Reference.Categorical = categorySummary(col.Categorical.Counts)
		res.Stats.Current.Categorical = categorySummary(cur.cats)
		if !res.IsTest {
			_, r, c, _ := categoryVectors(col.Categorical.Counts, cur.cats)
			if x, err := stats.ChiSquareContingency(r, c); err == nil && !bad(x.P) {
				res.PValue, res.PValueMethod = &x.P, MethodChiSquare
			}
		}
		return
	}
	np := col.Numeric
	refQ := quantiles(np.Values, np.Counts, 0.25, 0.5, 0.75)
	res.Stats.Reference.Numeric = &NumericSummary{
		Mean: np.Mean, Std: np.Std(), Min: np.Min, Max: np.Max,
		P25: refQ[0], P50: refQ[1], P75: refQ[2], Approximate: !np.Complete,
	}
	mean, std := meanStd(cur.sorted)
	curQ := quantiles(cur.sorted, nil, 0.25, 0.5, 0.75)
	res.Stats.Current.Numeric = &NumericSummary{
		Mean: mean, Std: std, Min: cur.sorted[0], Max: cur.sorted[len(cur.sorted)-1],
		P25: curQ[0], P50: curQ[1], P75: curQ[2],
	}
	if !res.IsTest {
		ks, err := stats.KolmogorovSmirnovCounted(stats.Counted{Values: np.Values, Counts: np.Counts}, stats.Counted{Values: cur.sorted}, stats.KSAuto)
		if err == nil && !bad(ks.P) {
			res.PValue, res.PValueMethod = &ks.P, MethodKS
		}
	}
	for _, s := range []*NumericSummary{res.Stats.Reference.Numeric, res.Stats.Current.Numeric} {
		if bad(s.Mean) || bad(s.Std) || bad(s.P25) || bad(s.P50) || bad(s.P75) {
			// Moments overflowed (values near the float64 limit): JSON
			// cannot carry them, so the column has no numeric summary.
			res.Stats.Reference.Numeric, res.Stats.Current.Numeric = nil, nil
			break
		}
	}
	if res.Histogram = histogram(np, cur.sorted); res.Histogram != nil {
		res.ECDF = &ECDF{Reference: ecdf(np.Values, np.Counts), Current: ecdf(cur.sorted, nil)}
	}
}

func missing(c Counts) float64 {
	if c.Rows == 0 {
		return 0
	}
	return float64(c.NaN+c.Inf) / float64(c.Rows)
}

func categorySummary(counts map[string]int64) *CategoricalSummary {
	s := &CategoricalSummary{}
	var total int64
	best := int64(-1)
	for k, n := range counts {
		if n <= 0 {
			continue
		}
		s.Distinct++
		total += n
		if n > best || (n == best && k < s.Top) {
			best, s.Top = n, k
		}
	}
	if total > 0 {
		s.TopShare = float64(best) / float64(total)
	}
	return s
}

// weight returns the count of value i: counts[i], or 1 when counts is nil.
func weight(counts []int64, i int) int64 {
	if counts == nil {
		return 1
	}
	return counts[i]
}

// quantiles returns the ps-quantiles of ascending values, each occurring
// counts[i] times (once when counts is nil), interpolating linearly
// between the order statistics around (n-1)p.
func quantiles(values []float64, counts []int64, ps ...float64) []float64 {
	out := make([]float64, len(ps))
	var n int64
	for i := range values {
		n += weight(counts, i)
	}
	if n == 0 {
		return out
	}
	// at returns the k-th order statistic (0-based).
	at := func(k int64) float64 {
		if counts == nil {
			return values[k]
		}
		var seen int64
		for i, c := range counts {
			if seen += c; k < seen {
				return values[i]
			}
		}
		return values[len(values)-1]
	}
	for j, p := range ps {
		h := float64(n-1) * p
		lo := int64(math.Floor(h))
		hi := min(lo+1, n-1)
		a, b := at(lo), at(hi)
		out[j] = a + (b-a)*(h-float64(lo))
	}
	return out
}

func histogram(np *NumericProfile, cur []float64) *ValueHistogram {
	lo, hi := math.Min(np.Min, cur[0]), math.Max(np.Max, cur[len(cur)-1])
	h := &ValueHistogram{Edges: make([]float64, HistogramBins+1), Reference: make([]int64, HistogramBins), Current: make([]int64, HistogramBins)}
	if math.IsInf(hi-lo, 0) {
		return nil // a range float64 cannot divide into bins
	}
	if !(hi > lo) {
		// One value: spread the bins around it so that every edge differs.
		half := math.Max(math.Abs(lo)*1e-3, 0.5)
		lo, hi = lo-half, lo+half
	}
	for i := range h.Edges {
		h.Edges[i] = lo + (hi-lo)*float64(i)/HistogramBins
	}
	h.Edges[HistogramBins] = hi
	// Both sides are ascending: each bin's count is the distance between
	// the first values at or above its edges.
	for i, v := range np.Values {
		h.Reference[binOf(h.Edges, v)] += np.Counts[i]
	}
	at := 0
	for i := range HistogramBins {
		end := len(cur)
		if i < HistogramBins-1 {
			end = at + sort.SearchFloat64s(cur[at:], h.Edges[i+1])
		}
		h.Current[i] = int64(end - at)
		at = end
	}
	return h
}

// binOf returns the bin of v among edges: i with edges[i] <= v <
// edges[i+1], the last bin closed above.
func binOf(edges []float64, v float64) int {
	i := sort.Search(len(edges), func(i int) bool { return edges[i] > v }) - 1
	return max(0, min(i, len(edges)-2))
}

// meanStd returns the mean and population standard deviation of values in
// two passes (a sum, then squared deviations from the mean).
func meanStd(values []float64) (float64, float64) {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(values); i += 4 {
		s0 += values[i]
		s1 += values[i+1]
		s2 += values[i+2]
		s3 += values[i+3]
	}
	for ; i < len(values); i++ {
		s0 += values[i]
	}
	n := float64(len(values))
	mean := (s0 + s1 + s2 + s3) / n
	s0, s1, s2, s3 = 0, 0, 0, 0
	i = 0
	for ; i+4 <= len(values); i += 4 {
		d0, d1, d2, d3 := values[i]-mean, values[i+1]-mean, values[i+2]-mean, values[i+3]-mean
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(values); i++ {
		d := values[i] - mean
		s0 += d * d
	}
	return mean, math.Sqrt((s0 + s1 + s2 + s3) / n)
}

// ecdf thins the empirical distribution function of ascending values (with
// counts, or once each when counts is nil) to at most ECDFPoints steps.
func ecdf(values []float64, counts []int64) []ECDFPoint {
	// cum[i] counts the values up to and including values[i].
	var cum []int64
	var n int64
	if counts != nil {
		cum = make([]int64, len(values))
		for i, c := range counts {
			n += c
			cum[i] = n
		}
	} else {
		n = int64(len(values))
	}
	if n == 0 {
		return nil
	}
	var out []ECDFPoint
	for k := 1; k <= ECDFPoints; k++ {
		rank := int64(math.Ceil(float64(k) * float64(n) / ECDFPoints)) // 1-based
		var x float64
		var upTo int64
		if counts != nil {
			i := sort.Search(len(cum), func(i int) bool { return cum[i] >= rank })
			x, upTo = values[i], cum[i]
		} else {
			x = values[rank-1]
			upTo = int64(sort.Search(len(values), func(i int) bool { return values[i] > x }))
		}
		if len(out) > 0 && out[len(out)-1].X == x {
			continue
		}
		out = append(out, ECDFPoint{X: x, P: float64(upTo) / float64(n)})
	}
	return out
}
