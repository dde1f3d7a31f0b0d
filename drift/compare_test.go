package drift

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func numeric(name string, x []float64) Data {
	return Data{Numeric: map[string][]float64{name: x}}
}

func categorical(name string, x []string) Data {
	return Data{Categorical: map[string][]string{name: x}}
}

func repeatStrings(pairs ...any) []string {
	var out []string
	for i := 0; i < len(pairs); i += 2 {
		for range pairs[i+1].(int) {
			out = append(out, pairs[i].(string))
		}
	}
	return out
}

func TestAutoMethodChoice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	small, large := normalSample(rng, 1000, 0, 1), normalSample(rng, 1001, 0, 1)
	digits := func(n, levels int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(i % levels)
		}
		return x
	}
	tests := []struct {
		name     string
		ref, cur Data
		want     Method
	}{
		{"numeric, 1000 rows", numeric("x", small), numeric("x", small[:50]), MethodKS},
		{"numeric, 1001 rows", numeric("x", large), numeric("x", small[:50]), MethodWasserstein},
		{"numeric, 5 values, small", numeric("x", digits(900, 5)), numeric("x", digits(40, 3)), MethodChiSquare},
		{"numeric, 2 values, small", numeric("x", digits(900, 2)), numeric("x", digits(40, 2)), MethodZ},
		{"numeric, 6 values, small", numeric("x", digits(900, 3)), numeric("x", digits(40, 6)), MethodKS},
		{"numeric, 5 values, large", numeric("x", digits(5000, 5)), numeric("x", digits(40, 5)), MethodJensenShannon},
		{"categorical, 2, small", categorical("c", repeatStrings("a", 10, "b", 5)), categorical("c", repeatStrings("a", 3)), MethodZ},
		{"categorical, unseen third, small", categorical("c", repeatStrings("a", 10, "b", 5)), categorical("c", repeatStrings("z", 3)), MethodChiSquare},
		{"categorical, large", categorical("c", repeatStrings("a", 1000, "b", 5)), categorical("c", repeatStrings("a", 3)), MethodJensenShannon},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Compare(tc.ref, tc.cur, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Columns[0].Method; got != tc.want {
				t.Errorf("method = %s, want %s", got, tc.want)
			}
			if r.Columns[0].Threshold != tc.want.DefaultThreshold() || r.Columns[0].IsTest != tc.want.IsTest() {
				t.Errorf("threshold %v is_test %v", r.Columns[0].Threshold, r.Columns[0].IsTest)
			}
		})
	}
}

