package stats

import (
	"fmt"
	"math"
)

// KSMethod selects how the two-sample Kolmogorov-Smirnov p-value is computed.
type KSMethod int

const (
	// KSAuto uses the exact distribution when the larger sample has at most
	// KSExactMaxN values and the asymptotic one otherwise, as SciPy's
	// ks_2samp(method="auto") does.
	KSAuto KSMethod = iota
	// KSExact counts lattice paths for the exact null distribution of the
	// statistic (Hodges; Viehmann's stable recursion for 1 - p). It falls
	// back to KSAsymptotic when the least common multiple of the sample
	// sizes does not fit a 32-bit integer, as SciPy does.
	KSExact
	// KSAsymptotic evaluates the distribution of the one-sample statistic
	// D_n at n = round(n1*n2/(n1+n2)), SciPy's kstwo.sf.
	KSAsymptotic
)

// KSExactMaxN is the largest sample size for which KSAuto computes the exact
// p-value.
const KSExactMaxN = 10000

// String returns "auto", "exact" or "asymptotic".
func (m KSMethod) String() string {
	switch m {
	case KSAuto:
		return "auto"
	case KSExact:
		return "exact"
	case KSAsymptotic:
		return "asymptotic"
	}
	return fmt.Sprintf("KSMethod(%d)", int(m))
}

// KSResult is the outcome of a two-sided two-sample Kolmogorov-Smirnov test.
type KSResult struct {
	// D is the largest absolute difference between the two empirical
	// distribution functions.
	D float64
	// P is the two-sided p-value.
	P float64
	// Method is the method that produced P (never KSAuto).
	Method KSMethod
}

// KolmogorovSmirnov runs the two-sided two-sample Kolmogorov-Smirnov test,
// matching scipy.stats.ks_2samp(x, y, method=...). Both samples must be
// non-empty and free of NaN; infinities are allowed.
func KolmogorovSmirnov(x, y []float64, method KSMethod) (KSResult, error) {
	if err := checkSample("kolmogorov-smirnov", x, y); err != nil {
		return KSResult{}, err
	}
	if len(x) >= radixMin && len(y) >= radixMin {
		// Large samples: walk the sorted order-preserving keys directly,
		// which skips copying the samples and decoding the keys.
		kx, ky := sortedKeyPair(x, y)
		n1, n2 := int64(len(x)), int64(len(y))
		g := gcd(n1, n2)
		return ksFromLattice(n1, n2, g, ksLatticeKeys(kx, ky, n1/g, n2/g), method)
	}
	xs, ys := sortedCopies(x, y)
	return KolmogorovSmirnovSorted(xs, ys, method)
}

// ksLatticeKeys is ksLatticeStatistic over sorted keys (see sortKeys),
// where equal keys are equal values.
func ksLatticeKeys(kx, ky []uint64, n1g, n2g int64) int64 {
	var best int64
	i, j := 0, 0
	for i < len(kx) && j < len(ky) {
		v := min(kx[i], ky[j])
		for i < len(kx) && kx[i] == v {
			i++
		}
		for j < len(ky) && ky[j] == v {
			j++
		}
		diff := int64(i)*n2g - int64(j)*n1g
		best = max(best, diff, -diff)
	}
	return best
}

// KolmogorovSmirnovSorted is KolmogorovSmirnov for samples already sorted in
// ascending order, which saves the two sorts when a caller keeps a sorted
// reference. The samples must not hold NaN.
func KolmogorovSmirnovSorted(xs, ys []float64, method KSMethod) (KSResult, error) {
	if len(xs) == 0 || len(ys) == 0 {
		return KSResult{}, fmt.Errorf("%w: kolmogorov-smirnov needs two non-empty samples", ErrEmpty)
	}
	return kolmogorovSmirnov(Counted{Values: xs}, Counted{Values: ys}, method)
}

// KolmogorovSmirnovCounted is KolmogorovSmirnov for sorted samples with
// multiplicities; the sample sizes are the total counts.
func KolmogorovSmirnovCounted(x, y Counted, method KSMethod) (KSResult, error) {
	if err := x.check("kolmogorov-smirnov", 1); err != nil {
		return KSResult{}, err
	}
	if err := y.check("kolmogorov-smirnov", 2); err != nil {
		return KSResult{}, err
	}
	return kolmogorovSmirnov(x, y, method)
}

func kolmogorovSmirnov(x, y Counted, method KSMethod) (KSResult, error) {
	n1, n2 := x.N(), y.N()
	g := gcd(n1, n2)
	if float64(n1/g)*float64(n2) >= 1<<62 {
		// lcm(n1, n2) would overflow the integer lattice (counted samples
		// of billions of rows): D in floating point, and the asymptotic
		// p-value, which SciPy too uses once lcm passes 32 bits.
		if method != KSAuto && method != KSExact && method != KSAsymptotic {
			return KSResult{}, fmt.Errorf("%w: unknown kolmogorov-smirnov method %v", ErrInvalid, method)
		}
		return ksAsymptotic(n1, n2, ksFloatStatistic(x.runs(), y.runs(), float64(n1), float64(n2))), nil
	}
	return ksFromLattice(n1, n2, g, ksLatticeStatistic(x.runs(), y.runs(), n1/g, n2/g), method)
}

