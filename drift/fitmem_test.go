package drift

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSortInPlace: the in-place radix sort orders like a comparison sort on
// columns of every shape (few values, many duplicates, signs, zeros of both
// signs, subnormals, huge magnitudes), and puts -0 before +0.
func TestSortInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gens := map[string]func(int) float64{
		"normal":   func(int) float64 { return rng.NormFloat64() },
		"dups":     func(int) float64 { return float64(rng.IntN(7)) - 3 },
		"wide":     func(int) float64 { return math.Ldexp(rng.Float64()-0.5, rng.IntN(2000)-1000) },
		"sorted":   func(i int) float64 { return float64(i) },
		"reversed": func(i int) float64 { return -float64(i) },
		"zeros": func(i int) float64 {
			if i%2 == 0 {
				return math.Copysign(0, -1)
			}
			return 0
		},
	}
	for name, gen := range gens {
		for _, n := range []int{0, 1, 2, 63, 64, 65, 1000, 100_000} {
			t.Run(fmt.Sprintf("%s/%d", name, n), func(t *testing.T) {
				x := make([]float64, n)
				for i := range x {
					x[i] = gen(i)
				}
				want := slices.Clone(x)
				slices.SortStableFunc(want, func(a, b float64) int {
					switch {
					case a < b:
						return -1
					case a > b:
						return 1
					case math.Signbit(a) && !math.Signbit(b):
						return -1
					case !math.Signbit(a) && math.Signbit(b):
						return 1
					}
					return 0
				})
				sortInPlace(x)
				for i := range x {
					if math.Float64bits(x[i]) != math.Float64bits(want[i]) {
						t.Fatalf("at %d: got %v (sign %v), want %v (sign %v)", i, x[i], math.Signbit(x[i]), want[i], math.Signbit(want[i]))
					}
				}
			})
		}
	}
}

// TestSampleSortedMatchesSelection: streaming the sample from sorted runs
// picks exactly what selection over the distinct values picks.
func TestSampleSortedMatchesSelection(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ n, span, k int }{{1000, 100, 10}, {5000, 5000, 300}, {20_000, 3000, 2990}, {100, 50, 1}} {
		t.Run(fmt.Sprint(tc), func(t *testing.T) {
			x := make([]float64, tc.n)
			for i := range x {
				x[i] = float64(rng.IntN(tc.span))
			}
			sortInPlace(x)
			vals, counts := distinct(x)
			if len(vals) <= tc.k {
				t.Fatalf("test case keeps every value: %d distinct, k=%d", len(vals), tc.k)
			}
			wantV, wantC := keepSmallestHashes(vals, counts, tc.k, 9)
			gotV, gotC := sampleSorted(x, tc.k, 9)
			if diff := cmp.Diff(wantV, gotV); diff != "" {
				t.Fatalf("values (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantC, gotC); diff != "" {
				t.Fatalf("counts (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFitMemory fits a column of 1,000,000 distinct values and measures,
// with runtime.MemStats, the bytes Fit allocates in all (a bound on its
// peak) and the bytes the profile keeps once Fit has returned: both at most
// twice the column's 8 MB. Keeping every value (SampleSize -1) keeps the
// values and their counts, which is the 2x.
func TestFitMemory(t *testing.T) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(5, 6))
	col := make([]float64, n)
	for i := range col {
		col[i] = rng.NormFloat64()
	}
	column := uint64(8 * n)
	for _, tc := range []struct {
		name                string
		sample              int
		maxTotal, maxRetain uint64
	}{
		{"default sample", 0, 2 * column, column / 10},
		{"every value", -1, 2*column + 1<<16, 2*column + 1<<16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := Data{Numeric: map[string][]float64{"x": col}}
			var before, after, kept runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			p, err := Fit(data, &FitOptions{SampleSize: tc.sample})
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			runtime.ReadMemStats(&kept)
			total := after.TotalAlloc - before.TotalAlloc
			retained := int64(kept.HeapAlloc) - int64(before.HeapAlloc)
			runtime.KeepAlive(p)
			t.Logf("column %d B; Fit allocated %d B (%.2fx), the profile keeps %d B (%.2fx)",
				column, total, float64(total)/float64(column), retained, float64(retained)/float64(column))
			if total > tc.maxTotal {
				t.Errorf("Fit allocated %d B, want at most %d", total, tc.maxTotal)
			}
			if retained > int64(tc.maxRetain) {
				t.Errorf("the profile keeps %d B, want at most %d", retained, tc.maxRetain)
			}
			if got := p.Columns[0].Numeric.Count; got != n {
				t.Fatalf("profile counts %d values, want %d", got, n)
			}
		})
	}
}
