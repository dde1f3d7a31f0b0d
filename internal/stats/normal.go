package stats

import "math"

// NormalCDF returns the standard normal cumulative distribution function at z.
func NormalCDF(z float64) float64 {
	return 0.5 * math.Erfc(-z/math.Sqrt2)
}

// NormalSF returns the standard normal survival function 1 - CDF(z), computed
// without cancellation in the upper tail.
func NormalSF(z float64) float64 {
	return 0.5 * math.Erfc(z/math.Sqrt2)
}

// NormalTwoSidedP returns the two-sided p-value 2*SF(|z|) of a standard
// normal score, clipped to [0, 1]. A NaN score gives NaN.
func NormalTwoSidedP(z float64) float64 {
	return clip01(2 * NormalSF(math.Abs(z)))
}

// NormalQuantile returns the z with NormalCDF(z) = p, for p in (0, 1);
// it returns -Inf at 0, +Inf at 1 and NaN outside [0, 1].
func NormalQuantile(p float64) float64 {
	switch {
	case math.IsNaN(p) || p < 0 || p > 1:
		return math.NaN()
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return math.Inf(1)
	}
	return -math.Sqrt2 * math.Erfcinv(2*p)
}

func clip01(p float64) float64 {
	if p < 0 {
		return 0
	}
	if p > 1 {
		return 1
	}
	return p
}
