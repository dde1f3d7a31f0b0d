//go:build unix

package treehash

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the user and system CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchTree writes n files of size bytes each (sizes vary by ±50% when
// vary is set) under a fresh directory, with modification times an hour
// old so the stat cache trusts them, and returns the directory, the file
// paths and the total size.
func benchTree(b *testing.B, n, size int, vary bool) (string, []string, int64) {
	b.Helper()
	dir := b.TempDir()
	rng := rand.NewChaCha8([32]byte{1})
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 2*size)
	var paths []string
	var total int64
	old := time.Now().Add(-time.Hour)
	for i := range n {
		sz := size
		if vary {
			sz = size/2 + r.IntN(size)
		}
		rng.Read(buf[:sz])
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%100), fmt.Sprintf("f%06d.bin", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, buf[:sz], 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
		total += int64(sz)
	}
	return dir, paths, total
}

// sha256sumFiles runs sha256sum over paths, in batches that fit a command
// line, and returns how many digests it printed.
func sha256sumFiles(b *testing.B, paths []string) int {
	n := 0
	for i := 0; i < len(paths); i += 2000 {
		out, err := exec.Command("sha256sum", paths[i:min(i+2000, len(paths))]...).Output()
		if err != nil {
			b.Fatal(err)
		}
		n += strings.Count(string(out), "\n")
	}
	return n
}

// benchHashTree measures, in each iteration and so in one run, our
// parallel hashing, sha256sum over the same files, crypto/sha256 on one
// core over the same number of bytes in memory, and a re-hash of the
// unchanged tree through a warm stat cache. It reports MB/s of each, the
// ratios the design asks for, and the CPU efficiency (CPU time per byte of
// single-core crypto/sha256 over ours), which tells what the wall-clock
// ratios would be on otherwise idle cores.
func benchHashTree(b *testing.B, dir string, paths []string, total int64, chunk int) {
	ctx := b.Context()
	plain := newHasher(b, nil)
	cache, err := NewCache(&CacheOptions{Path: filepath.Join(b.TempDir(), "cache")})
	if err != nil {
		b.Fatal(err)
	}
	cached := newHasher(b, &Options{Cache: cache})
	if _, err := cached.HashDir(ctx, dir); err != nil { // warms the page cache and the stat cache
		b.Fatal(err)
	}
	mem := make([]byte, chunk)
	rand.NewChaCha8([32]byte{2}).Read(mem)
	var tOurs, tSum, tOne, tRe, cpuOurs, cpuOne, cpuRe time.Duration
	for b.Loop() {
		start, cpu := time.Now(), cpuTime(b)
		m, err := plain.HashDir(ctx, dir)
		if err != nil || len(m) != len(paths) {
			b.Fatalf("hash: %v", err)
		}
		tOurs += time.Since(start)
		cpuOurs += cpuTime(b) - cpu

		start = time.Now()
		if n := sha256sumFiles(b, paths); n != len(paths) {
			b.Fatalf("sha256sum printed %d digests for %d files", n, len(paths))
		}
		tSum += time.Since(start)

		start, cpu = time.Now(), cpuTime(b)
		for done := int64(0); done < total; done += int64(chunk) {
			sha256.Sum256(mem[:min(int64(chunk), total-done)])
		}
		tOne += time.Since(start)
		cpuOne += cpuTime(b) - cpu

		start, cpu = time.Now(), cpuTime(b)
		var last Progress
		re := newHasher(b, &Options{Cache: cache, Progress: func(p Progress) { last = p }})
		if _, err := re.HashDir(ctx, dir); err != nil {
			b.Fatal(err)
		}
		if last.FilesCached != len(paths) {
			b.Fatalf("re-hash read %d files", len(paths)-last.FilesCached)
		}
		tRe += time.Since(start)
		cpuRe += cpuTime(b) - cpu
	}
	mbps := func(d time.Duration) float64 { return float64(total) * float64(b.N) / d.Seconds() / 1e6 }
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(mbps(tOurs), "MB/s")
	b.ReportMetric(mbps(tSum), "sha256sum-MB/s")
	b.ReportMetric(mbps(tOne), "1core-MB/s")
	b.ReportMetric(tOne.Seconds()/tOurs.Seconds(), "x-1core")
	b.ReportMetric(tOne.Seconds()/tOurs.Seconds()/float64(runtime.GOMAXPROCS(0)), "x-cores*1core")
	b.ReportMetric(tSum.Seconds()/tOurs.Seconds(), "x-sha256sum")
	b.ReportMetric(tOurs.Seconds()/tRe.Seconds(), "x-rehash")
	// The same ratio in CPU time, which other jobs on the machine disturb
	// less than wall-clock time.
	b.ReportMetric(cpuOurs.Seconds()/cpuRe.Seconds(), "x-rehash-cpu")
	// CPU time per byte of crypto/sha256 over ours: how much of each core
	// our workers spend hashing, whatever else the machine is running.
	b.ReportMetric(cpuOne.Seconds()/cpuOurs.Seconds(), "cpu-efficiency")
}

// BenchmarkHashLarge: 1 GiB in 8 files of 128 MiB.
func BenchmarkHashLarge(b *testing.B) {
	dir, paths, total := benchTree(b, 8, 128<<20, false)
	benchHashTree(b, dir, paths, total, 128<<20)
}

// BenchmarkHashSmall: 20,000 files of 16 to 48 KiB (images, JSON
// documents), 625 MiB in all.
func BenchmarkHashSmall(b *testing.B) {
	dir, paths, total := benchTree(b, 20000, 32<<10, true)
	benchHashTree(b, dir, paths, total, 32<<10)
}

// BenchmarkHashTiny: 20,000 files of 2 to 6 KiB, where every pass is bound
// by per-file system calls rather than hashing.
func BenchmarkHashTiny(b *testing.B) {
	dir, paths, total := benchTree(b, 20000, 4<<10, true)
	benchHashTree(b, dir, paths, total, 4<<10)
}

// BenchmarkSparseMultiGiB hashes a 5 GiB sparse file (past 32-bit sizes)
// with data at both ends and checks the digest against sha256sum.
func BenchmarkSparseMultiGiB(b *testing.B) {
	p := filepath.Join(b.TempDir(), "sparse")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	const size = 5<<30 + 7
	f.Write([]byte("start"))
	f.Truncate(size - 3)
	f.WriteAt([]byte("end"), size-3)
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	want := coreutilsSum(b, SHA256, p)
	h := newHasher(b, nil)
	b.SetBytes(size)
	for b.Loop() {
		e, err := h.HashFile(b.Context(), p)
		if err != nil {
			b.Fatal(err)
		}
		if e.Sum.String() != want || e.Size != size {
			b.Fatalf("digest %s size %d, sha256sum says %s", e.Sum, e.Size, want)
		}
	}
}
