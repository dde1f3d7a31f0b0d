package stats

import (
	"errors"
	"math"
	"testing"
)

// Expected values: scipy.stats.chi2_contingency(table, correction=True)
// on the columns with a non-zero total, and scipy.stats.chisquare.
func TestChiSquareContingencyMatchesSciPy(t *testing.T) {
	tests := []struct {
		name       string
		row1, row2 []float64
		stat, p    float64
		dof        int
	}{
		{"2x3", []float64{10, 20, 30}, []float64{15, 15, 40}, 2.3877551020408165, 0.30304391468510006, 2},
		{"2x2 yates", []float64{5, 0}, []float64{3, 9}, 5.242650462962963, 0.02203967144061956, 1},
		{"2x2 equal", []float64{7, 7}, []float64{7, 7}, 0, 1, 1},
		{"empty column dropped", []float64{12, 0, 3}, []float64{4, 0, 9}, 5.02863247863248, 0.024931576731126233, 1},
		{"single category", []float64{4, 0}, []float64{9, 0}, 0, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ChiSquareContingency(tc.row1, tc.row2)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got.Statistic, tc.stat) || !near(got.P, tc.p) || got.DoF != tc.dof {
				t.Errorf("got %+v, want statistic %v p %v dof %d", got, tc.stat, tc.p, tc.dof)
			}
		})
	}
	gof, err := ChiSquareGoodnessOfFit([]float64{10, 20, 30}, []float64{20, 20, 20})
	if err != nil {
		t.Fatal(err)
	}
	if !near(gof.Statistic, 10) || !near(gof.P, 0.006737946999085468) || gof.DoF != 2 {
		t.Errorf("goodness of fit = %+v", gof)
	}
	one, err := ChiSquareGoodnessOfFit([]float64{3}, []float64{5})
	if err != nil || one.P != 1 || one.DoF != 0 {
		t.Errorf("one category: %+v %v", one, err)
	}
}

func TestChiSquareErrors(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		f    func() error
		want error
	}{
		{"rows differ", func() error { _, err := ChiSquareContingency([]float64{1}, []float64{1, 2}); return err }, ErrInvalid},
		{"empty row", func() error { _, err := ChiSquareContingency([]float64{0, 0}, []float64{1, 2}); return err }, ErrEmpty},
		{"negative", func() error { _, err := ChiSquareContingency([]float64{-1, 3}, []float64{1, 2}); return err }, ErrInvalid},
		{"nan", func() error { _, err := ChiSquareContingency([]float64{nan, 3}, []float64{1, 2}); return err }, ErrNaN},
		{"gof lengths", func() error { _, err := ChiSquareGoodnessOfFit([]float64{1}, []float64{1, 2}); return err }, ErrInvalid},
		{"gof zero expected", func() error { _, err := ChiSquareGoodnessOfFit([]float64{1, 2}, []float64{0, 3}); return err }, ErrInvalid},
		{"gof inf expected", func() error {
			_, err := ChiSquareGoodnessOfFit([]float64{1, 2}, []float64{math.Inf(1), 3})
			return err
		}, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.f(); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if !math.IsNaN(ChiSquareSF(1, 0)) || ChiSquareSF(-1, 3) != 1 || ChiSquareSF(math.Inf(1), 3) != 0 {
		t.Error("ChiSquareSF edge values")
	}
}

// scipy.stats.cramervonmises_2samp([1,2,3,4,5], [2.5,3.5,6,7,8,9], method="asymptotic").
func TestCramerVonMisesSmall(t *testing.T) {
	got, err := CramerVonMises([]float64{1, 2, 3, 4, 5}, []float64{2.5, 3.5, 6, 7, 8, 9})
	if err != nil {
		t.Fatal(err)
	}
	if !near(got.Statistic, 0.38787878787878793) || !near(got.P, 0.07913647329319462) {
		t.Errorf("got %+v", got)
	}
	if _, err := CramerVonMises([]float64{1}, []float64{1, 2}); !errors.Is(err, ErrEmpty) {
		t.Errorf("one value: err = %v", err)
	}
	if CramerVonMisesLimitCDF(0) != 0 || CramerVonMisesLimitCDF(math.Inf(1)) != 1 {
		t.Error("limit cdf edge values")
	}
}

func TestKolmogorovSFEdges(t *testing.T) {
	if !math.IsNaN(KolmogorovSF(0, 0.5)) || KolmogorovSF(5, 1) != 0 || KolmogorovSF(5, 0) != 1 || KolmogorovSF(5, 0.05) != 1 {
		t.Error("KolmogorovSF edge values")
	}
	if !math.IsNaN(SmirnovSF(3, 2)) || SmirnovSF(3, 0) != 1 || SmirnovSF(3, 1) != 0 {
		t.Error("SmirnovSF edge values")
	}
	if NormalTwoSidedP(0) != 1 || !math.IsNaN(NormalTwoSidedP(math.NaN())) {
		t.Error("NormalTwoSidedP edge values")
	}
}