func TestCompareEdgeCases(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	t.Run("nan and inf counted and dropped", func(t *testing.T) {
		r, err := Compare(numeric("x", []float64{1, 2, nan, 3, 4, -inf}), numeric("x", []float64{nan, 1, 2, 3, inf, inf, 4}), nil)
		if err != nil {
			t.Fatal(err)
		}
		c := r.Columns[0]
		want := struct{ Ref, Cur Counts }{Counts{Rows: 6, Used: 4, NaN: 1, Inf: 1}, Counts{Rows: 7, Used: 4, NaN: 1, Inf: 2}}
		if diff := cmp.Diff(want, struct{ Ref, Cur Counts }{c.Reference, c.Current}); diff != "" {
			t.Errorf("counts (-want +got):\n%s", diff)
		}
		if c.Statistic != 0 || c.Score != 1 || c.Drifted {
			t.Errorf("same finite values: %+v", c)
		}
	})
	t.Run("empty current is an error", func(t *testing.T) {
		_, err := Compare(numeric("x", []float64{1, 2}), numeric("x", []float64{nan, inf}), nil)
		if !errors.Is(err, ErrEmpty) {
			t.Fatalf("err = %v, want ErrEmpty", err)
		}
		_, err = Compare(categorical("c", []string{"a"}), categorical("c", nil), nil)
		if !errors.Is(err, ErrEmpty) {
			t.Fatalf("err = %v, want ErrEmpty", err)
		}
	})
	t.Run("empty reference is an error", func(t *testing.T) {
		if _, err := Compare(numeric("x", nil), numeric("x", []float64{1}), nil); !errors.Is(err, ErrEmpty) {
			t.Fatalf("err = %v, want ErrEmpty", err)
		}
	})
	t.Run("constant column", func(t *testing.T) {
		ref := slices.Repeat([]float64{5}, 2000)
		same, err := Compare(numeric("x", ref), numeric("x", []float64{5, 5, 5}), nil)
		if err != nil {
			t.Fatal(err)
		}
		// One distinct value: treated as categorical, Jensen-Shannon 0.
		if c := same.Columns[0]; c.Method != MethodJensenShannon || c.Score != 0 || c.Drifted {
			t.Errorf("constant vs itself: %+v", c)
		}
		moved, err := Compare(numeric("x", ref), numeric("x", []float64{5.5, 5.5, 5.5}), &CompareOptions{Columns: map[string]ColumnOptions{"x": {Method: MethodWasserstein}}})
		if err != nil {
			t.Fatal(err)
		}
		// Normed by the floor: 0.5 / 0.001.
		if c := moved.Columns[0]; math.Abs(c.Score-500) > 1e-9 || !c.Drifted {
			t.Errorf("constant moved: %+v", c)
		}
	})
	t.Run("constant column, few rows", func(t *testing.T) {
		ref := slices.Repeat([]float64{5}, 100)
		same, err := Compare(numeric("x", ref), numeric("x", []float64{5, 5, 5, 5}), nil)
		if err != nil {
			t.Fatal(err)
		}
		if c := same.Columns[0]; c.Method != MethodZ || c.Statistic != 0 || c.Score != 1 || c.Drifted {
			t.Errorf("constant vs itself: %+v", c)
		}
		moved, err := Compare(numeric("x", ref), numeric("x", []float64{6, 6, 6, 6}), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Pooled z on the share of 5: 100/100 against 0/4; the value 6 is
		// new to the reference. z = 1/sqrt(p(1-p)(1/100+1/4)) with
		// p = 100/104, two-sided p-value 2*sf(z).
		pool := 100.0 / 104
		z := 1 / math.Sqrt(pool*(1-pool)*(1.0/100+1.0/4))
		p := math.Erfc(z / math.Sqrt2)
		c := moved.Columns[0]
		if c.Method != MethodZ || math.Abs(c.Statistic-z) > 1e-12 || math.Abs(c.Score-p) > 1e-12*p || !c.Drifted {
			t.Errorf("constant moved: %+v, want z %v p %v", c, z, p)
		}
		if !slices.Equal(c.Chart.Labels, []string{"5", "6"}) || !slices.Equal(c.Chart.Current, []float64{0, 1}) {
			t.Errorf("chart %+v", c.Chart)
		}
	})
	t.Run("unseen categories", func(t *testing.T) {
		r, err := Compare(categorical("c", repeatStrings("a", 30, "b", 20)), categorical("c", repeatStrings("a", 10, "b", 10, "new", 5, "other", 1)), nil)
		if err != nil {
			t.Fatal(err)
		}
		c := r.Columns[0]
		if !slices.Equal(c.Unseen, []string{"new", "other"}) || c.Method != MethodChiSquare {
			t.Errorf("unseen = %v method %s", c.Unseen, c.Method)
		}
		if !slices.Equal(c.Chart.Labels, []string{"a", "b", "new", "other"}) {
			t.Errorf("labels = %v", c.Chart.Labels)
		}
		_, err = Compare(categorical("c", repeatStrings("a", 30, "b", 20)), categorical("c", repeatStrings("a", 10, "new", 5)),
			&CompareOptions{Columns: map[string]ColumnOptions{"c": {Method: MethodChiSquareGOF}}})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("goodness of fit with an unseen category: err = %v, want ErrInvalid", err)
		}
	})
	t.Run("single category", func(t *testing.T) {
		r, err := Compare(categorical("c", repeatStrings("a", 30)), categorical("c", repeatStrings("a", 7)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if c := r.Columns[0]; c.Method != MethodZ || c.Statistic != 0 || c.Score != 1 || c.Drifted {
			t.Errorf("single category: %+v", c)
		}
		r, err = Compare(categorical("c", repeatStrings("a", 30)), categorical("c", repeatStrings("a", 7)),
			&CompareOptions{Columns: map[string]ColumnOptions{"c": {Method: MethodChiSquare}}})
		if err != nil {
			t.Fatal(err)
		}
		if c := r.Columns[0]; c.Statistic != 0 || c.Score != 1 {
			t.Errorf("single category chi-square: %+v", c)
		}
	})
	t.Run("z-test needs two categories", func(t *testing.T) {
		_, err := Compare(categorical("c", []string{"a", "b", "c"}), categorical("c", []string{"a"}), &CompareOptions{Columns: map[string]ColumnOptions{"c": {Method: MethodZ}}})
		if !errors.Is(err, ErrMethod) {
			t.Errorf("err = %v, want ErrMethod", err)
		}
	})
	t.Run("method of the wrong kind", func(t *testing.T) {
		_, err := Compare(categorical("c", []string{"a"}), categorical("c", []string{"a"}), &CompareOptions{Columns: map[string]ColumnOptions{"c": {Method: MethodKS}}})
		if !errors.Is(err, ErrMethod) {
			t.Errorf("err = %v, want ErrMethod", err)
		}
		_, err = Compare(categorical("c", []string{"a"}), categorical("c", []string{"a"}), &CompareOptions{Columns: map[string]ColumnOptions{"c": {Method: "nope"}}})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})
	t.Run("columns must match", func(t *testing.T) {
		for _, cur := range []Data{
			numeric("y", []float64{1}),
			categorical("x", []string{"a"}),
			{Numeric: map[string][]float64{"x": {1}, "y": {2}}},
		} {
			if _, err := Compare(numeric("x", []float64{1, 2}), cur, nil); !errors.Is(err, ErrUnknownColumn) {
				t.Errorf("cur %v: err = %v, want ErrUnknownColumn", cur, err)
			}
		}
		_, err := Compare(numeric("x", []float64{1, 2}), numeric("x", []float64{1}), &CompareOptions{Columns: map[string]ColumnOptions{"y": {}}})
		if !errors.Is(err, ErrUnknownColumn) {
			t.Errorf("options for unknown column: err = %v", err)
		}
	})
	t.Run("overflow is an error, not a report JSON cannot carry", func(t *testing.T) {
		_, err := Compare(numeric("x", []float64{-math.MaxFloat64, math.MaxFloat64}), numeric("x", []float64{1}), nil)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("huge reference: err = %v, want ErrInvalid", err)
		}
		_, err = Compare(numeric("x", []float64{-1e308, -1e308, 0}), numeric("x", []float64{1e308, 1e308}), &CompareOptions{Columns: map[string]ColumnOptions{"x": {Method: MethodWassersteinRaw}}})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("overflowing distance: err = %v, want ErrInvalid", err)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		for _, o := range []CompareOptions{{Rule: "vote"}, {Share: 2}, {Alpha: 1}} {
			if _, err := Compare(numeric("x", []float64{1, 2}), numeric("x", []float64{1}), &o); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: err = %v", o, err)
			}
		}
	})
}

