package drift

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/sextant-ml/sextant/internal/stats"
)

// DefaultBins is the number of bins numeric columns are cut into.
const DefaultBins = 10

// QuantileEdges returns the inner bin edges that cut a sorted sample into
// bins bins of equal mass: the sample's quantiles at 1/bins, ..., (bins-1)/bins
// with linear interpolation (NumPy's default "linear" method), with
// duplicate edges dropped. The outer edges are open: bin 0 holds everything
// below the first edge and the last bin everything from the last edge up.
// It returns nil for an empty sample or bins outside 2 to MaxBins. The
// sample must be sorted and free of NaN.
func QuantileEdges(sorted []float64, bins int) []float64 {
	if bins > MaxBins {
		return nil
	}
	return quantileEdges(len(sorted), bins, func(i int) float64 { return sorted[i] })
}

// QuantileEdgesCounted returns QuantileEdges of the sample that holds
// counts[i] copies of values[i], without expanding it: the same edges, to
// the bit, in memory of the number of distinct values. Values must be
// strictly increasing and finite and counts positive, as in a
// NumericProfile's sample; it returns nil otherwise, for an empty sample,
// for bins outside 2 to MaxBins, or when the counts sum past the int
// range. On a profile whose sample is Complete it gives the edges Fit
// would cut the fitted column at; on a bounded sample, edges of that
// sample.
func QuantileEdgesCounted(values []float64, counts []int64, bins int) []float64 {
	if bins > MaxBins || len(values) != len(counts) {
		return nil
	}
	cum := make([]int, len(counts)) // cum[i]: copies of values[0..i]
	total := 0
	for i, c := range counts {
		if c <= 0 || c > int64(math.MaxInt-total) || math.IsNaN(values[i]) || math.IsInf(values[i], 0) ||
			(i > 0 && !(values[i] > values[i-1])) {
			return nil
		}
		total += int(c)
		cum[i] = total
	}
	return quantileEdges(total, bins, func(k int) float64 {
		return values[sort.SearchInts(cum, k+1)]
	})
}

// quantileEdges computes the edges from order statistics: at(i) is the
// i-th smallest of n values. The arithmetic mirrors NumPy's
// quantile(method="linear") so that edges, and therefore bin counts,
// agree exactly.
func quantileEdges(n, bins int, at func(int) float64) []float64 {
	if n == 0 || bins < 2 {
		return nil
	}
	edges := make([]float64, 0, bins-1)
	for i := 1; i < bins; i++ {
		lo, hi, g := quantileNeighbours(n, edgeQuantile(i, bins))
		a, b := at(lo), at(hi)
		d := b - a
		e := a + float64(d*g)
		if g >= 0.5 {
			e = b - float64(d*(1-g))
		}
		if len(edges) == 0 || e != edges[len(edges)-1] {
			edges = append(edges, e)
		}
	}
	return edges
}

// edgeQuantile returns the quantile of the i-th inner edge of bins bins,
// computed as numpy.linspace(0, 1, bins+1) computes it: i times 1/bins,
// which is not always the same float64 as i/bins.
func edgeQuantile(i, bins int) float64 {
	return float64(i) * (1 / float64(bins))
}

// quantileNeighbours returns the order statistics around quantile q of n
// values and the interpolation weight between them.
func quantileNeighbours(n int, q float64) (lo, hi int, g float64) {
	vi := float64(n-1) * q
	prev := math.Floor(vi)
	if vi >= float64(n-1) {
		return n - 1, n - 1, vi - float64(n-1)
	}
	return int(prev), int(prev) + 1, vi - prev
}

// Bin cuts reference and current samples into bins at the reference's
// quantiles (see QuantileEdges) and counts both, the binning the golden
// conventions fix for PSI, Kullback-Leibler, Jensen-Shannon, Hellinger and
// L-infinity on numeric data. The quantiles come from a selection, not a
// sort. Values must be finite (ErrInvalid), both samples non-empty
// (ErrEmpty) and bins between 2 and MaxBins (ErrInvalid).
func Bin(reference, current []float64, bins int) (edges, refCounts, curCounts []float64, err error) {
	if err := checkValues(reference, current); err != nil {
		return nil, nil, nil, err
	}
	if bins < 2 || bins > MaxBins {
		return nil, nil, nil, fmt.Errorf("%w: %d bins, need 2 to %d", ErrInvalid, bins, MaxBins)
	}
	n := len(reference)
	var ks []int
	for i := 1; i < bins; i++ {
		lo, hi, _ := quantileNeighbours(n, edgeQuantile(i, bins))
		ks = append(ks, lo, hi)
	}
	slices.Sort(ks)
	ks = slices.Compact(ks)
	stat := orderStatistics(reference, ks)
	edges = quantileEdges(n, bins, func(i int) float64 { return stat[i] })
	// Count the two samples concurrently; the goroutine is joined here.
	done := make(chan struct{})
	go func() {
		defer close(done)
		refCounts = Histogram(edges, reference)
	}()
	curCounts = Histogram(edges, current)
	<-done
	return edges, refCounts, curCounts, nil
}

