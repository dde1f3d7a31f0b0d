package drift

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sextant-ml/sextant/internal/stats"
)

func normalSample(rng *rand.Rand, n int, mean, sd float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = mean + sd*rng.NormFloat64()
	}
	return x
}

func categorySample(rng *rand.Rand, n int, cats []string, weights []float64) []string {
	out := make([]string, n)
	total := 0.0
	for _, w := range weights {
		total += w
	}
	for i := range out {
		u := rng.Float64() * total
		k := 0
		for k < len(weights)-1 && u >= weights[k] {
			u -= weights[k]
			k++
		}
		out[i] = cats[k]
	}
	return out
}

// shardedData returns a table and a split of it into two shards.
func shardedData(seed uint64, n int) (whole, a, b Data) {
	rng := rand.New(rand.NewPCG(seed, 99))
	x := normalSample(rng, n, 3, 2)
	x[5], x[17] = math.NaN(), math.Inf(1)
	ints := make([]float64, n) // heavy ties
	for i := range ints {
		ints[i] = float64(rng.IntN(40))
	}
	cats := categorySample(rng, n, []string{"red", "green", "blue", ""}, []float64{5, 3, 1, 0.2})
	cut := n / 3
	whole = Data{Numeric: map[string][]float64{"x": x, "ints": ints}, Categorical: map[string][]string{"color": cats}}
	a = Data{Numeric: map[string][]float64{"x": x[:cut], "ints": ints[:cut]}, Categorical: map[string][]string{"color": cats[:cut]}}
	b = Data{Numeric: map[string][]float64{"x": x[cut:], "ints": ints[cut:]}, Categorical: map[string][]string{"color": cats[cut:]}}
	return whole, a, b
}

// momentsApprox compares the floating-point moments Mean and M2 up to
// rounding; every other field, edges and sample values included, must
// match exactly.
var momentsApprox = cmp.FilterPath(func(p cmp.Path) bool {
	if len(p) == 0 {
		return false
	}
	f, ok := p.Last().(cmp.StructField)
	return ok && (f.Name() == "Mean" || f.Name() == "M2")
}, cmpopts.EquateApprox(1e-12, 1e-12))

func TestMergeEqualsProfileOfUnion(t *testing.T) {
	tests := []struct {
		name       string
		n          int
		sampleSize int
	}{
		{"sample holds everything", 3000, 0},
		{"sample bounded", 3000, 500},
		{"tiny sample", 400, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			whole, a, b := shardedData(uint64(tc.n+tc.sampleSize), tc.n)
			pa, err := Fit(a, &FitOptions{SampleSize: tc.sampleSize, Seed: 42})
			if err != nil {
				t.Fatal(err)
			}
			// The second shard reuses the first shard's edges, the
			// documented way for shards to agree on bins.
			shared := &FitOptions{SampleSize: tc.sampleSize, Seed: 42, Edges: pa.Edges()}
			pb, err := Fit(b, shared)
			if err != nil {
				t.Fatal(err)
			}
			merged, err := Merge(pa, pb)
			if err != nil {
				t.Fatal(err)
			}
			want, err := Fit(whole, shared)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, merged, momentsApprox); diff != "" {
				t.Errorf("merge differs from the profile of the union (-want +got):\n%s", diff)
			}
			// Merging is order-independent.
			rev, err := Merge(pb, pa)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(merged, rev, momentsApprox); diff != "" {
				t.Errorf("Merge(b, a) != Merge(a, b) (-want +got):\n%s", diff)
			}
			x, _ := merged.Column("x")
			if tc.sampleSize > 0 && len(x.Numeric.Values) > tc.sampleSize {
				t.Errorf("sample has %d values, bound %d", len(x.Numeric.Values), tc.sampleSize)
			}
			if got, wantC := x.Numeric.Complete, tc.sampleSize == 0; got != wantC {
				t.Errorf("complete = %v, want %v", got, wantC)
			}
		})
	}
}

