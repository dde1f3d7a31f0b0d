package drift

import "github.com/sextant-ml/sextant/internal/stats"

// KSResult is the outcome of a two-sample Kolmogorov-Smirnov test.
type KSResult struct {
	// D is the largest absolute difference between the two empirical
	// distribution functions, in [0, 1].
	D float64
	// P is the two-sided p-value.
	P float64
	// Method is the method that produced P: KSExact or KSAsymptotic,
	// never KSAuto.
	Method KSMethod
}

// KSMethod selects exact or asymptotic KS p-values. The zero value is
// KSAuto.
type KSMethod int

// KS p-value methods.
const (
	// KSAuto is exact when the larger sample has at most KSExactMaxN
	// values, asymptotic above, as scipy.stats.ks_2samp(method="auto").
	KSAuto KSMethod = iota
	// KSExact counts lattice paths (falls back to asymptotic when the
	// sizes' least common multiple overflows 32 bits, as SciPy does).
	KSExact
	// KSAsymptotic uses the distribution of D_n at n = n1*n2/(n1+n2).
	KSAsymptotic
)

// KSExactMaxN is the largest sample KSAuto computes exactly.
const KSExactMaxN = stats.KSExactMaxN

// String returns "auto", "exact" or "asymptotic", or "KSMethod(n)" for a
// value outside the constants.
func (m KSMethod) String() string { return m.stats().String() }

// stats converts m to the internal method of the same meaning.
func (m KSMethod) stats() stats.KSMethod {
	switch m {
	case KSAuto:
		return stats.KSAuto
	case KSExact:
		return stats.KSExact
	case KSAsymptotic:
		return stats.KSAsymptotic
	}
	return stats.KSMethod(m)
}

// ksMethodFrom converts an internal method to drift's.
func ksMethodFrom(m stats.KSMethod) KSMethod {
	switch m {
	case stats.KSAuto:
		return KSAuto
	case stats.KSExact:
		return KSExact
	case stats.KSAsymptotic:
		return KSAsymptotic
	}
	return KSMethod(m)
}

// MannWhitneyResult is the outcome of a two-sided Mann-Whitney U test.
type MannWhitneyResult struct {
	// U is the statistic of the first sample (SciPy's U1): the number of
	// pairs (x_i, y_j) with x_i > y_j, plus half the number of ties.
	U float64
	// Z is the continuity-corrected, tie-corrected standard score of U:
	// positive when the first sample tends to be larger, negative when it
	// tends to be smaller, 0 when every value is tied.
	Z float64
	// P is the two-sided asymptotic p-value; 1 when every value is tied.
	P float64
}

// CramerVonMisesResult is the outcome of a two-sample Cramér-von Mises
// test.
type CramerVonMisesResult struct {
	// Statistic is Anderson's T, with midranks for ties.
	Statistic float64
	// P is the asymptotic p-value.
	P float64
}

// ChiSquareResult is the outcome of a chi-square test.
type ChiSquareResult struct {
	// Statistic is Pearson's chi-square statistic (Yates-corrected for
	// ChiSquare at one degree of freedom).
	Statistic float64
	// P is Pr(X > Statistic) for X chi-square distributed with DoF
	// degrees of freedom.
	P float64
	// DoF is the degrees of freedom of the reference chi-square
	// distribution.
	DoF int
}

// KS runs the two-sided two-sample Kolmogorov-Smirnov test, as
// scipy.stats.ks_2samp(x, y, method=...). Samples must be non-empty and
// free of NaN.
func KS(x, y []float64, method KSMethod) (KSResult, error) {
	r, err := stats.KolmogorovSmirnov(x, y, method.stats())
	return KSResult{D: r.D, P: r.P, Method: ksMethodFrom(r.Method)}, fromStats(err)
}

// MannWhitney runs the two-sided Mann-Whitney U test with the normal
// approximation, continuity and tie corrections, as
// scipy.stats.mannwhitneyu(x, y, method="asymptotic").
func MannWhitney(x, y []float64) (MannWhitneyResult, error) {
	r, err := stats.MannWhitneyU(x, y)
	return MannWhitneyResult(r), fromStats(err)
}

// CramerVonMises runs the two-sample Cramér-von Mises test with the
// asymptotic p-value, as scipy.stats.cramervonmises_2samp(x, y,
// method="asymptotic"). Each sample needs at least two values.
func CramerVonMises(x, y []float64) (CramerVonMisesResult, error) {
	r, err := stats.CramerVonMises(x, y)
	return CramerVonMisesResult(r), fromStats(err)
}

// ChiSquare tests two rows of counts over the same categories with
// Pearson's chi-square on their 2xK table, as
// scipy.stats.chi2_contingency(correction=True): categories empty on both
// sides are left out, Yates' correction applies at one degree of freedom.
func ChiSquare(ref, cur []float64) (ChiSquareResult, error) {
	r, err := stats.ChiSquareContingency(ref, cur)
	return ChiSquareResult(r), fromStats(err)
}

// ChiSquareGoodnessOfFit tests current counts against the reference
// proportions scaled to the current total, as scipy.stats.chisquare, over
// the categories seen on either side; a category absent from the
// reference makes it undefined (ErrInvalid).
func ChiSquareGoodnessOfFit(ref, cur []float64) (ChiSquareResult, error) {
	r, err := chiSquareGOF(ref, cur)
	return ChiSquareResult(r), fromStats(err)
}

// TwoProportionZ runs the pooled two-sided z-test of success1/n1 against
// success2/n2.
func TwoProportionZ(success1, n1, success2, n2 int64) (z, p float64, err error) {
	z, p, err = stats.TwoProportionZ(success1, n1, success2, n2)
	return z, p, fromStats(err)
}
