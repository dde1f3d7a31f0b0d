package drift

import (
	"slices"
	"unsafe"

	"github.com/sextant-ml/sextant/internal/stats"
)

// sortInPlace sorts finite values ascending without scratch memory: each
// value becomes its order-preserving key (stats.SortKey) in place, the keys
// are sorted by an in-place most-significant-byte radix sort (American flag
// sort), and turned back into values, so -0 sorts just before +0. Fit sorts
// its one copy of a column with it, so that copy is the only column-sized
// allocation.
func sortInPlace(x []float64) {
	if len(x) == 0 {
		return
	}
	// The same memory seen as keys: float64 and uint64 have one size.
	keys := unsafe.Slice((*uint64)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
	for i, v := range x {
		keys[i] = stats.SortKey(v)
	}
	flagSort(keys, 56)
	for i, k := range keys {
		x[i] = stats.FromSortKey(k)
	}
}

func flagSort(x []uint64, shift uint) {
	for {
		if len(x) <= 128 {
			slices.Sort(x)
			return
		}
		var counts [256]int
		for _, k := range x {
			counts[(k>>shift)&0xff]++
		}
		if counts[(x[0]>>shift)&0xff] == len(x) {
			// Every key shares this byte: go on with the next one.
			if shift == 0 {
				return
			}
			shift -= 8
			continue
		}
		var next, end [256]int
		pos := 0
		for b, c := range counts {
			next[b], end[b] = pos, pos+c
			pos += c
		}
		// Cycle each key to its bucket: next[b] is the first slot of bucket
		// b not yet holding a key of b.
		for b := range 256 {
			for next[b] < end[b] {
				k := x[next[b]]
				d := (k >> shift) & 0xff
				for d != uint64(b) {
					x[next[d]], k = k, x[next[d]]
					next[d]++
					d = (k >> shift) & 0xff
				}
				x[next[b]] = k
				next[b]++
			}
		}
		if shift == 0 {
			return
		}
		lo := 0
		for b := range 256 {
			if hi := end[b]; hi-lo > 1 {
				flagSort(x[lo:hi], shift-8)
			}
			lo = end[b]
		}
		return
	}
}

// distinctCount counts the distinct values of a sorted slice (-0 equals +0).
func distinctCount(sorted []float64) int {
	n := 0
	for i, v := range sorted {
		if i == 0 || v != sorted[i-1] {
			n++
		}
	}
	return n
}

// compactDistinct turns sorted into its n distinct values in place and
// returns them with their counts.
func compactDistinct(sorted []float64, n int) ([]float64, []int64) {
	counts := make([]int64, 0, n)
	w := 0
	for i, v := range sorted {
		if i > 0 && v == sorted[w-1] {
			counts[w-1]++
			continue
		}
		sorted[w] = v
		counts = append(counts, 1)
		w++
	}
	return sorted[:w:w], counts
}

// siftDown restores the max-heap order of h from index i down.
func siftDown(h []uint64, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		if r := l + 1; r < len(h) && h[r] > h[l] {
			l = r
		}
		if h[i] >= h[l] {
			return
		}
		h[i], h[l] = h[l], h[i]
		i = l
	}
}

// siftUp restores the max-heap order of h from index i up.
func siftUp(h []uint64, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if h[p] >= h[i] {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

// sampleSorted keeps, from the runs of a sorted slice, the k distinct values
// with the smallest seeded hash and their counts, in ascending value order:
// the same choice as keepSmallestHashes over distinct(sorted), in memory
// proportional to k rather than to the number of distinct values.
func sampleSorted(sorted []float64, k int, seed uint64) ([]float64, []int64) {
	h := make([]uint64, 0, k) // a max-heap of the k smallest hashes so far
	for i, v := range sorted {
		if i > 0 && v == sorted[i-1] {
			continue
		}
		x := valueHash(v, seed)
		switch {
		case len(h) < k:
			h = append(h, x)
			siftUp(h, len(h)-1)
		case x < h[0]:
			h[0] = x
			siftDown(h, 0)
		}
	}
	cut := h[0]
	below := 0
	for _, x := range h {
		if x < cut {
			below++
		}
	}
	ties := k - below // values hashing exactly to cut that still fit
	outV, outC := make([]float64, 0, k), make([]int64, 0, k)
	keep := false
	for i, v := range sorted {
		if i > 0 && v == sorted[i-1] {
			if keep {
				outC[len(outC)-1]++
			}
			continue
		}
		x := valueHash(v, seed)
		keep = x < cut || (x == cut && ties > 0)
		if keep {
			if x == cut {
				ties--
			}
			outV, outC = append(outV, v), append(outC, 1)
		}
	}
	return outV, outC
}
