package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// compress turns a sample into sorted distinct values with counts.
func compress(x []float64) Counted {
	s := sortedCopy(x)
	var c Counted
	for _, v := range s {
		if n := len(c.Values); n > 0 && c.Values[n-1] == v {
			c.Counts[n-1]++
			continue
		}
		c.Values = append(c.Values, v)
		c.Counts = append(c.Counts, 1)
	}
	return c
}

func TestCountedMatchesExpanded(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 20 {
		n, m := 5+rng.IntN(300), 5+rng.IntN(300)
		levels := 3 + rng.IntN(40)
		x, y := make([]float64, n), make([]float64, m)
		for i := range x {
			x[i] = float64(rng.IntN(levels))
		}
		for i := range y {
			y[i] = float64(rng.IntN(levels)) + float64(trial%3)
		}
		cx, cy := compress(x), compress(y)

		ks, err := KolmogorovSmirnov(x, y, KSAuto)
		if err != nil {
			t.Fatal(err)
		}
		ksc, err := KolmogorovSmirnovCounted(cx, cy, KSAuto)
		if err != nil {
			t.Fatal(err)
		}
		if ks != ksc {
			t.Errorf("trial %d: KS counted %+v, expanded %+v", trial, ksc, ks)
		}
		mw, _ := MannWhitneyU(x, y)
		mwc, err := MannWhitneyUCounted(cx, cy)
		if err != nil || !near(mwc.U, mw.U) || !near(mwc.P, mw.P) || !near(mwc.Z, mw.Z) {
			t.Errorf("trial %d: MW counted %+v (%v), expanded %+v", trial, mwc, err, mw)
		}
		cvm, _ := CramerVonMises(x, y)
		cvmc, err := CramerVonMisesCounted(cx, cy)
		if err != nil || !near(cvmc.Statistic, cvm.Statistic) || !near(cvmc.P, cvm.P) {
			t.Errorf("trial %d: CvM counted %+v (%v), expanded %+v", trial, cvmc, err, cvm)
		}
	}
}

func TestCountedRejectsBadInput(t *testing.T) {
	good := Counted{Values: []float64{1, 2}, Counts: []int64{1, 2}}
	tests := []struct {
		name string
		c    Counted
		want error
	}{
		{"empty", Counted{}, ErrEmpty},
		{"misaligned", Counted{Values: []float64{1, 2}, Counts: []int64{1}}, ErrInvalid},
		{"unsorted", Counted{Values: []float64{2, 1}}, ErrInvalid},
		{"zero count", Counted{Values: []float64{1, 2}, Counts: []int64{1, 0}}, ErrInvalid},
		{"nan", Counted{Values: []float64{1, nan()}}, ErrNaN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := KolmogorovSmirnovCounted(tc.c, good, KSAuto); !errors.Is(err, tc.want) {
				t.Errorf("KS err = %v, want %v", err, tc.want)
			}
			if _, err := MannWhitneyUCounted(good, tc.c); !errors.Is(err, tc.want) {
				t.Errorf("MW err = %v, want %v", err, tc.want)
			}
			if _, err := CramerVonMisesCounted(tc.c, good); !errors.Is(err, tc.want) {
				t.Errorf("CvM err = %v, want %v", err, tc.want)
			}
		})
	}
	if !slices.Equal(good.Values, []float64{1, 2}) {
		t.Fatal("input modified")
	}
}

func nan() float64 { var z float64; return z / z }

// Counted samples of trillions of rows (merged profiles) would overflow
// the integer lattice; D is then computed in floating point and the
// p-value is asymptotic.
func TestKolmogorovSmirnovCountedHugeSamples(t *testing.T) {
	// lcm(n1, n2) = 2e20 and D = 1/4: D*lcm is far past int64.
	x := Counted{Values: []float64{0, 1}, Counts: []int64{15e11, 5e11}}
	y := Counted{Values: []float64{0, 1}, Counts: []int64{5e7, 5e7 + 1}}
	n1, n2 := 2e12, 1e8+1.0
	wantD := 0.75 - 5e7/n2
	wantP := KolmogorovSF(int64(math.RoundToEven(n1*n2/(n1+n2))), wantD)
	for _, m := range []KSMethod{KSAuto, KSExact, KSAsymptotic} {
		got, err := KolmogorovSmirnovCounted(x, y, m)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.D-wantD) > 1e-15 || !near(got.P, wantP) || got.Method != KSAsymptotic {
			t.Errorf("%v: got %+v, want D %v P %v asymptotic", m, got, wantD, wantP)
		}
	}
	if _, err := KolmogorovSmirnovCounted(x, y, KSMethod(9)); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown method: err = %v", err)
	}
	over := Counted{Values: []float64{0, 1}, Counts: []int64{math.MaxInt64, 1}}
	if _, err := KolmogorovSmirnovCounted(over, y, KSAuto); !errors.Is(err, ErrInvalid) {
		t.Errorf("overflowing counts: err = %v", err)
	}
}
