package dataset

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStatCacheDecodeAllocations: loading the persisted cache costs one
// allocation per entry (its path) beyond the map, so that re-hashing an
// unchanged tree as a new process is not dominated by decoding it; the
// decoded entries are those encoded.
func TestStatCacheDecodeAllocations(t *testing.T) {
	for _, n := range []int{1_000, 10_000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			entries := make(map[cacheKey]cacheEntry, n)
			for i := range n {
				e := cacheEntry{size: int64(i), mtime: int64(i) * 1e9, inode: uint64(i + 7)}
				e.sum[0] = byte(i)
				entries[cacheKey{SHA256, fmt.Sprintf("/data/set/d%03d/f%05d.bin", i/100, i)}] = e
			}
			data := encodeStatCache(entries)
			got, err := decodeStatCache(data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(entries, got, cmp.AllowUnexported(cacheKey{}, cacheEntry{})); diff != "" {
				t.Fatalf("decoded (-want +got):\n%s", diff)
			}
			allocs := testing.AllocsPerRun(5, func() {
				if _, err := decodeStatCache(data); err != nil {
					t.Fatal(err)
				}
			})
			// The map's own buckets are a few dozen allocations at most.
			if limit := float64(n) * 1.05; allocs > limit {
				t.Fatalf("decoding %d entries: %.0f allocations, want at most %.0f", n, allocs, limit)
			}
		})
	}
}
