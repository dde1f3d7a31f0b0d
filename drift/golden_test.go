package drift

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"
)

// goldenNumber decodes a JSON number or SciPy's "NaN", "Inf", "-Inf".
type goldenNumber float64

func (g *goldenNumber) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*g = goldenNumber(math.NaN())
	case `"Inf"`:
		*g = goldenNumber(math.Inf(1))
	case `"-Inf"`:
		*g = goldenNumber(math.Inf(-1))
	default:
		var f float64
		if err := json.Unmarshal(b, &f); err != nil {
			return err
		}
		*g = goldenNumber(f)
	}
	return nil
}

type goldenCase struct {
	Seed int    `json:"seed"`
	Kind string `json:"kind"`
	// numeric
	Reference []float64 `json:"reference"`
	Current   []float64 `json:"current"`
	KS        *struct {
		Statistic   goldenNumber  `json:"statistic"`
		PValueAuto  goldenNumber  `json:"pvalue_auto"`
		PValueAsymp goldenNumber  `json:"pvalue_asymp"`
		PValueExact *goldenNumber `json:"pvalue_exact"`
	} `json:"ks"`
	Wasserstein       goldenNumber `json:"wasserstein"`
	WassersteinNormed goldenNumber `json:"wasserstein_normed"`
	MannWhitney       *struct {
		U1     goldenNumber `json:"U1"`
		PValue goldenNumber `json:"pvalue"`
	} `json:"mann_whitney"`
	CramerVonMises *struct {
		Statistic   goldenNumber `json:"statistic"`
		PValueAsymp goldenNumber `json:"pvalue_asymp"`
	} `json:"cramer_von_mises"`
	Binned *struct {
		InnerEdges      []float64    `json:"inner_edges"`
		ReferenceCounts []float64    `json:"reference_counts"`
		CurrentCounts   []float64    `json:"current_counts"`
		PSI             goldenNumber `json:"psi"`
		KLCurRef        goldenNumber `json:"kl_cur_ref"`
		JensenShannon   goldenNumber `json:"jensen_shannon_distance_base2"`
		Hellinger       goldenNumber `json:"hellinger"`
		LInfinity       goldenNumber `json:"l_infinity"`
	} `json:"binned"`
	// categorical
	Categories      []string  `json:"categories"`
	ReferenceCounts []float64 `json:"reference_counts"`
	CurrentCounts   []float64 `json:"current_counts"`
	Chi2Contingency *struct {
		Statistic goldenNumber `json:"statistic"`
		PValue    goldenNumber `json:"pvalue"`
		DoF       int          `json:"dof"`
	} `json:"chi2_contingency"`
	Chi2GoodnessOfFit *struct {
		Statistic goldenNumber `json:"statistic"`
		PValue    goldenNumber `json:"pvalue"`
	} `json:"chi2_goodness_of_fit"`
	ZTestC0 *struct {
		Z      goldenNumber `json:"z"`
		PValue goldenNumber `json:"pvalue"`
	} `json:"z_test_c0"`
	PSI           goldenNumber `json:"psi"`
	JensenShannon goldenNumber `json:"jensen_shannon_distance_base2"`
	Hellinger     goldenNumber `json:"hellinger"`
	LInfinity     goldenNumber `json:"l_infinity"`
}

type goldenFile struct {
	Generator   string            `json:"generator"`
	Conventions map[string]string `json:"conventions"`
	Cases       []goldenCase      `json:"cases"`
}

func loadGolden(t testing.TB, name string) goldenFile {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) == 0 {
		t.Fatalf("%s has no cases", name)
	}
	return g
}

// near is the parity tolerance: |got - want| <= 1e-9 + 1e-6*|want|.
func near(got float64, want goldenNumber) bool {
	w := float64(want)
	if math.IsNaN(w) {
		return math.IsNaN(got)
	}
	if math.IsInf(w, 0) {
		return got == w
	}
	return math.Abs(got-w) <= 1e-9+1e-6*math.Abs(w)
}

type checker struct {
	t    *testing.T
	seen int
}

func (c *checker) check(field string, got float64, want goldenNumber) {
	c.t.Helper()
	c.seen++
	if !near(got, want) {
		c.t.Errorf("%s = %.17g, want %.17g", field, got, float64(want))
	}
}

func (c *checker) must(field string, err error) {
	c.t.Helper()
	if err != nil {
		c.t.Fatalf("%s: %v", field, err)
	}
}

func TestGoldenSciPy(t *testing.T) {
	eachGoldenCase(t, func(t *testing.T, c *checker, gc goldenCase) {
		if gc.Kind == "numeric" {
			checkNumericGolden(c, gc)
		} else {
			checkCategoricalGolden(c, gc)
		}
	})
}

