package drift

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestQuantilesMatchNumPyLinear(t *testing.T) {
	tests := []struct {
		name   string
		values []float64
		counts []int64
		want   []float64
	}{
		// numpy.percentile(range(1, 11), [25, 50, 75]) = 3.25, 5.5, 7.75
		{"one each", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, nil, []float64{3.25, 5.5, 7.75}},
		// numpy.percentile([1, 2, 2, 3], [25, 50, 75]) = 1.75, 2, 2.25
		{"counted", []float64{1, 2, 3}, []int64{1, 2, 1}, []float64{1.75, 2, 2.25}},
		{"single", []float64{4}, []int64{3}, []float64{4, 4, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := quantiles(tt.values, tt.counts, 0.25, 0.5, 0.75)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
				t.Errorf("quantiles (-want +got):\n%s", diff)
			}
		})
	}
}

func TestColumnStatsHistogramAndECDF(t *testing.T) {
	ref := Data{Numeric: map[string][]float64{"x": {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}, Categorical: map[string][]string{"c": {"a", "a", "b", ""}}}
	cur := Data{Numeric: map[string][]float64{"x": {1, 1, 2, math.NaN()}}, Categorical: map[string][]string{"c": {"b", "b", "a"}}}
	r, err := Compare(ref, cur, &CompareOptions{Columns: map[string]ColumnOptions{
		"x": {Method: MethodWasserstein},
		"c": {Method: MethodJensenShannon},
	}})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]ColumnResult{}
	for _, c := range r.Columns {
		byName[c.Column] = c
	}
	x, c := byName["x"], byName["c"]
	wantStats := ColumnStats{
		Reference: Summary{Rows: 10, Count: 10, Numeric: &NumericSummary{Mean: 5.5, Std: math.Sqrt(8.25), Min: 1, P25: 3.25, P50: 5.5, P75: 7.75, Max: 10}},
		Current:   Summary{Rows: 4, Count: 3, MissingShare: 0.25, Numeric: &NumericSummary{Mean: 4.0 / 3, Std: math.Sqrt(2.0 / 9), Min: 1, P25: 1, P50: 1, P75: 1.5, Max: 2}},
	}
	if diff := cmp.Diff(wantStats, x.Stats, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("numeric stats (-want +got):\n%s", diff)
	}
	wantCat := ColumnStats{
		Reference: Summary{Rows: 4, Count: 3, MissingShare: 0.25, Categorical: &CategoricalSummary{Distinct: 2, Top: "a", TopShare: 2.0 / 3}},
		Current:   Summary{Rows: 3, Count: 3, Categorical: &CategoricalSummary{Distinct: 2, Top: "b", TopShare: 2.0 / 3}},
	}
	if diff := cmp.Diff(wantCat, c.Stats, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("categorical stats (-want +got):\n%s", diff)
	}
	// Histogram: 20 bins of width 0.45 from 1 to 10.
	h := x.Histogram
	if h == nil || len(h.Edges) != HistogramBins+1 || h.Edges[0] != 1 || h.Edges[HistogramBins] != 10 {
		t.Fatalf("histogram edges %v", h)
	}
	wantCur := make([]int64, HistogramBins)
	wantCur[0], wantCur[2] = 2, 1
	if diff := cmp.Diff(wantCur, h.Current); diff != "" {
		t.Errorf("current bins (-want +got):\n%s", diff)
	}
	var sum int64
	for _, n := range h.Reference {
		sum += n
	}
	if sum != 10 || h.Reference[HistogramBins-1] != 1 {
		t.Errorf("reference bins %v: want 10 values, the maximum in the last bin", h.Reference)
	}
	wantECDF := []ECDFPoint{{1, 2.0 / 3}, {2, 1}}
	if diff := cmp.Diff(wantECDF, x.ECDF.Current, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("current ECDF (-want +got):\n%s", diff)
	}
	if len(x.ECDF.Reference) != 10 || x.ECDF.Reference[4] != (ECDFPoint{5, 0.5}) {
		t.Errorf("reference ECDF %v", x.ECDF.Reference)
	}
	// Distances carry the p-value of a test on the same data.
	ks, err := KS(ref.Numeric["x"], []float64{1, 1, 2}, KSAuto)
	if err != nil {
		t.Fatal(err)
	}
	if x.PValue == nil || x.PValueMethod != MethodKS || math.Abs(*x.PValue-ks.P) > 1e-12 {
		t.Errorf("numeric p-value %v (%s), want KS %v", x.PValue, x.PValueMethod, ks.P)
	}
	if c.PValue == nil || c.PValueMethod != MethodChiSquare || c.Histogram != nil || c.ECDF != nil {
		t.Errorf("categorical: p-value %v (%s), histogram %v, ecdf %v", c.PValue, c.PValueMethod, c.Histogram, c.ECDF)
	}
}

func TestECDFThinsToLimit(t *testing.T) {
	vals := make([]float64, 10000)
	for i := range vals {
		vals[i] = float64(i)
	}
	got := ecdf(vals, nil)
	if len(got) != ECDFPoints {
		t.Fatalf("%d points, want %d", len(got), ECDFPoints)
	}
	if last := got[len(got)-1]; last != (ECDFPoint{9999, 1}) {
		t.Errorf("last point %v, want the maximum at P 1", last)
	}
	for i := 1; i < len(got); i++ {
		if got[i].X <= got[i-1].X || got[i].P < got[i-1].P {
			t.Fatalf("points %v, %v not increasing", got[i-1], got[i])
		}
	}
}

// TestReportJSONKeepsV1Fields checks that every field of the report as
// first published is still written, with the same value.
func TestReportJSONKeepsV1Fields(t *testing.T) {
	old, err := os.ReadFile("testdata/report.v1.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(sampleReport(t))
	if err != nil {
		t.Fatal(err)
	}
	var want, got any
	if err := json.Unmarshal(old, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	var check func(path string, w, g any)
	check = func(path string, w, g any) {
		switch w := w.(type) {
		case map[string]any:
			gm, ok := g.(map[string]any)
			if !ok {
				t.Errorf("%s: not an object", path)
				return
			}
			for k, v := range w {
				gv, ok := gm[k]
				if !ok {
					t.Errorf("%s.%s: field dropped", path, k)
					continue
				}
				check(path+"."+k, v, gv)
			}
		case []any:
			gl, ok := g.([]any)
			if !ok || len(gl) != len(w) {
				t.Errorf("%s: list changed", path)
				return
			}
			for i := range w {
				check(path, w[i], gl[i])
			}
		default:
			if !cmp.Equal(w, g) {
				t.Errorf("%s: %v, was %v", path, g, w)
			}
		}
	}
	check("report", want, got)
}
