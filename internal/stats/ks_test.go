package stats

import (
	"errors"
	"math"
	"testing"
)

func TestKolmogorovSmirnovMethods(t *testing.T) {
	x := []float64{0.1, 0.4, 0.35, 0.8, 1.2, 1.9}
	y := []float64{1.1, 1.4, 2.35, 2.8, 0.2, 3.9, 4.4}
	auto, err := KolmogorovSmirnov(x, y, KSAuto)
	if err != nil {
		t.Fatal(err)
	}
	if auto.Method != KSExact {
		t.Errorf("auto on small samples used %v, want exact", auto.Method)
	}
	// scipy.stats.ks_2samp(x, y, method=...) on the same data (SciPy 1.10.1).
	want := map[KSMethod]float64{KSExact: 0.14685314685314685, KSAsymptotic: 0.18853255587949472}
	for m, p := range want {
		got, err := KolmogorovSmirnov(x, y, m)
		if err != nil {
			t.Fatal(err)
		}
		if got.Method != m || !near(got.P, p) || !near(got.D, 0.5714285714285714) {
			t.Errorf("%v: got %+v, want D 4/7 P %v", m, got, p)
		}
	}
	// Sizes whose least common multiple overflows 32 bits fall back to the
	// asymptotic distribution, as SciPy does.
	big1, big2 := make([]float64, 65537), make([]float64, 65539)
	for i := range big1 {
		big1[i] = float64(i)
	}
	for i := range big2 {
		big2[i] = float64(i) + 0.5
	}
	got, err := KolmogorovSmirnov(big1, big2, KSExact)
	if err != nil {
		t.Fatal(err)
	}
	if got.Method != KSAsymptotic || got.P != 1 {
		t.Errorf("huge lcm: %+v, want asymptotic with P 1", got)
	}
	if _, err := KolmogorovSmirnov(x, y, KSMethod(9)); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown method: err = %v", err)
	}
	if _, err := KolmogorovSmirnov(nil, y, KSAuto); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty: err = %v", err)
	}
	if _, err := KolmogorovSmirnov(x, []float64{math.NaN()}, KSAuto); !errors.Is(err, ErrNaN) {
		t.Errorf("nan: err = %v", err)
	}
	for m, s := range map[KSMethod]string{KSAuto: "auto", KSExact: "exact", KSAsymptotic: "asymptotic", KSMethod(7): "KSMethod(7)"} {
		if m.String() != s {
			t.Errorf("String() = %q, want %q", m.String(), s)
		}
	}
}

func TestKolmogorovSmirnovIdenticalAndSeparated(t *testing.T) {
	x := []float64{3, 1, 2, 5, 4}
	same, err := KolmogorovSmirnov(x, x, KSAuto)
	if err != nil {
		t.Fatal(err)
	}
	if same.D != 0 || same.P != 1 {
		t.Errorf("identical samples: %+v, want D 0 P 1", same)
	}
	far, err := KolmogorovSmirnov(x, []float64{10, 11, 12, 13, 14}, KSAuto)
	if err != nil {
		t.Fatal(err)
	}
	// Exact: 2 / C(10, 5) for complete separation of two samples of five.
	if far.D != 1 || !near(far.P, 2.0/252) {
		t.Errorf("separated samples: %+v, want D 1 P %v", far, 2.0/252)
	}
}

// The large-sample path walks sorted keys; it must agree with the sorted
// path, including signed zeros and ties.
func TestKolmogorovSmirnovKeyPathMatchesSortedPath(t *testing.T) {
	x, y := make([]float64, 5000), make([]float64, 4000)
	for i := range x {
		x[i] = []float64{-0.0, 0, 1, 2.5, -3}[i%5] * float64(i%7)
	}
	for i := range y {
		y[i] = []float64{0, -0.0, 1, 2, -3}[i%5] * float64(i%11)
	}
	for _, m := range []KSMethod{KSExact, KSAsymptotic} {
		got, err := KolmogorovSmirnov(x, y, m)
		if err != nil {
			t.Fatal(err)
		}
		want, err := KolmogorovSmirnovSorted(sortedCopy(x), sortedCopy(y), m)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%v: key path %+v, sorted path %+v", m, got, want)
		}
	}
}
