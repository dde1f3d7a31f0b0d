package stats

import (
	"fmt"
	"math"
	"slices"
)

// MannWhitneyResult is the outcome of a two-sided Mann-Whitney U test.
type MannWhitneyResult struct {
	// U is the statistic of the first sample (SciPy's U1): the number of
	// pairs (x_i, y_j) with x_i > y_j, plus half the number of ties.
	U float64
	// Z is the continuity-corrected, tie-corrected standard score of U:
	// positive when the first sample tends to be larger, negative when it
	// tends to be smaller, 0 when every value is tied.
	Z float64
	// P is the two-sided asymptotic p-value, exactly as
	// scipy.stats.mannwhitneyu(x, y, alternative="two-sided",
	// method="asymptotic", use_continuity=True) computes it.
	P float64
}

// MannWhitneyU runs the two-sided Mann-Whitney U test of x against y with
// the normal approximation, a continuity correction of 0.5 and the tie
// correction of the variance, as SciPy's mannwhitneyu does with
// method="asymptotic". Both samples must be non-empty and free of NaN;
// infinities are ranked like any other value. When every value is tied the
// variance is zero, Z is 0 and P is 1.
func MannWhitneyU(x, y []float64) (MannWhitneyResult, error) {
	if err := checkSample("mann-whitney", x, y); err != nil {
		return MannWhitneyResult{}, err
	}
	xs, ys := sortedCopies(x, y)
	return mannWhitney(Counted{Values: xs}, Counted{Values: ys}), nil
}

// MannWhitneyUCounted is MannWhitneyU for sorted samples with
// multiplicities.
func MannWhitneyUCounted(x, y Counted) (MannWhitneyResult, error) {
	if err := x.check("mann-whitney", 1); err != nil {
		return MannWhitneyResult{}, err
	}
	if err := y.check("mann-whitney", 2); err != nil {
		return MannWhitneyResult{}, err
	}
	return mannWhitney(x, y), nil
}

func mannWhitney(x, y Counted) MannWhitneyResult {
	r1, tieTerm := rankSum(x.runs(), y.runs())
	n1, n2 := float64(x.N()), float64(y.N())
	u1 := r1 - n1*(n1+1)/2
	u2 := n1*n2 - u1
	mu := n1 * n2 / 2
	n := n1 + n2
	s := math.Sqrt(n1 * n2 / 12 * ((n + 1) - tieTerm/(n*(n-1))))
	res := MannWhitneyResult{U: u1, P: 1}
	if s == 0 || math.IsNaN(s) {
		return res
	}
	z := (math.Max(u1, u2) - mu - 0.5) / s
	res.P = clip01(2 * NormalSF(z))
	switch d := u1 - mu; {
	case d > 0:
		res.Z = (d - 0.5) / s
	case d < 0:
		res.Z = (d + 0.5) / s
	}
	return res
}

// checkSample rejects empty samples and samples holding NaN.
func checkSample(test string, samples ...[]float64) error {
	for i, s := range samples {
		if len(s) == 0 {
			return fmt.Errorf("%w: %s sample %d has no values", ErrEmpty, test, i+1)
		}
		for j, v := range s {
			if math.IsNaN(v) {
				return fmt.Errorf("%w: %s sample %d at index %d", ErrNaN, test, i+1, j)
			}
		}
	}
	return nil
}

func sortedCopy(x []float64) []float64 {
	s := slices.Clone(x)
	Sort(s)
	return s
}

// parallelMin is the sample size from which two samples are sorted on two
// goroutines.
const parallelMin = 1 << 14

// sortedCopies returns sorted copies of x and y, sorting them concurrently
// when both are large. The goroutine is joined before returning.
func sortedCopies(x, y []float64) (xs, ys []float64) {
	if len(x) < parallelMin || len(y) < parallelMin {
		return sortedCopy(x), sortedCopy(y)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		xs = sortedCopy(x)
	}()
	ys = sortedCopy(y)
	<-done
	return xs, ys
}

// rankSum walks two sorted samples as one pooled sample and returns the sum
// of the average ranks of the first and the tie term sum(t^3 - t) over tie
// groups.
func rankSum(xs, ys *runs) (r1, tieTerm float64) {
	pos := 0.0
	for !xs.done() || !ys.done() {
		v := nextValue(xs, ys)
		cx := float64(xs.take(v))
		cy := float64(ys.take(v))
		t := cx + cy
		avg := pos + (t+1)/2
		r1 += cx * avg
		tieTerm += t*t*t - t
		pos += t
	}
	return r1, tieTerm
}
