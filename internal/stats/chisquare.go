package stats

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// ChiSquareResult is the outcome of a chi-square test.
type ChiSquareResult struct {
	Statistic float64
	P         float64
	// DoF is the degrees of freedom of the reference chi-square
	// distribution.
	DoF int
}

// ChiSquareSF returns Pr(X > x) for X chi-square distributed with dof
// degrees of freedom (SciPy's chi2.sf).
func ChiSquareSF(x float64, dof int) float64 {
	switch {
	case dof <= 0 || math.IsNaN(x):
		return math.NaN()
	case x <= 0:
		return 1
	case math.IsInf(x, 1):
		return 0
	}
	return mathext.GammaIncRegComp(float64(dof)/2, x/2)
}

// ChiSquareContingency tests whether two rows of counts over the same
// categories come from one distribution: Pearson's chi-square on the 2xK
// contingency table, as scipy.stats.chi2_contingency(table, correction=True)
// computes it. Categories with zero count in both rows are left out; Yates'
// continuity correction is applied only when one degree of freedom is left.
// With a single category left the statistic is 0 and P is 1.
//
// Counts must be finite and non-negative (ErrInvalid), the rows must have
// the same length and each a positive total (ErrEmpty).
func ChiSquareContingency(row1, row2 []float64) (ChiSquareResult, error) {
	if len(row1) != len(row2) {
		return ChiSquareResult{}, fmt.Errorf("%w: chi-square rows have %d and %d categories", ErrInvalid, len(row1), len(row2))
	}
	t1, err := countTotal("chi-square contingency", row1)
	if err != nil {
		return ChiSquareResult{}, err
	}
	t2, err := countTotal("chi-square contingency", row2)
	if err != nil {
		return ChiSquareResult{}, err
	}
	total := t1 + t2
	if math.IsInf(total, 0) {
		return ChiSquareResult{}, fmt.Errorf("%w: chi-square contingency counts sum past the float64 range", ErrInvalid)
	}
	k := 0
	for i := range row1 {
		if row1[i]+row2[i] > 0 {
			k++
		}
	}
	dof := k - 1
	if dof == 0 {
		return ChiSquareResult{Statistic: 0, P: 1, DoF: 0}, nil
	}
	stat := 0.0
	for i := range row1 {
		col := row1[i] + row2[i]
		if col == 0 {
			continue
		}
		for r, obs := range [2]float64{row1[i], row2[i]} {
			rowTotal := t1
			if r == 1 {
				rowTotal = t2
			}
			exp := rowTotal * col / total
			diff := exp - obs
			if dof == 1 {
				// Yates: move each observation half a count towards its
				// expectation, but never past it.
				obs += math.Copysign(math.Min(0.5, math.Abs(diff)), diff)
			}
			stat += (obs - exp) * (obs - exp) / exp
		}
	}
	return ChiSquareResult{Statistic: stat, P: ChiSquareSF(stat, dof), DoF: dof}, nil
}

// ChiSquareGoodnessOfFit tests observed counts against expected counts with
// Pearson's statistic and len-1 degrees of freedom, as
// scipy.stats.chisquare(observed, f_exp=expected) does. Expected counts must
// be positive (ErrInvalid); the caller scales them to the observed total.
func ChiSquareGoodnessOfFit(observed, expected []float64) (ChiSquareResult, error) {
	if len(observed) != len(expected) {
		return ChiSquareResult{}, fmt.Errorf("%w: chi-square has %d observed and %d expected counts", ErrInvalid, len(observed), len(expected))
	}
	if _, err := countTotal("chi-square goodness of fit", observed); err != nil {
		return ChiSquareResult{}, err
	}
	stat := 0.0
	for i, e := range expected {
		if !(e > 0) || math.IsInf(e, 0) {
			return ChiSquareResult{}, fmt.Errorf("%w: chi-square expected count %v at %d is not positive", ErrInvalid, e, i)
		}
		d := observed[i] - e
		stat += d * d / e
	}
	dof := len(observed) - 1
	if dof == 0 {
		return ChiSquareResult{Statistic: stat, P: 1, DoF: 0}, nil
	}
	return ChiSquareResult{Statistic: stat, P: ChiSquareSF(stat, dof), DoF: dof}, nil
}

func countTotal(test string, counts []float64) (float64, error) {
	total := 0.0
	for i, c := range counts {
		if math.IsNaN(c) {
			return 0, fmt.Errorf("%w: %s count at %d", ErrNaN, test, i)
		}
		if c < 0 || math.IsInf(c, 0) {
			return 0, fmt.Errorf("%w: %s count %v at %d", ErrInvalid, test, c, i)
		}
		total += c
	}
	if total == 0 {
		return 0, fmt.Errorf("%w: %s counts sum to zero", ErrEmpty, test)
	}
	if math.IsInf(total, 0) {
		return 0, fmt.Errorf("%w: %s counts sum past the float64 range", ErrInvalid, test)
	}
	return total, nil
}
