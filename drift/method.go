package drift

import "fmt"

// Method names a drift test or distance.
type Method string

// Methods. Tests (KS, CramerVonMises, MannWhitney, ChiSquare,
// ChiSquareGOF, ZTest) score a column by their p-value and flag drift when
// it falls below the threshold; distances score by the distance and flag
// drift when it reaches the threshold.
const (
	// MethodAuto picks a method as Evidently does: see Compare.
	MethodAuto Method = ""
	// MethodKS is the two-sample Kolmogorov-Smirnov test (numeric).
	MethodKS Method = "ks"
	// MethodCramerVonMises is the two-sample Cramér-von Mises test (numeric).
	MethodCramerVonMises Method = "cramer_von_mises"
	// MethodMannWhitney is the two-sided Mann-Whitney U test (numeric).
	MethodMannWhitney Method = "mann_whitney"
	// MethodChiSquare is Pearson's chi-square on the 2xK table of reference and
	// current counts, Yates-corrected at one degree of freedom.
	MethodChiSquare Method = "chi_square"
	// MethodChiSquareGOF is chi-square goodness of fit of the current counts to
	// the reference proportions; undefined for unseen categories.
	MethodChiSquareGOF Method = "chi_square_gof"
	// MethodZ is the pooled two-proportion z-test on the first category (in
	// sorted order) of a column with at most two categories.
	MethodZ Method = "z"
	// MethodWasserstein is the Wasserstein-1 distance divided by the reference
	// standard deviation (floored at StdFloor) (numeric).
	MethodWasserstein Method = "wasserstein"
	// MethodWassersteinRaw is the unscaled Wasserstein-1 distance (numeric).
	MethodWassersteinRaw Method = "wasserstein_raw"
	// MethodPSI is the population stability index over bins or categories.
	MethodPSI Method = "psi"
	// MethodJensenShannon is the base-2 Jensen-Shannon distance.
	MethodJensenShannon Method = "jensen_shannon"
	// MethodKL is KL(current || reference) in nats.
	MethodKL Method = "kl"
	// MethodHellinger is the Hellinger distance.
	MethodHellinger Method = "hellinger"
	// MethodLInfinity is the largest difference between proportions.
	MethodLInfinity Method = "l_infinity"
)

type methodInfo struct {
	pvalue      bool
	threshold   float64
	numeric     bool // applies to numeric columns
	categorical bool // applies to categorical columns
}

// info returns a method's kind and default threshold (Evidently's).
func (m Method) info() (methodInfo, bool) {
	both := methodInfo{numeric: true, categorical: true}
	test := func(i methodInfo) methodInfo { i.pvalue, i.threshold = true, 0.05; return i }
	dist := func(i methodInfo) methodInfo { i.threshold = 0.1; return i }
	switch m {
	case MethodKS, MethodCramerVonMises, MethodMannWhitney:
		return test(methodInfo{numeric: true}), true
	case MethodChiSquare, MethodChiSquareGOF, MethodZ:
		return test(both), true
	case MethodWasserstein, MethodWassersteinRaw:
		return dist(methodInfo{numeric: true}), true
	case MethodPSI, MethodJensenShannon, MethodKL, MethodHellinger, MethodLInfinity:
		return dist(both), true
	}
	return methodInfo{}, false
}

// IsTest reports whether the method scores by a p-value.
func (m Method) IsTest() bool { i, _ := m.info(); return i.pvalue }

// DefaultThreshold returns the method's default threshold: 0.05 on the
// p-value for tests, 0.1 on the distance otherwise.
func (m Method) DefaultThreshold() float64 { i, _ := m.info(); return i.threshold }

func (m Method) check(kind Kind) error {
	info, ok := m.info()
	if !ok {
		return fmt.Errorf("%w: unknown method %q", ErrInvalid, m)
	}
	if (kind == Numeric && !info.numeric) || (kind == Categorical && !info.categorical) {
		return fmt.Errorf("%w: %s on a %s column", ErrMethod, m, kind)
	}
	return nil
}
