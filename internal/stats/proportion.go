package stats

import (
	"fmt"
	"math"
)

// TwoProportionZ runs the pooled two-sided z-test of the proportions
// success1/n1 and success2/n2. z is positive when the first proportion is
// the larger. When the pooled proportion is 0 or 1 the standard error is
// zero and the test returns z = 0, p = 1.
//
// Both trial counts must be positive (ErrEmpty otherwise) and each success
// count must lie in [0, n] (ErrInvalid otherwise).
func TwoProportionZ(success1, n1, success2, n2 int64) (z, p float64, err error) {
	if n1 <= 0 || n2 <= 0 {
		return 0, 0, fmt.Errorf("%w: two-proportion z needs positive trial counts, got %d and %d", ErrEmpty, n1, n2)
	}
	if success1 < 0 || success1 > n1 || success2 < 0 || success2 > n2 {
		return 0, 0, fmt.Errorf("%w: two-proportion z successes %d/%d and %d/%d out of range", ErrInvalid, success1, n1, success2, n2)
	}
	f1, f2 := float64(n1), float64(n2)
	pooled := (float64(success1) + float64(success2)) / (f1 + f2) // no int64 overflow
	se := math.Sqrt(pooled * (1 - pooled) * (1/f1 + 1/f2))
	if se == 0 {
		return 0, 1, nil
	}
	z = (float64(success1)/f1 - float64(success2)/f2) / se
	return z, NormalTwoSidedP(z), nil
}
