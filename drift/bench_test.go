package drift

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/internal/stats"
)

// scipyPython is the interpreter with SciPy the comparison runs under.
const scipyPython = "/usr/bin/python3"

// benchData is 1,000,000 reference and 1,000,000 current values with a
// small shift, rounded to 6 decimals as the golden data is.
func benchData() (ref, cur []float64) {
	rng := rand.New(rand.NewPCG(1, 1000000))
	ref, cur = make([]float64, 1_000_000), make([]float64, 1_000_000)
	for i := range ref {
		ref[i] = math.Round(rng.NormFloat64()*1e6) / 1e6
		cur[i] = math.Round((0.006+rng.NormFloat64())*1e6) / 1e6
	}
	return ref, cur
}

// sciPyServer is bench_scipy.py in serve mode, holding the data: each
// call runs one operation once in that process.
type sciPyServer struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

type sciPyRun struct {
	Seconds     float64 `json:"seconds"`
	KSStatistic float64 `json:"ks_statistic"`
	KSPValue    float64 `json:"ks_pvalue"`
	PSI         float64 `json:"psi"`
}

// startSciPy starts SciPy on the same data, or says why it cannot.
func startSciPy(b *testing.B, ref, cur []float64) (*sciPyServer, bool) {
	b.Helper()
	if err := exec.Command(scipyPython, "-c", "import scipy").Run(); err != nil {
		b.Logf("SciPy comparison not run: %s cannot import scipy (%v); install Debian's python3-scipy to measure the ratio", scipyPython, err)
		return nil, false
	}
	dir := b.TempDir()
	write := func(name string, x []float64) string {
		buf := make([]byte, 8*len(x))
		for i, v := range x {
			binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(v))
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, buf, 0o600); err != nil {
			b.Fatal(err)
		}
		return p
	}
	cmd := exec.Command(scipyPython, "testdata/bench_scipy.py", write("ref.f64", ref), write("cur.f64", cur), "serve")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	s := &sciPyServer{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	b.Cleanup(func() { in.Close(); cmd.Wait() })
	return s, true
}

func (s *sciPyServer) run(b *testing.B, op string) sciPyRun {
	b.Helper()
	if _, err := fmt.Fprintln(s.in, op); err != nil {
		b.Fatal(err)
	}
	if !s.out.Scan() {
		b.Fatalf("bench_scipy.py: no answer to %s: %v", op, s.out.Err())
	}
	var r sciPyRun
	if err := json.Unmarshal(s.out.Bytes(), &r); err != nil {
		b.Fatalf("bench_scipy.py output %q: %v", s.out.Bytes(), err)
	}
	return r
}

// pairedRounds is how many times each comparison runs Go then SciPy, one
// after the other, after the Go benchmark loop.
const pairedRounds = 7

// alternate times goOp and SciPy's op alternately, pairedRounds times
// each, and reports the ratio SciPy/Go of the minima and of the medians.
func alternate(b *testing.B, sp *sciPyServer, op, unit string, goOp func()) sciPyRun {
	b.Helper()
	var goT, pyT []float64
	var last sciPyRun
	for range pairedRounds {
		t0 := time.Now()
		goOp()
		goT = append(goT, time.Since(t0).Seconds())
		last = sp.run(b, op)
		pyT = append(pyT, last.Seconds)
	}
	slices.Sort(goT)
	slices.Sort(pyT)
	minR, medR := pyT[0]/goT[0], pyT[len(pyT)/2]/goT[len(goT)/2]
	b.ReportMetric(minR, unit+"-min")
	b.ReportMetric(medR, unit+"-median")
	b.Logf("%s 1M vs 1M, %d alternated rounds: Go min %v median %v; SciPy min %v median %v; ratio of minima %.1fx, of medians %.1fx",
		op, pairedRounds, dur(goT[0]), dur(goT[len(goT)/2]), dur(pyT[0]), dur(pyT[len(pyT)/2]), minR, medR)
	return last
}

func dur(s float64) time.Duration { return time.Duration(s * 1e9).Round(time.Microsecond) }

// BenchmarkKS1M runs the two-sample KS test on 1,000,000 vs 1,000,000
// values (asymptotic p-value, as SciPy's auto picks at this size), then
// runs it and scipy.stats.ks_2samp on the same data alternately, checks
// the answers agree and reports SciPy's time over ours.
func BenchmarkKS1M(b *testing.B) {
	ref, cur := benchData()
	var r stats.KSResult
	ks := func() {
		var err error
		if r, err = stats.KolmogorovSmirnov(ref, cur, stats.KSAuto); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		ks()
	}
	sp, ok := startSciPy(b, ref, cur)
	if !ok {
		return
	}
	got := alternate(b, sp, "ks", "scipy/go", ks)
	if !near(r.D, goldenNumber(got.KSStatistic)) || !near(r.P, goldenNumber(got.KSPValue)) {
		b.Errorf("KS differs from SciPy: got D %v P %v, SciPy D %v P %v", r.D, r.P, got.KSStatistic, got.KSPValue)
	}
}

// BenchmarkPSI1M bins 1,000,000 vs 1,000,000 values at the reference's
// deciles and computes PSI, then does the same alternately with NumPy.
func BenchmarkPSI1M(b *testing.B) {
	ref, cur := benchData()
	var psi float64
	op := func() {
		_, rc, cc, err := Bin(ref, cur, DefaultBins)
		if err != nil {
			b.Fatal(err)
		}
		if psi, err = PSI(rc, cc); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		op()
	}
	sp, ok := startSciPy(b, ref, cur)
	if !ok {
		return
	}
	got := alternate(b, sp, "psi", "numpy/go", op)
	if !near(psi, goldenNumber(got.PSI)) {
		b.Errorf("PSI differs from NumPy: got %v, NumPy %v", psi, got.PSI)
	}
}

// BenchmarkProfileCompare1M compares 1,000,000 current values with a
// persisted profile of 1,000,000 reference values (the reference is
// profiled once, outside the loop) using the default method.
func BenchmarkProfileCompare1M(b *testing.B) {
	ref, cur := benchData()
	p, err := Fit(Data{Numeric: map[string][]float64{"x": ref}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	data := Data{Numeric: map[string][]float64{"x": cur}}
	for b.Loop() {
		if _, err := p.Compare(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAtomicAdd is the floor Observe is measured against: one atomic
// increment on this machine.
func BenchmarkAtomicAdd(b *testing.B) {
	p := streamProfile(b)
	s, _ := NewStream(p, "x", nil)
	for b.Loop() {
		s.next.Add(1)
	}
}

// BenchmarkFit1M profiles one numeric column of 1,000,000 values with the
// default options (bins, moments and a 20,000-value sample).
func BenchmarkFit1M(b *testing.B) {
	ref, _ := benchData()
	data := Data{Numeric: map[string][]float64{"x": ref}}
	for b.Loop() {
		if _, err := Fit(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMerge merges two profiles of one numeric column of 1,000,000
// values each (a 20,000-value sample apiece) and a categorical column, as
// a combine step merges shards.
func BenchmarkMerge(b *testing.B) {
	ref, cur := benchData()
	cats := make([]string, 10000)
	for i := range cats {
		cats[i] = string(rune('a' + i%26))
	}
	fit := func(x []float64, edges map[string][]float64) *Profile {
		p, err := Fit(Data{Numeric: map[string][]float64{"x": x}, Categorical: map[string][]string{"c": cats}}, &FitOptions{Edges: edges})
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	p := fit(ref, nil)
	q := fit(cur, p.Edges())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Merge(p, q); err != nil {
			b.Fatal(err)
		}
	}
}
