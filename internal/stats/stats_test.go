package stats

import (
	"errors"
	"math"
	"testing"
)

// near reports whether got is within the tolerance the project uses for
// SciPy parity: 1e-9 absolute plus 1e-6 relative.
func near(got, want float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= 1e-9+1e-6*math.Abs(want)
}

// Expected values in this file come from SciPy 1.10.1:
//
//	stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True)
//	stats.norm.sf(z), stats.norm.cdf(z)
func TestMannWhitneyUMatchesSciPy(t *testing.T) {
	tests := []struct {
		name    string
		x, y    []float64
		u, p    float64
		zSign   float64
		zIsZero bool
	}{
		{"separated", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 0, 0.012185780355344813, -1, false},
		{"separated reversed", []float64{6, 7, 8, 9, 10}, []float64{1, 2, 3, 4, 5}, 25, 0.012185780355344813, 1, false},
		{"ties", []float64{1.5, 2.5, 2.5, 7, 9, 9, 9}, []float64{2.5, 3, 9, 11, 0.5}, 17.5, 1.0, 0, true},
		{"all tied", []float64{3, 3, 3}, []float64{3, 3}, 3, 1, 0, true},
		{"mixed", []float64{0.2, -1.1, 4.0, 2.2, 0.7, 0.7, 3.1, -0.4}, []float64{1.0, 1.9, 0.7, 2.8, 3.3, 5.1, 4.4, 2.2, 0.9}, 18.5, 0.10082634832319681, -1, false},
		{"one each", []float64{1}, []float64{2}, 0, 1, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MannWhitneyU(tc.x, tc.y)
			if err != nil {
				t.Fatal(err)
			}
			if !near(got.U, tc.u) || !near(got.P, tc.p) {
				t.Errorf("MannWhitneyU = U %v P %v, want U %v P %v", got.U, got.P, tc.u, tc.p)
			}
			if tc.zIsZero && got.Z != 0 {
				t.Errorf("Z = %v, want 0", got.Z)
			}
			if !tc.zIsZero && math.Signbit(got.Z) != math.Signbit(tc.zSign) {
				t.Errorf("Z = %v, want sign of %v", got.Z, tc.zSign)
			}
			// The p-value is the two-sided normal tail of Z except where
			// the continuity correction pushes it above 1.
			if !tc.zIsZero && !near(got.P, math.Min(1, 2*NormalSF(math.Abs(got.Z)))) {
				t.Errorf("P = %v is not the two-sided tail of Z = %v", got.P, got.Z)
			}
			if tc.x[0] == 6 {
				return
			}
			// Swapping the samples gives U2 = n1*n2 - U1 and the same p-value.
			sw, err := MannWhitneyU(tc.y, tc.x)
			if err != nil {
				t.Fatal(err)
			}
			if !near(sw.U, float64(len(tc.x)*len(tc.y))-tc.u) || !near(sw.P, got.P) || sw.Z != -got.Z {
				t.Errorf("swapped = %+v, original %+v", sw, got)
			}
		})
	}
}

func TestMannWhitneyUDoesNotModifyInput(t *testing.T) {
	x := []float64{3, 1, 2}
	y := []float64{9, 0, 4}
	if _, err := MannWhitneyU(x, y); err != nil {
		t.Fatal(err)
	}
	if x[0] != 3 || x[1] != 1 || y[1] != 0 {
		t.Errorf("inputs were reordered: %v %v", x, y)
	}
}

