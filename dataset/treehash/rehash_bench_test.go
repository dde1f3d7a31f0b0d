//go:build unix

package treehash

import (
	"path/filepath"
	"testing"
)

// BenchmarkRehashTiny times only the re-hash of 20,000 unchanged files of
// 2 to 6 KiB through a warm stat cache, for profiling the unchanged path.
func BenchmarkRehashTiny(b *testing.B) {
	dir, paths, _ := benchTree(b, 20000, 4<<10, true)
	cache, err := NewCache(&CacheOptions{Path: filepath.Join(b.TempDir(), "cache")})
	if err != nil {
		b.Fatal(err)
	}
	h := newHasher(b, &Options{Cache: cache})
	if _, err := h.HashDir(b.Context(), dir); err != nil {
		b.Fatal(err)
	}
	cpu := cpuTime(b)
	for b.Loop() {
		m, err := h.HashDir(b.Context(), dir)
		if err != nil || len(m) != len(paths) {
			b.Fatalf("re-hash: %v", err)
		}
	}
	// CPU time per file, which other jobs on the machine disturb less
	// than wall-clock time.
	b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/float64(b.N*len(paths)), "cpu-µs/file")
}