func TestThresholdOverride(t *testing.T) {
	ref := numeric("x", []float64{1, 2, 3, 4, 5, 6, 7, 8})
	cur := numeric("x", []float64{5, 6, 7, 8, 9, 10, 11, 12})
	// scipy.stats.ks_2samp gives p = 0.2826728826728826 here.
	for _, tc := range []struct {
		threshold float64
		drifted   bool
	}{{0.05, false}, {0.28, false}, {0.29, true}} {
		r, err := Compare(ref, cur, &CompareOptions{Columns: map[string]ColumnOptions{"x": {Method: MethodKS, Threshold: tc.threshold}}})
		if err != nil {
			t.Fatal(err)
		}
		if c := r.Columns[0]; c.Drifted != tc.drifted || c.Threshold != tc.threshold {
			t.Errorf("threshold %v: %+v", tc.threshold, c)
		}
	}
}

// pvalueReport builds a report whose columns carry the given p-values.
func pvalueReport(ps ...float64) *Report {
	r := &Report{}
	for i, p := range ps {
		r.Columns = append(r.Columns, ColumnResult{Column: "c" + strconv.Itoa(i), IsTest: true, Score: p, Threshold: 0.05, Drifted: p < 0.05})
	}
	return r
}

func TestDatasetRules(t *testing.T) {
	ps := []float64{0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216}
	tests := []struct {
		name    string
		opts    CompareOptions
		drifted []bool
		dataset bool
	}{
		// Five of ten p-values fall below 0.05: share 0.5 reaches 0.5.
		{"share", CompareOptions{}, []bool{true, true, true, true, true, false, false, false, false, false}, true},
		{"share 0.6", CompareOptions{Share: 0.6}, []bool{true, true, true, true, true, false, false, false, false, false}, false},
		// Bonferroni: 0.05/10 = 0.005.
		{"bonferroni", CompareOptions{Rule: RuleBonferroni}, []bool{true, false, false, false, false, false, false, false, false, false}, true},
		// Benjamini-Hochberg at 0.05: critical values 0.005, 0.01, 0.015, ...;
		// the largest rank with p <= i*0.005 is 2 (0.008 <= 0.01).
		{"benjamini-hochberg", CompareOptions{Rule: RuleBenjaminiHochberg}, []bool{true, true, false, false, false, false, false, false, false, false}, true},
		// At 0.25 the critical values are 0.025*i: 0.216 <= 0.25 at rank 10.
		{"benjamini-hochberg 0.25", CompareOptions{Rule: RuleBenjaminiHochberg, Alpha: 0.25}, slices.Repeat([]bool{true}, 10), true},
		{"bonferroni none", CompareOptions{Rule: RuleBonferroni, Alpha: 0.001}, make([]bool, 10), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := pvalueReport(ps...)
			o, err := tc.opts.withDefaults()
			if err != nil {
				t.Fatal(err)
			}
			r.decide(o)
			var got []bool
			for _, c := range r.Columns {
				got = append(got, c.Drifted)
			}
			if diff := cmp.Diff(tc.drifted, got); diff != "" {
				t.Errorf("column verdicts (-want +got):\n%s", diff)
			}
			if r.Drifted != tc.dataset {
				t.Errorf("dataset drifted = %v, want %v", r.Drifted, tc.dataset)
			}
		})
	}
}

