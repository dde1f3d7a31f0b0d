package stats

import (
	"math"
	"slices"
)

// radixMin is the length from which Sort switches from pdqsort to radix.
const radixMin = 2048

// Sort sorts x in ascending order. Large slices are sorted by an LSD radix
// sort on the bits of the values (about 2.8x faster than slices.Sort on a
// million values; see the package doc); small ones by slices.Sort. x must not hold
// NaN. -0 sorts before +0; they compare equal, so callers that walk equal
// values together are unaffected.
func Sort(x []float64) {
	if len(x) < radixMin {
		slices.Sort(x)
		return
	}
	for i, k := range sortKeys(x, false) {
		x[i] = FromSortKey(k)
	}
}

// sortKeys returns the order-preserving keys of x (see SortKey), sorted by
// an LSD radix sort. With mergeZeros, -0 gets +0's key, so that equal keys
// are exactly equal values.
func sortKeys(x []float64, mergeZeros bool) []uint64 {
	keys := make([]uint64, len(x))
	// One pass counts every byte position at once.
	var counts [8][256]int
	for i, v := range x {
		if mergeZeros {
			v += 0 // -0 + 0 is +0
		}
		k := SortKey(v)
		keys[i] = k
		for p := range 8 {
			counts[p][(k>>(8*p))&0xff]++
		}
	}
	tmp := make([]uint64, len(x))
	for p := range 8 {
		shift := uint(8 * p)
		c := &counts[p]
		if c[(keys[0]>>shift)&0xff] == len(keys) {
			continue // every key shares this byte
		}
		pos := 0
		for i, n := range c {
			c[i] = pos
			pos += n
		}
		for _, k := range keys {
			b := (k >> shift) & 0xff
			tmp[c[b]] = k
			c[b]++
		}
		keys, tmp = tmp, keys
	}
	return keys
}

// sortedKeyPair returns the sorted keys of x and y, computed concurrently;
// the goroutine is joined before returning.
func sortedKeyPair(x, y []float64) (kx, ky []uint64) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		kx = sortKeys(x, true)
	}()
	ky = sortKeys(y, true)
	<-done
	return kx, ky
}

// SortKey maps a float64 to a uint64 whose unsigned order is the float's
// order: flip the sign bit of positives and every bit of negatives.
func SortKey(v float64) uint64 {
	b := math.Float64bits(v)
	if b>>63 == 0 {
		return b | 1<<63
	}
	return ^b
}

// FromSortKey inverts SortKey.
func FromSortKey(k uint64) float64 {
	if k>>63 == 1 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}
