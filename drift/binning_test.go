package drift

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestSelectKthMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for trial := range 200 {
		n := 1 + rng.IntN(3000)
		a := make([]float64, n)
		levels := 1 + rng.IntN(50)
		for i := range a {
			if trial%2 == 0 {
				a[i] = rng.NormFloat64()
			} else {
				a[i] = float64(rng.IntN(levels))
			}
		}
		sorted := slices.Clone(a)
		slices.Sort(sorted)
		var ks []int
		for range 1 + rng.IntN(20) {
			ks = append(ks, rng.IntN(n))
		}
		slices.Sort(ks)
		ks = slices.Compact(ks)
		selectKth(a, ks, 0)
		for _, k := range ks {
			if a[k] != sorted[k] {
				t.Fatalf("trial %d n=%d: a[%d] = %v, want %v", trial, n, k, a[k], sorted[k])
			}
		}
	}
}

func TestOrderStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	gens := map[string]func() float64{
		"normal":      rng.NormFloat64,
		"lognormal":   func() float64 { return math.Exp(2 * rng.NormFloat64()) },
		"few values":  func() float64 { return float64(rng.IntN(4)) },
		"signed zero": func() float64 { return []float64{-0.0, 0, 1, -1}[rng.IntN(4)] * rng.Float64() },
	}
	for name, gen := range gens {
		x := make([]float64, 100_000)
		for i := range x {
			x[i] = gen()
		}
		sorted := slices.Clone(x)
		slices.Sort(sorted)
		ks := []int{0, 1, 9999, 10000, 49999, 50000, 77777, 99998, 99999}
		got := orderStatistics(x, ks)
		for _, k := range ks {
			if got[k] != sorted[k] {
				t.Errorf("%s: order statistic %d = %v, want %v", name, k, got[k], sorted[k])
			}
		}
	}
}

func TestHistogramTableMatchesSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	x := make([]float64, 50_000)
	for i := range x {
		x[i] = []float64{rng.NormFloat64(), math.Exp(20 * rng.NormFloat64()), -0.0, 0, 1e-310, -math.MaxFloat64, math.MaxFloat64, float64(rng.IntN(5))}[i%8]
	}
	for _, edges := range [][]float64{{}, {0}, {-1, -0.5, 0, 1e-300, 0.5, 1, 2, 3, 1e300}, {1.0000001, 1.0000002}} {
		got := Histogram(edges, x)
		want := make([]float64, len(edges)+1)
		for _, v := range x {
			want[BinIndex(edges, v)]++
		}
		if !slices.Equal(got, want) {
			t.Errorf("edges %v: %v, want %v", edges, got, want)
		}
	}
}

func TestBinConventions(t *testing.T) {
	edges, rc, cc, err := Bin([]float64{1, 2, 3, 4, 5}, []float64{0, 2, 2, 9}, 4)
	if err != nil {
		t.Fatal(err)
	}
	// numpy.quantile([1,2,3,4,5], [.25,.5,.75]) = 2, 3, 4; a value on an
	// edge falls to its right.
	if !slices.Equal(edges, []float64{2, 3, 4}) || !slices.Equal(rc, []float64{1, 1, 1, 2}) || !slices.Equal(cc, []float64{1, 2, 0, 1}) {
		t.Errorf("Bin = %v %v %v", edges, rc, cc)
	}
	// Duplicate quantiles collapse.
	edges, _, _, err = Bin([]float64{7, 7, 7, 7, 8}, []float64{7}, 10)
	if err != nil {
		t.Fatal(err)
	}
	// numpy.unique(numpy.quantile([7,7,7,7,8], numpy.linspace(0,1,11)[1:-1])).
	if !slices.Equal(edges, []float64{7, 7.2, 7.6}) {
		t.Errorf("edges = %v, want [7 7.2 7.6]", edges)
	}
	for _, tc := range []struct {
		ref, cur []float64
		bins     int
		want     error
	}{
		{nil, []float64{1}, 10, ErrEmpty},
		{[]float64{1}, []float64{math.Inf(1)}, 10, ErrInvalid},
		{[]float64{1}, []float64{1}, 1, ErrInvalid},
	} {
		if _, _, _, err := Bin(tc.ref, tc.cur, tc.bins); !errors.Is(err, tc.want) {
			t.Errorf("Bin(%v, %v, %d) err = %v, want %v", tc.ref, tc.cur, tc.bins, err, tc.want)
		}
	}
	if QuantileEdges(nil, 10) != nil || QuantileEdges([]float64{1}, 1) != nil {
		t.Error("QuantileEdges of nothing")
	}
}

