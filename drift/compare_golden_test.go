package drift

import "testing"

// TestCompareMatchesGolden runs every golden case through the public
// comparison path (profile, then Compare with each method) rather than the
// primitives, so binning, sampling and counting are checked end to end.
func TestCompareMatchesGolden(t *testing.T) {
	eachGoldenCase(t, func(t *testing.T, c *checker, gc goldenCase) {
		if gc.Kind == "numeric" {
			ref := fitAll(t, Data{Numeric: map[string][]float64{"x": gc.Reference}})
			cur := Data{Numeric: map[string][]float64{"x": gc.Current}}
			want := map[Method]goldenNumber{
				MethodKS:             gc.KS.PValueAuto,
				MethodWasserstein:    gc.WassersteinNormed,
				MethodWassersteinRaw: gc.Wasserstein,
				MethodCramerVonMises: gc.CramerVonMises.PValueAsymp,
				MethodMannWhitney:    gc.MannWhitney.PValue,
				MethodPSI:            gc.Binned.PSI,
				MethodKL:             gc.Binned.KLCurRef,
				MethodJensenShannon:  gc.Binned.JensenShannon,
				MethodHellinger:      gc.Binned.Hellinger,
				MethodLInfinity:      gc.Binned.LInfinity,
			}
			// The exact KS p-value costs O(n*m); TestGoldenSciPy
			// checks it on every case, so here the large cases
			// check the counted statistic through the asymptotic
			// p-value, and the small ones auto and exact too.
			if max(len(gc.Reference), len(gc.Current)) > 1200 {
				delete(want, MethodKS)
			} else {
				c.check("ks exact", compareScoreWith(t, ref, cur, ColumnOptions{Method: MethodKS, KSMethod: KSExact}), *gc.KS.PValueExact)
			}
			for m, w := range want {
				c.check(string(m), compareScore(t, ref, cur, m), w)
			}
			// Asymptotic KS on request, whatever auto picks.
			c.check("ks asymptotic", compareScoreWith(t, ref, cur, ColumnOptions{Method: MethodKS, KSMethod: KSAsymptotic}), gc.KS.PValueAsymp)
			return
		}
		ref, cur := fitAll(t, expandCategories(gc.Categories, gc.ReferenceCounts)), expandCategories(gc.Categories, gc.CurrentCounts)
		want := map[Method]goldenNumber{
			MethodChiSquare:     gc.Chi2Contingency.PValue,
			MethodPSI:           gc.PSI,
			MethodJensenShannon: gc.JensenShannon,
			MethodHellinger:     gc.Hellinger,
			MethodLInfinity:     gc.LInfinity,
		}
		if gc.Chi2GoodnessOfFit != nil {
			want[MethodChiSquareGOF] = gc.Chi2GoodnessOfFit.PValue
		}
		if gc.ZTestC0 != nil {
			want[MethodZ] = gc.ZTestC0.PValue
		}
		for m, w := range want {
			c.check(string(m), compareScore(t, ref, cur, m), w)
		}
	})
}

func compareScore(t *testing.T, ref *Profile, cur Data, m Method) float64 {
	t.Helper()
	return compareScoreWith(t, ref, cur, ColumnOptions{Method: m})
}

func compareScoreWith(t *testing.T, ref *Profile, cur Data, o ColumnOptions) float64 {
	t.Helper()
	r, err := ref.Compare(cur, &CompareOptions{Columns: map[string]ColumnOptions{"x": o}})
	if err != nil {
		t.Fatalf("%+v: %v", o, err)
	}
	if r.Columns[0].Method != o.Method {
		t.Fatalf("method = %s, want %s", r.Columns[0].Method, o.Method)
	}
	return r.Columns[0].Score
}

// fitAll profiles the reference keeping every value, as Compare does.
func fitAll(t *testing.T, d Data) *Profile {
	t.Helper()
	p, err := Fit(d, &FitOptions{SampleSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// expandCategories turns category counts into a column of labels. Labels
// sort in the golden file's order (c0 < c1 < ... < c8).
func expandCategories(cats []string, counts []float64) Data {
	var col []string
	for i, n := range counts {
		for range int(n) {
			col = append(col, cats[i])
		}
	}
	return Data{Categorical: map[string][]string{"x": col}}
}