// TestDatasetRuleEndToEnd checks the rules through Compare on real columns.
func TestDatasetRuleEndToEnd(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ref, cur := Data{Numeric: map[string][]float64{}}, Data{Numeric: map[string][]float64{}}
	for i := range 4 {
		name := "f" + strconv.Itoa(i)
		ref.Numeric[name] = normalSample(rng, 400, 0, 1)
		shift := 0.0
		if i == 0 {
			shift = 1.5
		}
		cur.Numeric[name] = normalSample(rng, 300, shift, 1)
	}
	share, err := Compare(ref, cur, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range share.Columns {
		if c.Drifted {
			n++
		}
	}
	if !share.Columns[0].Drifted || share.DriftedColumns != n || share.Share != float64(n)/4 || share.Drifted != (share.Share >= 0.5) {
		t.Errorf("share rule: %d drifted, share %v, dataset %v", share.DriftedColumns, share.Share, share.Drifted)
	}
	bonf, err := Compare(ref, cur, &CompareOptions{Rule: RuleBonferroni})
	if err != nil {
		t.Fatal(err)
	}
	if !bonf.Drifted || bonf.Columns[0].Threshold != 0.05/4 {
		t.Errorf("bonferroni: %+v", bonf)
	}
}

// TestProperties checks what any drift measure should satisfy: zero on
// identical samples, symmetry where the measure is symmetric, and growth
// as the current sample moves away.
func TestProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	base := normalSample(rng, 600, 0, 1)
	other := normalSample(rng, 500, 0, 1)
	symmetric := []Method{MethodKS, MethodWassersteinRaw, MethodMannWhitney, MethodCramerVonMises}
	all := append(slices.Clone(symmetric), MethodWasserstein, MethodPSI, MethodJensenShannon, MethodKL, MethodHellinger, MethodLInfinity)
	score := func(m Method, ref, cur []float64) ColumnResult {
		r, err := Compare(numeric("x", ref), numeric("x", cur), &CompareOptions{Columns: map[string]ColumnOptions{"x": {Method: m}}})
		if err != nil {
			t.Fatal(err)
		}
		return r.Columns[0]
	}
	for _, m := range all {
		t.Run(string(m), func(t *testing.T) {
			same := score(m, base, base)
			if m.IsTest() {
				if same.Score < 0.99 || same.Drifted {
					t.Errorf("identical samples: p = %v", same.Score)
				}
			} else if same.Score > 1e-7 || same.Drifted {
				// Hellinger's 1 - sum(sqrt(p*q)) leaves rounding of order
				// 1e-16 under its square root, as in SciPy.
				t.Errorf("identical samples: distance = %v", same.Score)
			}
			if slices.Contains(symmetric, m) {
				ab, ba := score(m, base, other), score(m, other, base)
				if math.Abs(ab.Score-ba.Score) > 1e-12 {
					t.Errorf("not symmetric: %v vs %v", ab.Score, ba.Score)
				}
			}
			prev := same
			for _, shift := range []float64{0.05, 0.2, 0.5, 1, 2} {
				moved := make([]float64, len(other))
				for i, v := range other {
					moved[i] = v + shift
				}
				got := score(m, base, moved)
				worse := got.Score >= prev.Score
				if m.IsTest() {
					// Below 1e-7 the p-values of the asymptotic series are
					// rounding noise (SciPy truncates the series there).
					worse = got.Score <= prev.Score || got.Score < 1e-6
				}
				if !worse && shift > 0.05 {
					t.Errorf("shift %v: score %v did not move away from %v", shift, got.Score, prev.Score)
				}
				prev = got
			}
			if !prev.Drifted {
				t.Errorf("shift of two standard deviations not flagged: %+v", prev)
			}
		})
	}
	// Binned distances on proportions: symmetric ones stay symmetric.
	p, q := []float64{5, 1, 0, 4}, []float64{1, 3, 3, 3}
	for name, f := range map[string]func(a, b []float64) (float64, error){"psi": PSI, "js": JensenShannon, "hellinger": Hellinger, "linf": LInfinity} {
		ab, _ := f(p, q)
		ba, _ := f(q, p)
		if math.Abs(ab-ba) > 1e-15 {
			t.Errorf("%s not symmetric: %v vs %v", name, ab, ba)
		}
	}
	// Chi-square does not care which row is the reference; z changes sign.
	for _, rows := range [][2][]float64{{{5, 1, 0, 4}, {1, 3, 3, 3}}, {{12, 3}, {4, 9}}, {{7, 7}, {7, 7}}} {
		ab, err := ChiSquare(rows[0], rows[1])
		if err != nil {
			t.Fatal(err)
		}
		ba, _ := ChiSquare(rows[1], rows[0])
		if math.Abs(ab.Statistic-ba.Statistic) > 1e-12 || math.Abs(ab.P-ba.P) > 1e-12 || ab.DoF != ba.DoF {
			t.Errorf("chi-square %v not symmetric: %+v vs %+v", rows, ab, ba)
		}
	}
	z1, p1, err := TwoProportionZ(30, 100, 45, 120)
	if err != nil {
		t.Fatal(err)
	}
	z2, p2, _ := TwoProportionZ(45, 120, 30, 100)
	if z1 != -z2 || p1 != p2 || z1 >= 0 {
		t.Errorf("z: (%v, %v) against (%v, %v)", z1, p1, z2, p2)
	}
}