// TestBinEdgesMatchQuantileEdges checks that Bin, which selects order
// statistics instead of sorting, cuts at the same edges as QuantileEdges on
// the sorted sample, for bin counts whose quantiles i/bins round differently
// from i*(1/bins) (6 bins of 19 values is one).
func TestBinEdgesMatchQuantileEdges(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 19))
	for _, bins := range []int{2, 3, 6, 7, 10, 12, 49} {
		for n := 1; n <= 80; n++ {
			x := make([]float64, n)
			for i := range x {
				x[i] = 1 + rng.Float64()
			}
			sorted := slices.Clone(x)
			slices.Sort(sorted)
			edges, _, _, err := Bin(x, x, bins)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(QuantileEdges(sorted, bins), edges, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%d bins of %d values: edges (-QuantileEdges +Bin):\n%s", bins, n, diff)
			}
		}
	}
}

// TestQuantileEdgesCountedMatchesExpanded checks that the edges of a
// counted sample are bit for bit those of the expanded sorted sample, and
// that bad samples give nil.
func TestQuantileEdgesCountedMatchesExpanded(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 300 {
		distinct := 1 + rng.IntN(400)
		values := make([]float64, 0, distinct)
		counts := make([]int64, 0, distinct)
		var expanded []float64
		v := rng.NormFloat64() * 100
		for range distinct {
			v += 1e-3 + rng.ExpFloat64()
			c := int64(1 + rng.IntN(1+trial%17))
			values, counts = append(values, v), append(counts, c)
			for range c {
				expanded = append(expanded, v)
			}
		}
		bins := 2 + rng.IntN(40)
		if trial%50 == 0 {
			bins = MaxBins
		}
		want, got := QuantileEdges(expanded, bins), QuantileEdgesCounted(values, counts, bins)
		if len(want) == 0 || !slices.Equal(want, got) {
			t.Fatalf("trial %d: %d bins of %d values: got %v, want %v", trial, bins, len(expanded), got, want)
		}
	}
	for name, c := range map[string]struct {
		values []float64
		counts []int64
		bins   int
	}{
		"empty":          {nil, nil, 10},
		"one bin":        {[]float64{1, 2}, []int64{1, 1}, 1},
		"too many bins":  {[]float64{1, 2}, []int64{1, 1}, MaxBins + 1},
		"length":         {[]float64{1, 2}, []int64{1}, 10},
		"zero count":     {[]float64{1, 2}, []int64{1, 0}, 10},
		"not increasing": {[]float64{2, 2}, []int64{1, 1}, 10},
		"nan":            {[]float64{1, math.NaN()}, []int64{1, 1}, 10},
		"overflow":       {[]float64{1, 2}, []int64{math.MaxInt64, math.MaxInt64}, 10},
	} {
		if got := QuantileEdgesCounted(c.values, c.counts, c.bins); got != nil {
			t.Errorf("%s: got %v, want nil", name, got)
		}
	}
}

// TestQuantileEdgesCountedOfCompleteProfile checks the use the function is
// for: the sample of a Complete profile gives the edges Fit cut at.
func TestQuantileEdgesCountedOfCompleteProfile(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	x := make([]float64, 5000)
	for i := range x {
		x[i] = math.Round(rng.NormFloat64()*300) / 10
	}
	p, err := Fit(Data{Numeric: map[string][]float64{"x": x}}, &FitOptions{Bins: 17})
	if err != nil {
		t.Fatal(err)
	}
	np := p.Columns[0].Numeric
	if !np.Complete {
		t.Fatal("sample not complete")
	}
	if got := QuantileEdgesCounted(np.Values, np.Counts, 17); !slices.Equal(got, np.Edges) {
		t.Errorf("edges %v, Fit cut at %v", got, np.Edges)
	}
}