// ksFloatStatistic returns D = max |c1/n1 - c2/n2| over the pooled sample
// in floating point.
func ksFloatStatistic(xs, ys *runs, n1, n2 float64) float64 {
	var best, c1, c2 float64
	for !xs.done() && !ys.done() {
		v := nextValue(xs, ys)
		c1 += float64(xs.take(v))
		c2 += float64(ys.take(v))
		best = max(best, math.Abs(c1/n1-c2/n2))
	}
	return best
}

// ksAsymptotic returns the result with SciPy's asymptotic p-value.
func ksAsymptotic(n1, n2 int64, d float64) KSResult {
	big, small := float64(max(n1, n2)), float64(min(n1, n2))
	en := math.RoundToEven(big * small / (big + small))
	return KSResult{D: d, P: clip01(KolmogorovSF(int64(en), d)), Method: KSAsymptotic}
}

// ksFromLattice turns the lattice statistic h = lcm(n1, n2) * D into the
// result, choosing and computing the p-value as SciPy does.
func ksFromLattice(n1, n2, g, h int64, method KSMethod) (KSResult, error) {
	n1g, n2g := n1/g, n2/g
	lcm := float64(n1g) * float64(n2)
	d := float64(h) / lcm
	if method == KSAuto {
		method = KSAsymptotic
		if max(n1, n2) <= KSExactMaxN {
			method = KSExact
		}
	}
	if method == KSExact && float64(n1g) >= float64(math.MaxInt32)/float64(n2g) {
		method = KSAsymptotic
	}
	if method == KSExact {
		p := 1.0
		switch {
		case h == 0:
		case n1 == n2:
			p = ksOutsideSquare(n1, h)
		default:
			p = ksOutsideBand(n1, n2, g, h)
		}
		if p >= 0 && p <= 1 {
			return KSResult{D: d, P: p, Method: KSExact}, nil
		}
		method = KSAsymptotic
	}
	if method != KSAsymptotic {
		return KSResult{}, fmt.Errorf("%w: unknown kolmogorov-smirnov method %v", ErrInvalid, method)
	}
	return ksAsymptotic(n1, n2, d), nil
}

// ksLatticeStatistic returns lcm(n1, n2) * D as an integer: the largest
// |c1*n2g - c2*n1g| over the pooled sample, where c1 and c2 count the values
// of each sample at or below the point.
func ksLatticeStatistic(xs, ys *runs, n1g, n2g int64) int64 {
	var best, c1, c2 int64
	for !xs.done() && !ys.done() {
		v := nextValue(xs, ys)
		c1 += xs.take(v)
		c2 += ys.take(v)
		diff := c1*n2g - c2*n1g
		if diff < 0 {
			diff = -diff
		}
		best = max(best, diff)
	}
	// Once one sample is exhausted its CDF is 1 and the other's only grows
	// towards 1, so the difference only shrinks: nothing more to check.
	return best
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// ksOutsideSquare returns Pr(D_{n,n} >= h/n) for two samples of equal size
// n: 2 * sum_k (-1)^(k+1) C(2n, n-kh)/C(2n, n), evaluated from the last term
// to the first in nested form to avoid cancellation.
func ksOutsideSquare(n, h int64) float64 {
	p := 0.0
	for k := n / h; k >= 0; k-- {
		term := 1.0
		for j := int64(0); j < h; j++ {
			term = float64(n-k*h-j) * term / float64(n+k*h+j+1)
		}
		p = term * (1 - p)
	}
	return 2 * p
}

// ksOutsideBand returns the probability that a uniformly random monotone
// lattice path from (0, 0) to (m, n) leaves the band |x/m - y/n| < h/lcm at
// some point. The recursion tracks, per cell, the probability that a path
// reaching it has already left the band, so every value stays in [0, 1].
func ksOutsideBand(m, n, g, h int64) float64 {
	if m < n {
		m, n = n, m
	}
	mg, ng := m/g, n/g
	lo, hi := int64(0), min(ceilDiv(h, mg), n+1)
	width := hi - lo
	col := make([]float64, min(2*hi+2, n+1))
	for k := range col {
		col[k] = 1
	}
	for k := lo; k < hi; k++ {
		col[k] = 0
	}
	for i := int64(1); i <= m; i++ {
		prevLo, prevWidth := lo, width
		lo = min(max(floorDiv(ng*i-h, mg)+1, 0), n)
		hi = min(ceilDiv(ng*i+h, mg), n+1)
		if hi <= lo {
			return 1
		}
		val := 1.0
		if lo == 0 {
			val = 0
		}
		fi := float64(i)
		for k := int64(0); k < hi-lo; k++ {
			j := k + lo
			val = (col[k+lo-prevLo]*fi + val*float64(j)) / (fi + float64(j))
			col[k] = val
		}
		width = hi - lo
		for k := width; k < prevWidth; k++ {
			col[k] = 1
		}
	}
	return col[hi-lo-1]
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 {
	return -floorDiv(-a, b)
}