// orderStatistics returns the k-th smallest value of x for every k in ks
// (ascending). One pass buckets the values by the top 16 bits of their
// order-preserving bit pattern; a second gathers only the buckets holding a
// wanted rank, which are sorted. Data so concentrated that those buckets
// hold most of it falls back to a quickselect on a copy.
func orderStatistics(x []float64, ks []int) map[int]float64 {
	const shift = 48
	counts := make([]int32, 1<<16)
	for _, v := range x {
		counts[stats.SortKey(v)>>shift]++
	}
	// Find each wanted rank's bucket and the rank's offset within it.
	type target struct{ k, bucket, offset int }
	targets := make([]target, 0, len(ks))
	wanted := make(map[int]int) // bucket -> index into gathered
	before, b := 0, 0
	for _, k := range ks {
		for before+int(counts[b]) <= k {
			before += int(counts[b])
			b++
		}
		targets = append(targets, target{k: k, bucket: b, offset: k - before})
		wanted[b] = 0
	}
	size := 0
	for bucket := range wanted {
		size += int(counts[bucket])
	}
	out := make(map[int]float64, len(ks))
	if size > len(x)/2 {
		work := slices.Clone(x)
		selectKth(work, ks, 0)
		for _, k := range ks {
			out[k] = work[k]
		}
		return out
	}
	gathered := make([][]float64, 0, len(wanted))
	slot := counts // reused: bucket -> 1 + index into gathered, 0 if unwanted
	for bucket := range wanted {
		wanted[bucket] = len(gathered)
		gathered = append(gathered, make([]float64, 0, counts[bucket]))
	}
	clear(slot)
	for bucket, g := range wanted {
		slot[bucket] = int32(g + 1)
	}
	for _, v := range x {
		if g := slot[stats.SortKey(v)>>shift]; g != 0 {
			gathered[g-1] = append(gathered[g-1], v)
		}
	}
	for _, g := range gathered {
		slices.Sort(g)
	}
	for _, t := range targets {
		out[t.k] = gathered[wanted[t.bucket]][t.offset]
	}
	return out
}

// selectKth permutes a so that a[k-off] is the (k)-th smallest value of a
// for every k in ks (ascending, offsets into the original slice), as
// numpy.partition does: a three-way quickselect that recurses only into
// parts holding a wanted index, and sorts small or badly split parts. Bin
// selects float64 values with it, Fit's sample the k-th smallest hash.
func selectKth[T cmp.Ordered](a []T, ks []int, off int) {
	for depth := 0; len(ks) > 0; depth++ {
		if len(a) <= 32 || depth > 64 {
			slices.Sort(a)
			return
		}
		m := len(a) / 2
		p := median3(a[0], a[m], a[len(a)-1])
		lt, i, gt := 0, 0, len(a)
		for i < gt {
			switch v := a[i]; {
			case v < p:
				a[lt], a[i] = a[i], a[lt]
				lt++
				i++
			case v > p:
				gt--
				a[gt], a[i] = a[i], a[gt]
			default:
				i++
			}
		}
		// ks below lt go left, ks at or above gt go right.
		split := sort.SearchInts(ks, off+lt)
		right := sort.SearchInts(ks, off+gt)
		if split > 0 && right < len(ks) {
			selectKth(a[:lt], ks[:split], off)
			a, ks, off = a[gt:], ks[right:], off+gt
			continue
		}
		if split > 0 {
			a, ks = a[:lt], ks[:split]
			continue
		}
		a, ks, off = a[gt:], ks[right:], off+gt
	}
}

func median3[T cmp.Ordered](a, b, c T) T {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	if a > b {
		return a
	}
	return b
}

// BinIndex returns the bin of v for the given inner edges: the number of
// edges at or below v, so a value equal to an edge falls in the bin to its
// right. Edges must be sorted; a NaN v falls in the last bin, so drop NaN
// first (Bin and Compare do).
func BinIndex(edges []float64, v float64) int {
	lo, hi := 0, len(edges)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if edges[m] > v {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// Histogram counts values into len(edges)+1 bins (see BinIndex). Edges
// must be strictly increasing and values free of NaN.
func Histogram(edges, values []float64) []float64 {
	counts := make([]float64, len(edges)+1)
	if len(values) < 1<<12 || len(edges) > 120 {
		for _, v := range values {
			counts[BinIndex(edges, v)]++
		}
		return counts
	}
	// Large inputs: most values fall in a 2^-16 slice of the key space
	// that lies wholly inside one bin, found by one table lookup; only
	// slices cut by an edge need the search.
	table := binTable(edges)
	n := make([]int64, len(counts))
	for _, v := range values {
		if b := table[stats.SortKey(v)>>48]; b >= 0 {
			n[b]++
		} else {
			n[BinIndex(edges, v)]++
		}
	}
	for i, c := range n {
		counts[i] = float64(c)
	}
	return counts
}

// binTable maps the top 16 bits of a value's sort key to its bin, or -1
// when an edge cuts that slice of the key space (or it holds NaNs).
func binTable(edges []float64) []int8 {
	table := make([]int8, 1<<16)
	for b := range table {
		lo := stats.FromSortKey(uint64(b) << 48)
		hi := stats.FromSortKey(uint64(b)<<48 | (1<<48 - 1))
		if lo != lo || hi != hi {
			table[b] = -1
			continue
		}
		if i, j := BinIndex(edges, lo), BinIndex(edges, hi); i == j {
			table[b] = int8(i)
		} else {
			table[b] = -1
		}
	}
	return table
}