// TestMergeThreeShards checks that merging is associative over three
// shards and equals the profile of the whole, with a bounded sample.
func TestMergeThreeShards(t *testing.T) {
	whole, a, rest := shardedData(11, 3000)
	// Split the last two thirds again in two.
	split := func(d Data, lo, hi int) Data {
		out := Data{Numeric: map[string][]float64{}, Categorical: map[string][]string{}}
		for k, v := range d.Numeric {
			out.Numeric[k] = v[lo:hi]
		}
		for k, v := range d.Categorical {
			out.Categorical[k] = v[lo:hi]
		}
		return out
	}
	n := len(rest.Numeric["x"])
	b, c := split(rest, 0, n/2), split(rest, n/2, n)
	opts := &FitOptions{SampleSize: 700, Seed: 5}
	pa, err := Fit(a, opts)
	if err != nil {
		t.Fatal(err)
	}
	shared := &FitOptions{SampleSize: 700, Seed: 5, Edges: pa.Edges()}
	pb, pc := mustFitWith(t, b, shared), mustFitWith(t, c, shared)
	want := mustFitWith(t, whole, shared)
	all, err := Merge(pa, pb, pc)
	if err != nil {
		t.Fatal(err)
	}
	ab, err := Merge(pa, pb)
	if err != nil {
		t.Fatal(err)
	}
	left, err := Merge(ab, pc)
	if err != nil {
		t.Fatal(err)
	}
	bc, err := Merge(pb, pc)
	if err != nil {
		t.Fatal(err)
	}
	right, err := Merge(pa, bc)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]*Profile{"Merge(a, b, c)": all, "Merge(Merge(a, b), c)": left, "Merge(a, Merge(b, c))": right} {
		if diff := cmp.Diff(want, got, momentsApprox); diff != "" {
			t.Errorf("%s differs from the profile of the whole (-want +got):\n%s", name, diff)
		}
	}
	if x, _ := all.Column("x"); x.Numeric.Complete || len(x.Numeric.Values) != 700 {
		t.Errorf("sample: complete %v, %d values; want a bounded sample of 700", x.Numeric.Complete, len(x.Numeric.Values))
	}
}

func mustFitWith(t *testing.T, d Data, o *FitOptions) *Profile {
	t.Helper()
	p, err := Fit(d, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSelectKthUint64 checks selectKth on the hashes Fit's sample selects
// from, with and without ties.
func TestSelectKthUint64(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for trial := range 300 {
		n := 1 + rng.IntN(2000)
		a := make([]uint64, n)
		for i := range a {
			if trial%3 == 0 {
				a[i] = uint64(rng.IntN(5)) // many ties
			} else {
				a[i] = rng.Uint64()
			}
		}
		sorted := slices.Clone(a)
		slices.Sort(sorted)
		k := rng.IntN(n)
		selectKth(a, []int{k}, 0)
		if got := a[k]; got != sorted[k] {
			t.Fatalf("trial %d: select(%d) = %d, want %d", trial, k, got, sorted[k])
		}
	}
}

func TestSampleKeepsSmallestHashes(t *testing.T) {
	vals := make([]float64, 5000)
	counts := make([]int64, len(vals))
	for i := range vals {
		vals[i], counts[i] = float64(i)/7, int64(1+i%3)
	}
	gotV, gotC := keepSmallestHashes(vals, counts, 300, 77)
	idx := make([]int, len(vals))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		ha, hb := valueHash(vals[a], 77), valueHash(vals[b], 77)
		switch {
		case ha < hb:
			return -1
		case ha > hb:
			return 1
		}
		return 0
	})
	keep := slices.Clone(idx[:300])
	slices.Sort(keep)
	if len(gotV) != 300 {
		t.Fatalf("kept %d values", len(gotV))
	}
	for i, j := range keep {
		if gotV[i] != vals[j] || gotC[i] != counts[j] {
			t.Fatalf("position %d: got %v x%d, want %v x%d", i, gotV[i], gotC[i], vals[j], counts[j])
		}
	}
}

