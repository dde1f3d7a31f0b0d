package drift_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/sextant-ml/sextant/drift"
)

// Fit a reference profile once (at training time), persist it, and compare
// each batch of serving data against the loaded profile without the
// reference rows.
func ExampleFit() {
	reference := drift.Data{
		Numeric:     map[string][]float64{"amount": ramp(2000, 0, 100)},
		Categorical: map[string][]string{"channel": strings.Split(strings.Repeat("web,app,app,", 400), ",")[:1200]},
	}
	profile, err := drift.Fit(reference, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	saved, _ := json.Marshal(profile)

	loaded, err := drift.Parse(saved)
	if err != nil {
		fmt.Println(err)
		return
	}
	batch := drift.Data{
		Numeric:     map[string][]float64{"amount": ramp(500, 20, 140)},
		Categorical: map[string][]string{"channel": strings.Split(strings.Repeat("web,app,", 200), ",")[:400]},
	}
	report, err := loaded.Compare(batch, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range report.Columns {
		fmt.Printf("%s: %s score=%.3f drifted=%v\n", c.Column, c.Method, c.Score, c.Drifted)
	}
	// Output:
	// amount: wasserstein score=1.039 drifted=true
	// channel: jensen_shannon score=0.144 drifted=true
}

// Every column's method and threshold can be chosen instead of the
// defaults, and the dataset-level rule changed.
func ExampleCompareOptions() {
	reference := drift.Data{Numeric: map[string][]float64{"a": ramp(300, 0, 1), "b": ramp(300, 0, 1)}}
	current := drift.Data{Numeric: map[string][]float64{"a": ramp(300, 0.1, 1.1), "b": ramp(300, 0, 1)}}
	report, err := drift.Compare(reference, current, &drift.CompareOptions{
		Columns: map[string]drift.ColumnOptions{
			"a": {Method: drift.MethodPSI, Threshold: 0.05},
			"b": {Method: drift.MethodWasserstein},
		},
		Rule: drift.RuleBonferroni,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range report.Columns {
		fmt.Printf("%s: %s score=%.3f threshold=%v drifted=%v\n", c.Column, c.Method, c.Score, c.Threshold, c.Drifted)
	}
	fmt.Println("dataset drifted:", report.Drifted)
	// Output:
	// a: psi score=0.759 threshold=0.05 drifted=true
	// b: wasserstein score=0.000 threshold=0.1 drifted=false
	// dataset drifted: true
}

// A report renders as one self-contained HTML page, a chart per column,
// with no external scripts.
func ExampleReport_WriteHTML() {
	report, err := drift.Compare(
		drift.Data{Numeric: map[string][]float64{"x": ramp(200, 0, 1)}},
		drift.Data{Numeric: map[string][]float64{"x": ramp(200, 0.5, 1.5)}}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	var page bytes.Buffer
	if err := report.WriteHTML(&page, &drift.HTMLOptions{Title: "Nightly drift"}); err != nil {
		fmt.Println(err)
		return
	}
	html := page.String()
	fmt.Println(strings.HasPrefix(html, "<!DOCTYPE html>"), strings.Contains(html, "Nightly drift"),
		strings.Contains(html, "<svg"), strings.Contains(html, "<script src"))
	// Output:
	// true true true false
}

// The distances on binned data take counts (or proportions) per bin, as
// Bin produces them from two samples on the reference's quantile edges.
func ExampleBin() {
	edges, ref, cur, err := drift.Bin(ramp(1000, 0, 1), ramp(1000, 0.2, 1.2), 4)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("edges %.2f\nreference %v\ncurrent %v\n", edges, ref, cur)
	psi, _ := drift.PSI(ref, cur)
	js, _ := drift.JensenShannon(ref, cur)
	h, _ := drift.Hellinger(ref, cur)
	fmt.Printf("PSI %.3f, Jensen-Shannon %.3f, Hellinger %.3f\n", psi, js, h)
	// Output:
	// edges [0.25 0.50 0.75]
	// reference [250 250 250 250]
	// current [50 250 250 450]
	// PSI 0.439, Jensen-Shannon 0.271, Hellinger 0.230
}

// Wasserstein works on raw samples; the normed form divides by the
// reference's standard deviation, so one threshold fits every column.
func ExampleWassersteinNormed() {
	ref := ramp(1000, 0, 10)
	cur := ramp(1000, 1, 11)
	raw, _ := drift.Wasserstein(ref, cur)
	normed, _ := drift.WassersteinNormed(ref, cur)
	fmt.Printf("raw %.3f, normed %.3f\n", raw, normed)
	// Output:
	// raw 1.000, normed 0.346
}

// The rank tests on two samples. The Mann-Whitney p-value is the
// tie-corrected asymptotic one (SciPy's method="asymptotic").
func ExampleMannWhitney() {
	x := []float64{1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30}
	y := []float64{0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29}
	mw, _ := drift.MannWhitney(x, y)
	cvm, _ := drift.CramerVonMises(x, y)
	fmt.Printf("Mann-Whitney U=%v p=%.3f\nCramér-von Mises T=%.3f p=%.3f\n", mw.U, mw.P, cvm.Statistic, cvm.P)
	// Output:
	// Mann-Whitney U=58 p=0.133
	// Cramér-von Mises T=0.466 p=0.049
}

// Categorical columns: a contingency chi-square on counts per category, and
// the two-proportion z-test for a binary column.
func ExampleChiSquare() {
	ref := []float64{120, 80, 50} // counts of three categories
	cur := []float64{90, 95, 65}
	chi, _ := drift.ChiSquare(ref, cur)
	fmt.Printf("chi-square %.3f p=%.4f\n", chi.Statistic, chi.P)
	z, p, _ := drift.TwoProportionZ(120, 1000, 160, 1000)
	fmt.Printf("z %.3f p=%.4f\n", z, p)
	// Output:
	// chi-square 7.528 p=0.0232
	// z -2.578 p=0.0099
}
