package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSortMatchesSlicesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	gens := map[string]func() float64{
		"normal": rng.NormFloat64,
		"ties":   func() float64 { return float64(rng.IntN(7)) - 3 },
		"extremes": func() float64 {
			return []float64{math.Inf(-1), math.Inf(1), -math.MaxFloat64, math.SmallestNonzeroFloat64, -0.0, 0, 1e300}[rng.IntN(7)]
		},
		"tiny range": func() float64 { return 1 + rng.Float64()*1e-12 },
	}
	for name, gen := range gens {
		for _, n := range []int{0, 1, 100, radixMin, 10000} {
			x := make([]float64, n)
			for i := range x {
				x[i] = gen()
			}
			want := slices.Clone(x)
			slices.Sort(want)
			Sort(x)
			for i := range x {
				if x[i] != want[i] || (i > 0 && x[i] < x[i-1]) {
					t.Fatalf("%s n=%d: index %d got %v want %v", name, n, i, x[i], want[i])
				}
			}
		}
	}
}

func BenchmarkSort1M(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, 1_000_000)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	buf := make([]float64, len(x))
	b.Run("radix", func(b *testing.B) {
		for b.Loop() {
			copy(buf, x)
			Sort(buf)
		}
	})
	b.Run("slices.Sort", func(b *testing.B) {
		for b.Loop() {
			copy(buf, x)
			slices.Sort(buf)
		}
	})
}