func TestMergeLeavesInputsAlone(t *testing.T) {
	_, a, b := shardedData(1, 600)
	pa, _ := Fit(a, nil)
	pb, _ := Fit(b, &FitOptions{Edges: pa.Edges()})
	before, _ := json.Marshal(pa)
	if _, err := Merge(pa, pb); err != nil {
		t.Fatal(err)
	}
	after, _ := json.Marshal(pa)
	if string(before) != string(after) {
		t.Error("Merge modified its first argument")
	}
}

func TestMergeRejectsIncompatible(t *testing.T) {
	_, a, b := shardedData(2, 600)
	pa, _ := Fit(a, nil)
	tests := []struct {
		name string
		opts *FitOptions
		data Data
	}{
		{"own edges", nil, b},
		{"other seed", &FitOptions{Seed: 9, Edges: pa.Edges()}, b},
		{"other bins", &FitOptions{Bins: 5, Edges: pa.Edges()}, b},
		{"other columns", nil, Data{Numeric: map[string][]float64{"x": {1, 2, 3}}}},
		{"other kind", nil, Data{Numeric: map[string][]float64{"x": {1}, "ints": {1}}, Categorical: map[string][]string{"color2": {"a"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pb, err := Fit(tc.data, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Merge(pa, pb); !errors.Is(err, ErrIncompatible) {
				t.Fatalf("err = %v, want ErrIncompatible", err)
			}
		})
	}
	if _, err := Merge(); !errors.Is(err, ErrEmpty) {
		t.Errorf("Merge() err = %v", err)
	}
}

func TestProfileJSONRoundTrip(t *testing.T) {
	whole, _, _ := shardedData(3, 800)
	p, err := Fit(whole, &FitOptions{SampleSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, q); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	b2, _ := json.Marshal(q)
	if string(b) != string(b2) {
		t.Error("encoding is not stable across a round trip")
	}
	// Comparing against the decoded profile gives the same report.
	cur := Data{Numeric: map[string][]float64{"x": {1, 2, 3, 4, 5, 9}, "ints": {1, 2, 3}}, Categorical: map[string][]string{"color": {"red", "blue"}}}
	r1, err := p.Compare(cur, nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := q.Compare(cur, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r1, r2); diff != "" {
		t.Errorf("reports differ (-want +got):\n%s", diff)
	}
}

func TestParseRejectsCorruptProfiles(t *testing.T) {
	p, err := Fit(Data{Numeric: map[string][]float64{"x": {1, 2, 3, 4}}, Categorical: map[string][]string{"c": {"a", "b"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := json.Marshal(p)
	if _, err := Parse(good); err != nil {
		t.Fatalf("good profile rejected: %v", err)
	}
	tests := []struct{ name, from, to string }{
		{"not json", `{"version"`, `{"version`},
		{"version", `"version":1`, `"version":2`},
		{"bins", `"bins":10`, `"bins":1`},
		{"unsorted edges", `"edges":[1.3,1.6`, `"edges":[1.6,1.3`},
		{"bin counts", `"bin_counts":[1,0,0,1,0,0,1,0,0,1]`, `"bin_counts":[1,0,0,1,0,0,1,0,0,2]`},
		{"sample counts", `"counts":[1,1,1,1]`, `"counts":[1,1,1,-1]`},
		{"category count", `"a":1`, `"a":0`},
		{"rows", `"rows":2`, `"rows":3`},
		{"kind", `"kind":"categorical"`, `"kind":"numeric"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := string(good)
			if !strings.Contains(s, tc.from) {
				t.Fatalf("fixture %q not in %s", tc.from, s)
			}
			_, err := Parse([]byte(strings.Replace(s, tc.from, tc.to, 1)))
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	p, _ := Fit(Data{Numeric: map[string][]float64{"x": {1, 2, 2, 3, 4, 8}}, Categorical: map[string][]string{"c": {"a", "b", "b"}}}, nil)
	good, _ := json.Marshal(p)
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"version":1,"bins":10,"sample_size":5,"columns":[{"name":"x","kind":"numeric","rows":1,"numeric":{"count":1,"edges":[],"bin_counts":[1],"values":[0],"counts":[1],"complete":true}}]}`))
	f.Add([]byte(`null`))
	// Sample counts that wrap int64 around to the column's count.
	f.Add([]byte(`{"version":1,"bins":10,"sample_size":5,"columns":[{"name":"x","kind":"numeric","rows":1,"numeric":{"count":1,"edges":[],"bin_counts":[1],"values":[0,1,2],"counts":[9223372036854775807,9223372036854775807,2],"complete":false}}]}`))
	f.Add([]byte(`{"version":1,"bins":1000000000,"sample_size":-1,"columns":[{"name":"c","kind":"categorical","rows":2,"nan":1,"categorical":{"counts":{"a":1}}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		// A profile that parses must be usable: re-encode, merge with
		// itself and compare a batch without panicking.
		again, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(again); err != nil {
			t.Fatalf("re-encoded profile rejected: %v", err)
		}
		if _, err := Merge(p, p); err != nil {
			t.Fatalf("self-merge: %v", err)
		}
		cur := Data{Numeric: map[string][]float64{}, Categorical: map[string][]string{}}
		for _, c := range p.Columns {
			if c.Kind == Numeric {
				cur.Numeric[c.Name] = []float64{0, 1, 2}
			} else {
				cur.Categorical[c.Name] = []string{"a", "zz"}
			}
		}
		if _, err := p.Compare(cur, nil); err != nil && !isDriftError(err) {
			t.Fatalf("compare: error %v wraps no drift sentinel", err)
		}
		c := p.Columns[0]
		s, err := NewStream(p, c.Name, &StreamOptions{Size: 8})
		if err != nil {
			t.Fatalf("stream on a parsed profile: %v", err)
		}
		s.ObserveBatch([]float64{0, 1, 2})
		s.ObserveCategory("a")
		if _, err := s.Check(); err != nil && !isDriftError(err) {
			t.Fatalf("stream check: error %v wraps no drift sentinel", err)
		}
	})
}

func TestFitErrors(t *testing.T) {
	tests := []struct {
		name string
		data Data
		opts *FitOptions
		want error
	}{
		{"no columns", Data{}, nil, ErrEmpty},
		{"all nan", Data{Numeric: map[string][]float64{"x": {math.NaN(), math.Inf(-1)}}}, nil, ErrEmpty},
		{"no rows", Data{Numeric: map[string][]float64{"x": {}}}, nil, ErrEmpty},
		{"all missing", Data{Categorical: map[string][]string{"c": {"", ""}}}, nil, ErrEmpty},
		{"both kinds", Data{Numeric: map[string][]float64{"x": {1}}, Categorical: map[string][]string{"x": {"a"}}}, nil, ErrInvalid},
		{"one bin", Data{Numeric: map[string][]float64{"x": {1}}}, &FitOptions{Bins: 1}, ErrInvalid},
		{"bad edges", Data{Numeric: map[string][]float64{"x": {1}}}, &FitOptions{Edges: map[string][]float64{"x": {2, 1}}}, ErrInvalid},
		{"edges for unknown", Data{Numeric: map[string][]float64{"x": {1}}}, &FitOptions{Edges: map[string][]float64{"y": {1}}}, ErrUnknownColumn},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Fit(tc.data, tc.opts); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestFitCountsDroppedValues(t *testing.T) {
	p, err := Fit(Data{
		Numeric:     map[string][]float64{"x": {1, math.NaN(), 2, math.Inf(1), math.Inf(-1), 3, -0.0, 0}},
		Categorical: map[string][]string{"c": {"a", "", "b", "a"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := p.Column("x")
	if x.Rows != 8 || x.NaN != 1 || x.Inf != 2 || x.Numeric.Count != 5 {
		t.Errorf("x counts: rows %d nan %d inf %d count %d", x.Rows, x.NaN, x.Inf, x.Numeric.Count)
	}
	if !slices.Equal(x.Numeric.Values, []float64{0, 1, 2, 3}) || !slices.Equal(x.Numeric.Counts, []int64{2, 1, 1, 1}) {
		t.Errorf("sample = %v %v; -0 and 0 are one value", x.Numeric.Values, x.Numeric.Counts)
	}
	c, _ := p.Column("c")
	if c.Rows != 4 || c.NaN != 1 || c.Categorical.Counts["a"] != 2 || c.Categorical.Counts["b"] != 1 {
		t.Errorf("c = %+v %+v", c, c.Categorical)
	}
	if _, err := p.Column("nope"); !errors.Is(err, ErrUnknownColumn) {
		t.Errorf("Column(nope) err = %v", err)
	}
}

// TestBoundedSampleWithinStatedError checks the error the package doc
// states for a bounded sample: on continuous data the sample's
// distribution function stays within the Dvoretzky-Kiefer-Wolfowitz bound
// sqrt(ln(2/0.01)/(2k)) of the data's (99% probability for k kept values),
// and so does every KS statistic computed against the profile.
func TestBoundedSampleWithinStatedError(t *testing.T) {
	const n, k = 20000, 1000
	bound := math.Sqrt(math.Log(2/0.01) / (2 * k))
	for _, seed := range []uint64{1, 2, 3} {
		t.Run("seed="+strconv.FormatUint(seed, 10), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 77))
			x := normalSample(rng, n, 0, 1)
			p, err := Fit(Data{Numeric: map[string][]float64{"x": x}}, &FitOptions{SampleSize: k, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			col, _ := p.Column("x")
			np := col.Numeric
			if np.Complete || len(np.Values) != k {
				t.Fatalf("sample: complete %v, %d values", np.Complete, len(np.Values))
			}
			full := slices.Clone(x)
			slices.Sort(full)
			d, err := stats.KolmogorovSmirnovCounted(stats.Counted{Values: np.Values, Counts: np.Counts}, stats.Counted{Values: full}, stats.KSAsymptotic)
			if err != nil {
				t.Fatal(err)
			}
			if d.D > bound {
				t.Errorf("sample distribution function off by %v, stated bound %v", d.D, bound)
			}
			// A kept value must be an unbiased pick: as many below the
			// median as above, within the same bound.
			below := 0
			for _, v := range np.Values {
				if v < full[n/2] {
					below++
				}
			}
			if math.Abs(float64(below)/k-0.5) > bound {
				t.Errorf("%d of %d kept values lie below the median", below, k)
			}
			cur := normalSample(rng, 500, 0.2, 1)
			exact, err := Compare(Data{Numeric: map[string][]float64{"x": x}}, Data{Numeric: map[string][]float64{"x": cur}}, &CompareOptions{Columns: map[string]ColumnOptions{"x": {Method: MethodKS}}})
			if err != nil {
				t.Fatal(err)
			}
			approx, err := p.Compare(Data{Numeric: map[string][]float64{"x": cur}}, &CompareOptions{Columns: map[string]ColumnOptions{"x": {Method: MethodKS}}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := math.Abs(exact.Columns[0].Statistic - approx.Columns[0].Statistic); diff > bound {
				t.Errorf("KS statistic %v against the sample, %v against the data: off by more than %v", approx.Columns[0].Statistic, exact.Columns[0].Statistic, bound)
			}
		})
	}
}

func isDriftError(err error) bool {
	for _, e := range []error{ErrEmpty, ErrInvalid, ErrNaN, ErrUnknownColumn, ErrIncompatible, ErrCorrupt, ErrMethod} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
