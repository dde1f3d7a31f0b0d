package drift

import "github.com/sextant-ml/sextant/internal/stats"

// Results of the two-sample tests, shared with the rest of the module.
type (
	// KSResult is the outcome of a two-sample Kolmogorov-Smirnov test.
	KSResult = stats.KSResult
	// KSMethod selects exact or asymptotic KS p-values.
	KSMethod = stats.KSMethod
	// MannWhitneyResult is the outcome of a Mann-Whitney U test.
	MannWhitneyResult = stats.MannWhitneyResult
	// CramerVonMisesResult is the outcome of a Cramér-von Mises test.
	CramerVonMisesResult = stats.CramerVonMisesResult
	// ChiSquareResult is the outcome of a chi-square test.
	ChiSquareResult = stats.ChiSquareResult
)

// KS p-value methods.
const (
	// KSAuto is exact up to KSExactMaxN values per sample, asymptotic above.
	KSAuto = stats.KSAuto
	// KSExact counts lattice paths (falls back to asymptotic when the
	// sizes' least common multiple overflows 32 bits, as SciPy does).
	KSExact = stats.KSExact
	// KSAsymptotic uses the distribution of D_n at n = n1*n2/(n1+n2).
	KSAsymptotic = stats.KSAsymptotic
	// KSExactMaxN is the largest sample KSAuto computes exactly.
	KSExactMaxN = stats.KSExactMaxN
)

// KS runs the two-sided two-sample Kolmogorov-Smirnov test, as
// scipy.stats.ks_2samp(x, y, method=...). Samples must be non-empty and
// free of NaN.
func KS(x, y []float64, method KSMethod) (KSResult, error) {
	r, err := stats.KolmogorovSmirnov(x, y, method)
	return r, fromStats(err)
}

// MannWhitney runs the two-sided Mann-Whitney U test with the normal
// approximation, continuity and tie corrections, as
// scipy.stats.mannwhitneyu(x, y, method="asymptotic").
func MannWhitney(x, y []float64) (MannWhitneyResult, error) {
	r, err := stats.MannWhitneyU(x, y)
	return r, fromStats(err)
}

// CramerVonMises runs the two-sample Cramér-von Mises test with the
// asymptotic p-value, as scipy.stats.cramervonmises_2samp(x, y,
// method="asymptotic"). Each sample needs at least two values.
func CramerVonMises(x, y []float64) (CramerVonMisesResult, error) {
	r, err := stats.CramerVonMises(x, y)
	return r, fromStats(err)
}

// ChiSquare tests two rows of counts over the same categories with
// Pearson's chi-square on their 2xK table, as
// scipy.stats.chi2_contingency(correction=True): categories empty on both
// sides are left out, Yates' correction applies at one degree of freedom.
func ChiSquare(ref, cur []float64) (ChiSquareResult, error) {
	r, err := stats.ChiSquareContingency(ref, cur)
	return r, fromStats(err)
}

// ChiSquareGoodnessOfFit tests current counts against the reference
// proportions scaled to the current total, as scipy.stats.chisquare, over
// the categories seen on either side; a category absent from the
// reference makes it undefined (ErrInvalid).
func ChiSquareGoodnessOfFit(ref, cur []float64) (ChiSquareResult, error) {
	r, err := chiSquareGOF(ref, cur)
	return r, fromStats(err)
}

// TwoProportionZ runs the pooled two-sided z-test of success1/n1 against
// success2/n2.
func TwoProportionZ(success1, n1, success2, n2 int64) (z, p float64, err error) {
	z, p, err = stats.TwoProportionZ(success1, n1, success2, n2)
	return z, p, fromStats(err)
}
