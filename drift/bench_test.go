package drift

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
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

type scipyTimes struct {
	SciPy       string  `json:"scipy"`
	NumPy       string  `json:"numpy"`
	KSSeconds   float64 `json:"ks_seconds"`
	KSStatistic float64 `json:"ks_statistic"`
	KSPValue    float64 `json:"ks_pvalue"`
	PSISeconds  float64 `json:"psi_seconds"`
	PSI         float64 `json:"psi"`
}

// runSciPy times SciPy on the same data, or says why it cannot.
func runSciPy(b *testing.B, ref, cur []float64) (scipyTimes, bool) {
	b.Helper()
	var out scipyTimes
	if err := exec.Command(scipyPython, "-c", "import scipy").Run(); err != nil {
		b.Logf("SciPy comparison not run: %s cannot import scipy (%v); install Debian's python3-scipy to measure the ratio", scipyPython, err)
		return out, false
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
	cmd := exec.Command(scipyPython, "testdata/bench_scipy.py", write("ref.f64", ref), write("cur.f64", cur), "3")
	cmd.Stderr = os.Stderr
	raw, err := cmd.Output()
	if err != nil {
		b.Fatalf("bench_scipy.py: %v", err)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		b.Fatalf("bench_scipy.py output %q: %v", raw, err)
	}
	return out, true
}

func perOp(b *testing.B) time.Duration { return b.Elapsed() / time.Duration(b.N) }

// BenchmarkKS1M runs the two-sample KS test on 1,000,000 vs 1,000,000
// values (asymptotic p-value, as SciPy's auto picks at this size), then
// times scipy.stats.ks_2samp on the same data, checks the answers agree
// and reports SciPy's time over ours.
func BenchmarkKS1M(b *testing.B) {
	ref, cur := benchData()
	var r stats.KSResult
	for b.Loop() {
		var err error
		if r, err = stats.KolmogorovSmirnov(ref, cur, stats.KSAuto); err != nil {
			b.Fatal(err)
		}
	}
	goTime := perOp(b)
	sp, ok := runSciPy(b, ref, cur)
	if !ok {
		return
	}
	if !near(r.D, goldenNumber(sp.KSStatistic)) || !near(r.P, goldenNumber(sp.KSPValue)) {
		b.Errorf("KS differs from SciPy: got D %v P %v, SciPy D %v P %v", r.D, r.P, sp.KSStatistic, sp.KSPValue)
	}
	ratio := sp.KSSeconds / goTime.Seconds()
	b.ReportMetric(ratio, "scipy/go")
	b.Logf("KS 1M vs 1M: Go %v, SciPy %s %v, SciPy/Go %.1fx; D %.6g p %.6g (both)", goTime, sp.SciPy, time.Duration(sp.KSSeconds*1e9), ratio, r.D, r.P)
}

// BenchmarkPSI1M bins 1,000,000 vs 1,000,000 values at the reference's
// deciles and computes PSI, then does the same with NumPy.
func BenchmarkPSI1M(b *testing.B) {
	ref, cur := benchData()
	var psi float64
	for b.Loop() {
		_, rc, cc, err := Bin(ref, cur, DefaultBins)
		if err != nil {
			b.Fatal(err)
		}
		if psi, err = PSI(rc, cc); err != nil {
			b.Fatal(err)
		}
	}
	goTime := perOp(b)
	sp, ok := runSciPy(b, ref, cur)
	if !ok {
		return
	}
	if !near(psi, goldenNumber(sp.PSI)) {
		b.Errorf("PSI differs from NumPy: got %v, NumPy %v", psi, sp.PSI)
	}
	ratio := sp.PSISeconds / goTime.Seconds()
	b.ReportMetric(ratio, "numpy/go")
	b.Logf("PSI 1M vs 1M: Go %v, NumPy %s %v, NumPy/Go %.1fx; PSI %.6g (both)", goTime, sp.NumPy, time.Duration(sp.PSISeconds*1e9), ratio, psi)
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
