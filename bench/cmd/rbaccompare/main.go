// Command rbaccompare measures an authorization decision by Sextant's
// compiled rbac index and by Casbin v2 on the same policy shapes and
// requests, in one process, and prints the ratios.
//
// Two figures per engine: wall time per decision (testing.Benchmark, the
// fastest of several alternating rounds) and CPU time per decision (the
// calling thread's user+system time over a timed loop). On a shared machine
// the CPU figure is the one less disturbed by other processes; Casbin's
// garbage collection on other threads is not counted in it, which favours
// Casbin.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/bench"
)

var (
	rounds  = flag.Int("rounds", 5, "rounds per engine and shape; the fastest is reported")
	cpuTime = flag.Duration("cputime", 300*time.Millisecond, "CPU time to spend per engine and shape for the CPU figure")
)

func ns(r testing.BenchmarkResult) float64 { return float64(r.T.Nanoseconds()) / float64(r.N) }

// cpuPerOp runs op in a loop on one locked thread until it has used at
// least *cpuTime of CPU, and returns the CPU nanoseconds per call.
func cpuPerOp(op func(i int)) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for n := 16; ; n *= 2 {
		start, ok := threadCPU()
		if !ok {
			return math.NaN()
		}
		for i := range n {
			op(i)
		}
		end, _ := threadCPU()
		if used := end - start; used >= *cpuTime || n >= 1<<30 {
			return float64(used.Nanoseconds()) / float64(n)
		}
	}
}

func main() {
	flag.Parse()
	fmt.Println("per decision: wall time (fastest round) and CPU time of the deciding thread; allocs sextant/casbin")
	fmt.Printf("%-10s %7s | %10s %12s %8s | %10s %12s %8s | %s\n",
		"shape", "lines", "wall", "wall casbin", "ratio", "cpu", "cpu casbin", "ratio", "allocs")
	for _, c := range bench.Cases(true) {
		a, err := c.Sextant()
		if err != nil {
			fail(err)
		}
		e, err := c.Casbin()
		if err != nil {
			fail(err)
		}
		if err := c.Check(a, e); err != nil {
			fail(err)
		}
		// Alternate the two engines and keep each one's fastest round: on
		// a shared machine the minimum is the least disturbed figure.
		var s, k testing.BenchmarkResult
		sNs, kNs := math.Inf(1), math.Inf(1)
		for range *rounds {
			runtime.GC()
			r := testing.Benchmark(func(b *testing.B) { c.BenchSextant(b, a) })
			if v := ns(r); v < sNs {
				s, sNs = r, v
			}
			runtime.GC()
			r = testing.Benchmark(func(b *testing.B) { c.BenchCasbin(b, e) })
			if v := ns(r); v < kNs {
				k, kNs = r, v
			}
		}
		reqs := c.Requests
		sCPU := cpuPerOp(func(i int) {
			r := &reqs[i%len(reqs)]
			a.Decide(r.Subject, r.Verb, r.Resource, r.Scope, r.Name)
		})
		kCPU := cpuPerOp(func(i int) {
			r := &reqs[i%len(reqs)]
			_, _ = e.Enforce(r.Subject.Name, r.Name, r.Verb)
		})
		fmt.Printf("%-10s %7d | %7.0f ns %9.0f ns %7.0fx | %7.0f ns %9.0f ns %7.0fx | %d/%d\n",
			c.Name, len(c.P)+len(c.G), sNs, kNs, kNs/sNs, sCPU, kCPU, kCPU/sCPU, s.AllocsPerOp(), k.AllocsPerOp())
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rbaccompare:", err)
	os.Exit(1)
}