func TestDistanceErrors(t *testing.T) {
	for name, f := range map[string]func(a, b []float64) (float64, error){"psi": PSI, "kl": KullbackLeibler, "js": JensenShannon, "hellinger": Hellinger, "linf": LInfinity} {
		if _, err := f([]float64{1}, []float64{1, 2}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s length mismatch: %v", name, err)
		}
		if _, err := f([]float64{0, 0}, []float64{1, 2}); !errors.Is(err, ErrEmpty) {
			t.Errorf("%s zero counts: %v", name, err)
		}
		if _, err := f([]float64{-1, 2}, []float64{1, 2}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s negative count: %v", name, err)
		}
	}
	if _, err := ChiSquareGoodnessOfFit([]float64{1, 2}, []float64{1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("goodness of fit length mismatch: %v", err)
	}
	if _, err := KS([]float64{1, math.NaN()}, []float64{1}, KSAuto); !errors.Is(err, ErrNaN) {
		t.Errorf("ks nan: %v", err)
	}
	if _, err := Wasserstein(nil, []float64{1}); !errors.Is(err, ErrEmpty) {
		t.Errorf("wasserstein empty: %v", err)
	}
	if _, err := WassersteinNormed([]float64{math.NaN()}, []float64{1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("wasserstein nan: %v", err)
	}
}
