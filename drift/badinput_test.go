package drift

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
)

// TestBadInputIsAnError feeds the public API input it cannot use (nil and
// hand-built profiles, NaN, Inf, huge and negative counts and sizes) and
// expects a typed error with the package's prefix, never a panic, a hang
// or a silently wrong number.
func TestBadInputIsAnError(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	good, err := Fit(Data{Numeric: map[string][]float64{"x": {1, 2, 3, 4}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cur := Data{Numeric: map[string][]float64{"x": {1, 2}}}
	withThreshold := func(m Method, th float64) error {
		_, err := good.Compare(cur, &CompareOptions{Columns: map[string]ColumnOptions{"x": {Method: m, Threshold: th}}})
		return err
	}
	// A persisted profile whose sample counts wrap int64 to match Count.
	wrapped := fmt.Sprintf(`{"version":1,"bins":10,"sample_size":5,"columns":[{"name":"x","kind":"numeric","rows":1,`+
		`"numeric":{"count":1,"edges":[],"bin_counts":[1],"values":[0,1,2],"counts":[%d,%d,2],"complete":false}}]}`, int64(math.MaxInt64), int64(math.MaxInt64))
	big := mustFit(t, Data{Categorical: map[string][]string{"c": {"a"}}})
	big.Columns[0].Rows = math.MaxInt64 - 1
	big.Columns[0].Categorical.Counts["a"] = math.MaxInt64 - 1

	tests := []struct {
		name string
		f    func() error
		want error
	}{
		{"merge nil", func() error { _, err := Merge(good, nil); return err }, ErrInvalid},
		{"merge hand-built", func() error { _, err := Merge(good, &Profile{}); return err }, ErrCorrupt},
		{"merge overflowing counts", func() error { _, err := Merge(big, big); return err }, ErrInvalid},
		{"compare nil profile", func() error { var p *Profile; _, err := p.Compare(cur, nil); return err }, ErrInvalid},
		{"compare hand-built profile", func() error {
			p := &Profile{Version: ProfileVersion, Bins: 10, SampleSize: 5, Columns: []ColumnProfile{{Name: "x", Kind: Numeric}}}
			_, err := p.Compare(cur, nil)
			return err
		}, ErrCorrupt},
		{"parse wrapped counts", func() error { _, err := Parse([]byte(wrapped)); return err }, ErrCorrupt},
		{"parse too many bins", func() error {
			_, err := Parse([]byte(strings.Replace(mustJSON(t, good), `"bins":10`, `"bins":1000000`, 1)))
			return err
		}, ErrCorrupt},
		{"fit too many bins", func() error { _, err := Fit(cur, &FitOptions{Bins: 1 << 30}); return err }, ErrInvalid},
		{"fit negative bins", func() error { _, err := Fit(cur, &FitOptions{Bins: -3}); return err }, ErrInvalid},
		{"fit too many edges", func() error {
			edges := make([]float64, MaxBins)
			for i := range edges {
				edges[i] = float64(i)
			}
			_, err := Fit(cur, &FitOptions{Edges: map[string][]float64{"x": edges}})
			return err
		}, ErrInvalid},
		{"bin too many bins", func() error { _, _, _, err := Bin([]float64{1, 2}, []float64{1}, 1<<30); return err }, ErrInvalid},
		{"stream nil profile", func() error { _, err := NewStream(nil, "x", nil); return err }, ErrInvalid},
		{"stream huge window", func() error { _, err := NewStream(good, "x", &StreamOptions{Size: math.MaxInt}); return err }, ErrInvalid},
		{"stream NaN threshold", func() error {
			_, err := NewStream(good, "x", &StreamOptions{Column: ColumnOptions{Threshold: nan}})
			return err
		}, ErrInvalid},
		{"NaN threshold", func() error { return withThreshold(MethodKS, nan) }, ErrInvalid},
		{"negative threshold", func() error { return withThreshold(MethodPSI, -0.1) }, ErrInvalid},
		{"infinite threshold", func() error { return withThreshold(MethodPSI, inf) }, ErrInvalid},
		{"p-value threshold above 1", func() error { return withThreshold(MethodKS, 1.5) }, ErrInvalid},
		{"goodness of fit negative reference", func() error { _, err := ChiSquareGoodnessOfFit([]float64{2, -1}, []float64{1, 1}); return err }, ErrInvalid},
		{"goodness of fit NaN", func() error { _, err := ChiSquareGoodnessOfFit([]float64{2, 1}, []float64{nan, 1}); return err }, ErrInvalid},
		{"chi-square counts overflow", func() error { _, err := ChiSquare([]float64{1e308, 1e308}, []float64{1e308, 1}); return err }, ErrInvalid},
		{"chi-square empty", func() error { _, err := ChiSquare([]float64{0}, []float64{1}); return err }, ErrEmpty},
		{"psi counts overflow", func() error { _, err := PSI([]float64{1e308, 1e308}, []float64{1, 1}); return err }, ErrInvalid},
		{"normed wasserstein overflow", func() error { _, err := WassersteinNormed([]float64{-1e308, 1e308}, []float64{1}); return err }, ErrInvalid},
		{"wasserstein overflow", func() error { _, err := Wasserstein([]float64{-1e308}, []float64{1e308}); return err }, ErrInvalid},
		{"ks empty", func() error { _, err := KS(nil, []float64{1}, KSAuto); return err }, ErrEmpty},
		{"mann-whitney NaN", func() error { _, err := MannWhitney([]float64{nan}, []float64{1}); return err }, ErrNaN},
		{"cramer-von mises one value", func() error { _, err := CramerVonMises([]float64{1}, []float64{1, 2}); return err }, ErrEmpty},
		{"z more successes than trials", func() error { _, _, err := TwoProportionZ(5, 4, 1, 2); return err }, ErrInvalid},
		{"z negative trials", func() error { _, _, err := TwoProportionZ(0, -4, 1, 2); return err }, ErrEmpty},
		{"compare cramer-von mises on one value", func() error {
			_, err := good.Compare(Data{Numeric: map[string][]float64{"x": {1}}}, &CompareOptions{Columns: map[string]ColumnOptions{"x": {Method: MethodCramerVonMises}}})
			return err
		}, ErrEmpty},
		{"compare numeric method on categories", func() error {
			_, err := Compare(Data{Categorical: map[string][]string{"c": {"a", "b"}}}, Data{Categorical: map[string][]string{"c": {"a"}}},
				&CompareOptions{Columns: map[string]ColumnOptions{"c": {Method: MethodKS}}})
			return err
		}, ErrMethod},
		{"fit bad edges", func() error { _, err := Fit(cur, &FitOptions{Edges: map[string][]float64{"x": {2, 1}}}); return err }, ErrInvalid},
		{"html nil report", func() error { var r *Report; return r.WriteHTML(io.Discard, nil) }, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.f()
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "drift: ") || strings.Count(msg, "drift:") != 1 || strings.Contains(msg, "stats:") {
				t.Errorf("message %q does not speak as package drift", msg)
			}
		})
	}
}

func mustJSON(t *testing.T, p *Profile) string {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustFit(t *testing.T, d Data) *Profile {
	t.Helper()
	p, err := Fit(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