// eachGoldenCase runs check on every case of both golden files, each in its
// own subtest, and fails a case that checked nothing. drift_scipy.json is
// the shared golden file; drift_scipy_more.json was written by the same
// generator: /usr/bin/python3 testdata/gen_drift_golden.py 1000 18 testdata/drift_scipy_more.json
func eachGoldenCase(t *testing.T, check func(t *testing.T, c *checker, gc goldenCase)) {
	for _, file := range []string{"testdata/drift_scipy.json", "testdata/drift_scipy_more.json"} {
		g := loadGolden(t, file)
		for _, gc := range g.Cases {
			t.Run(file[9:]+"/"+gc.Kind+"/seed="+itoa(gc.Seed), func(t *testing.T) {
				c := &checker{t: t}
				check(t, c, gc)
				if c.seen == 0 {
					t.Fatal("no field checked")
				}
			})
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func checkNumericGolden(c *checker, gc goldenCase) {
	ref, cur := gc.Reference, gc.Current
	auto, err := KS(ref, cur, KSAuto)
	c.must("ks auto", err)
	c.check("ks.statistic", auto.D, gc.KS.Statistic)
	c.check("ks.pvalue_auto", auto.P, gc.KS.PValueAuto)
	asym, err := KS(ref, cur, KSAsymptotic)
	c.must("ks asymp", err)
	c.check("ks.pvalue_asymp", asym.P, gc.KS.PValueAsymp)
	if gc.KS.PValueExact != nil {
		ex := auto // auto is exact at these sizes; do not pay twice
		if auto.Method != KSExact {
			ex, err = KS(ref, cur, KSExact)
			c.must("ks exact", err)
		}
		c.check("ks.pvalue_exact", ex.P, *gc.KS.PValueExact)
	}
	w, err := Wasserstein(ref, cur)
	c.must("wasserstein", err)
	c.check("wasserstein", w, gc.Wasserstein)
	wn, err := WassersteinNormed(ref, cur)
	c.must("wasserstein normed", err)
	c.check("wasserstein_normed", wn, gc.WassersteinNormed)
	mw, err := MannWhitney(ref, cur)
	c.must("mann-whitney", err)
	c.check("mann_whitney.U1", mw.U, gc.MannWhitney.U1)
	c.check("mann_whitney.pvalue", mw.P, gc.MannWhitney.PValue)
	cvm, err := CramerVonMises(ref, cur)
	c.must("cramer-von mises", err)
	c.check("cramer_von_mises.statistic", cvm.Statistic, gc.CramerVonMises.Statistic)
	c.check("cramer_von_mises.pvalue_asymp", cvm.P, gc.CramerVonMises.PValueAsymp)

	b := gc.Binned
	sorted := sortedFinite(ref)
	edges := QuantileEdges(sorted, DefaultBins)
	if len(edges) != len(b.InnerEdges) {
		c.t.Fatalf("edges = %v, want %v", edges, b.InnerEdges)
	}
	for i := range edges {
		c.check("binned.inner_edges["+itoa(i)+"]", edges[i], goldenNumber(b.InnerEdges[i]))
	}
	rc, cc := Histogram(edges, ref), Histogram(edges, cur)
	for i := range rc {
		c.check("binned.reference_counts["+itoa(i)+"]", rc[i], goldenNumber(b.ReferenceCounts[i]))
		c.check("binned.current_counts["+itoa(i)+"]", cc[i], goldenNumber(b.CurrentCounts[i]))
	}
	checkDistances(c, "binned.", rc, cc, b.PSI, b.JensenShannon, b.Hellinger, b.LInfinity)
	// Bin selects the quantiles instead of sorting: same edges, same counts.
	be, brc, bcc, err := Bin(ref, cur, DefaultBins)
	c.must("bin", err)
	if len(be) != len(edges) {
		c.t.Fatalf("Bin edges = %v, want %v", be, edges)
	}
	for i := range be {
		c.check("Bin edges["+itoa(i)+"]", be[i], goldenNumber(b.InnerEdges[i]))
	}
	for i := range brc {
		c.check("Bin reference_counts["+itoa(i)+"]", brc[i], goldenNumber(b.ReferenceCounts[i]))
		c.check("Bin current_counts["+itoa(i)+"]", bcc[i], goldenNumber(b.CurrentCounts[i]))
	}
	kl, err := KullbackLeibler(rc, cc)
	c.must("kl", err)
	c.check("binned.kl_cur_ref", kl, b.KLCurRef)
}

func checkDistances(c *checker, prefix string, ref, cur []float64, psi, js, hel, linf goldenNumber) {
	c.t.Helper()
	for _, d := range []struct {
		name string
		f    func(a, b []float64) (float64, error)
		want goldenNumber
	}{
		{"psi", PSI, psi},
		{"jensen_shannon_distance_base2", JensenShannon, js},
		{"hellinger", Hellinger, hel},
		{"l_infinity", LInfinity, linf},
	} {
		got, err := d.f(ref, cur)
		c.must(prefix+d.name, err)
		c.check(prefix+d.name, got, d.want)
	}
}

func checkCategoricalGolden(c *checker, gc goldenCase) {
	ref, cur := gc.ReferenceCounts, gc.CurrentCounts
	ct, err := ChiSquare(ref, cur)
	c.must("chi2 contingency", err)
	c.check("chi2_contingency.statistic", ct.Statistic, gc.Chi2Contingency.Statistic)
	c.check("chi2_contingency.pvalue", ct.P, gc.Chi2Contingency.PValue)
	c.check("chi2_contingency.dof", float64(ct.DoF), goldenNumber(gc.Chi2Contingency.DoF))
	if gc.Chi2GoodnessOfFit != nil {
		gof, err := ChiSquareGoodnessOfFit(ref, cur)
		c.must("chi2 gof", err)
		c.check("chi2_goodness_of_fit.statistic", gof.Statistic, gc.Chi2GoodnessOfFit.Statistic)
		c.check("chi2_goodness_of_fit.pvalue", gof.P, gc.Chi2GoodnessOfFit.PValue)
	}
	if gc.ZTestC0 != nil {
		var nr, nc float64
		for i := range ref {
			nr += ref[i]
			nc += cur[i]
		}
		z, p, err := TwoProportionZ(int64(ref[0]), int64(nr), int64(cur[0]), int64(nc))
		c.must("z", err)
		c.check("z_test_c0.z", z, gc.ZTestC0.Z)
		c.check("z_test_c0.pvalue", p, gc.ZTestC0.PValue)
	}
	checkDistances(c, "", ref, cur, gc.PSI, gc.JensenShannon, gc.Hellinger, gc.LInfinity)
}