func TestMannWhitneyUErrors(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		want error
	}{
		{"empty x", nil, []float64{1}, ErrEmpty},
		{"empty y", []float64{1}, []float64{}, ErrEmpty},
		{"nan", []float64{1, math.NaN()}, []float64{1}, ErrNaN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := MannWhitneyU(tc.x, tc.y)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// Expected: pooled z = (x1/n1 - x2/n2)/sqrt(pp(1-pp)(1/n1+1/n2)), p = 2*stats.norm.sf(|z|).
func TestTwoProportionZMatchesSciPy(t *testing.T) {
	tests := []struct {
		s1, n1, s2, n2 int64
		z, p           float64
	}{
		{9, 24, 17, 33, -1.0488908453285026, 0.2942283594097923},
		{0, 10, 0, 20, 0, 1},
		{10, 10, 5, 5, 0, 1},
		{120, 1000, 151, 1000, -2.025324188790229, 0.042834086314141616},
		{151, 1000, 120, 1000, 2.025324188790229, 0.042834086314141616},
		{1, 3, 2, 2, -1.49071198499986, 0.13603712811414354},
	}
	for _, tc := range tests {
		z, p, err := TwoProportionZ(tc.s1, tc.n1, tc.s2, tc.n2)
		if err != nil {
			t.Fatal(err)
		}
		if !near(z, tc.z) || !near(p, tc.p) {
			t.Errorf("TwoProportionZ(%d,%d,%d,%d) = %v, %v; want %v, %v", tc.s1, tc.n1, tc.s2, tc.n2, z, p, tc.z, tc.p)
		}
	}
}

// Success counts near the int64 limit must not overflow their sum: all of
// one side against almost none of the other is an enormous z.
func TestTwoProportionZHugeCounts(t *testing.T) {
	const n = math.MaxInt64
	z, p, err := TwoProportionZ(n, n, 1, n)
	if err != nil {
		t.Fatal(err)
	}
	// pooled = 1/2, so z = 1/sqrt(1/4 * 2/n) = sqrt(2n).
	if want := math.Sqrt(2 * float64(n)); math.Abs(z-want) > 1e-6*want || p != 0 {
		t.Errorf("z = %v, p = %v; want z %v, p 0", z, p, want)
	}
}

func TestTwoProportionZErrors(t *testing.T) {
	tests := []struct {
		name           string
		s1, n1, s2, n2 int64
		want           error
	}{
		{"no trials", 0, 0, 1, 2, ErrEmpty},
		{"negative trials", 0, 3, 0, -1, ErrEmpty},
		{"too many successes", 4, 3, 1, 2, ErrInvalid},
		{"negative successes", 1, 3, -1, 2, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := TwoProportionZ(tc.s1, tc.n1, tc.s2, tc.n2)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestNormal(t *testing.T) {
	tests := []struct{ z, sf, cdf float64 }{
		{-3, 0.9986501019683699, 0.0013498980316300933},
		{0, 0.5, 0.5},
		{1.5, 0.06680720126885807, 0.9331927987311419},
		{8, 6.22096057427174e-16, 0.9999999999999993},
	}
	for _, tc := range tests {
		if got := NormalSF(tc.z); !near(got, tc.sf) {
			t.Errorf("NormalSF(%v) = %v, want %v", tc.z, got, tc.sf)
		}
		if got := NormalCDF(tc.z); !near(got, tc.cdf) {
			t.Errorf("NormalCDF(%v) = %v, want %v", tc.z, got, tc.cdf)
		}
		if tc.cdf > 0 && tc.cdf < 0.999 {
			if got := NormalQuantile(tc.cdf); math.Abs(got-tc.z) > 1e-8*math.Max(1, math.Abs(tc.z)) {
				t.Errorf("NormalQuantile(%v) = %v, want %v", tc.cdf, got, tc.z)
			}
		}
	}
	if got := NormalSF(38); got <= 0 || got > 1e-300 || NormalSF(-40) != 1 {
		t.Errorf("tails: SF(38)=%v SF(-40)=%v", got, NormalSF(-40))
	}
	if !math.IsInf(NormalQuantile(0), -1) || !math.IsInf(NormalQuantile(1), 1) || !math.IsNaN(NormalQuantile(2)) {
		t.Error("NormalQuantile edge values wrong")
	}
}
