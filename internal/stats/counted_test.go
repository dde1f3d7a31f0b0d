package stats

import (
	"errors"
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
