package treehash

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCacheDecodeAllocations: loading the persisted cache costs a few
// allocations whatever the number of entries (one slice of entries, one
// string of paths), so that re-hashing an unchanged tree as a new process
// is not dominated by decoding it; the decoded entries are those encoded.
func TestCacheDecodeAllocations(t *testing.T) {
	for _, n := range []int{1_000, 10_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			entries := make(map[cacheKey]cacheEntry, n)
			for i := range n {
				e := cacheEntry{size: int64(i), mtime: int64(i) * 1e9, inode: uint64(i + 7)}
				e.sum[0] = byte(i)
				entries[cacheKey{0, fmt.Sprintf("/data/set/d%03d/f%05d.bin", i/100, i)}] = e
			}
			data := encodeCache(entries)
			got, err := decodeMap(data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(entries, got, cmp.AllowUnexported(cacheKey{}, cacheEntry{})); diff != "" {
				t.Fatalf("decoded (-want +got):\n%s", diff)
			}
			allocs := testing.AllocsPerRun(5, func() {
				if _, _, err := decodeCache(data); err != nil {
					t.Fatal(err)
				}
			})
			if allocs > 4 {
				t.Fatalf("decoding %d entries: %.0f allocations, want at most 4", n, allocs)
			}
			t.Logf("%d entries, %d bytes: %.0f allocations", n, len(data), allocs)
		})
	}
}

// TestCacheLookupsInWalkOrder checks the lookups a re-hash makes, one per
// file in walk order, against the entries: every hit found, every changed
// key a miss, with no allocation.
func TestCacheLookupsInWalkOrder(t *testing.T) {
	entries := map[cacheKey]cacheEntry{}
	var paths []string
	for i := range 300 {
		// "a.b" sorts before "a/…" by bytes but comes after it in a walk.
		p := fmt.Sprintf("/t/d%d/f%03d", i%3, i)
		if i%50 == 0 {
			p = fmt.Sprintf("/t/d%d.x", i)
		}
		paths = append(paths, p)
		entries[cacheKey{0, p}] = cacheEntry{size: int64(i), mtime: 1, inode: uint64(i), sum: [32]byte{byte(i)}}
		entries[cacheKey{1, p}] = cacheEntry{size: int64(i), mtime: 1, inode: uint64(i), sum: [32]byte{byte(i), 1}}
	}
	recs, names, err := decodeCache(encodeCache(entries))
	if err != nil {
		t.Fatal(err)
	}
	c := &Cache{base: recs, names: names, over: map[cacheKey]cacheEntry{}}
	for _, alg := range []uint8{0, 1} {
		v := c.view()
		for _, p := range paths {
			e := entries[cacheKey{alg, p}]
			st := fileStat{size: e.size, mtime: e.mtime, ino: e.inode}
			if sum, ok := v.lookup(alg, p, st); !ok || sum.b != e.sum || sum.alg != alg {
				t.Errorf("lookup(%d, %s) = %v, %v", alg, p, sum, ok)
			}
			st.mtime++
			if _, ok := v.lookup(alg, p, st); ok {
				t.Errorf("lookup(%d, %s) with another mtime hit", alg, p)
			}
		}
		if _, ok := v.lookup(alg, "/t/none", fileStat{}); ok {
			t.Error("lookup of an unknown path hit")
		}
		v.release()
	}
	if c.Len() != 600 {
		t.Errorf("Len() = %d, want 600", c.Len())
	}
	st := fileStat{size: 1, mtime: 1, ino: 1}
	allocs := testing.AllocsPerRun(10, func() {
		v := cacheView{c: c}
		c.mu.RLock()
		for _, p := range paths {
			v.lookup(0, p, st)
		}
		v.release()
	})
	if allocs != 0 {
		t.Errorf("%.0f allocations for %d lookups, want 0", allocs, len(paths))
	}
}
