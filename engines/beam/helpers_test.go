package beam_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sextant-ml/sextant/drift"
	sbeam "github.com/sextant-ml/sextant/engines/beam"
)

// TestMain runs the pipelines on Beam's prism runner, in this process
// (ptest's default; its workers use the loopback environment).
func TestMain(m *testing.M) { ptest.Main(m) }

// collected holds what collectFn saw, by key. Prism runs the workers in
// this process, so a DoFn can hand its input back to the test here.
var collected sync.Map // string -> []*drift.Profile

var collectMu sync.Mutex

type collectFn struct{ Key string }

func (f *collectFn) ProcessElement(p *drift.Profile) {
	collectMu.Lock()
	defer collectMu.Unlock()
	old, _ := collected.Load(f.Key)
	ps, _ := old.([]*drift.Profile)
	collected.Store(f.Key, append(ps, p))
}

func init() { register.DoFn1x0[*drift.Profile](&collectFn{}) }

// run builds a pipeline with build, collects the profiles it returns
// and runs it on prism.
func run(t *testing.T, build func(s beam.Scope) beam.PCollection) ([]*drift.Profile, error) {
	t.Helper()
	p, s := beam.NewPipelineWithRoot()
	beam.ParDo0(s, &collectFn{Key: t.Name()}, build(s))
	collected.Delete(t.Name())
	err := ptest.Run(p)
	got, _ := collected.Load(t.Name())
	ps, _ := got.([]*drift.Profile)
	return ps, err
}

// runOne runs the pipeline and wants exactly one profile out.
func runOne(t *testing.T, build func(s beam.Scope) beam.PCollection) *drift.Profile {
	t.Helper()
	ps, err := run(t, build)
	if err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	if len(ps) != 1 {
		t.Fatalf("pipeline gave %d profiles, want 1", len(ps))
	}
	return ps[0]
}

// shards puts rows into n PCollections of their own (each a Create, so a
// bundle of its own on prism) and flattens them, so the combine has n
// partial accumulators to encode and merge at least.
func shards(s beam.Scope, rows []sbeam.Row, n int) beam.PCollection {
	var cols []beam.PCollection
	for i := range n {
		lo, hi := i*len(rows)/n, (i+1)*len(rows)/n
		if lo == hi {
			continue
		}
		cols = append(cols, beam.CreateList(s, rows[lo:hi]))
	}
	return beam.Flatten(s, cols...)
}

// momentTol is the relative tolerance on Mean and M2: merging partial
// moments (Chan et al.) and adding values one by one (Welford) round
// differently. Everything else must be equal exactly.
const momentTol = 1e-9

// profileOpts compares profiles exactly except Mean and M2, which are
// compared to momentTol.
var profileOpts = cmp.Options{
	cmp.FilterPath(func(p cmp.Path) bool {
		if sf, ok := p.Last().(cmp.StructField); ok {
			return sf.Name() == "Mean" || sf.Name() == "M2"
		}
		return false
	}, cmpopts.EquateApprox(momentTol, 0)),
}

// rows makes n records: "x" numeric on a grid (few distinct values),
// "y" continuous, "z" with NaN and ±Inf, "sparse" in every third row
// only, "region" categorical with empty values and "tier" categorical.
func rows(n int, seed uint64, shift float64) []sbeam.Row {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	regions := []string{"eu", "us", "apac", ""}
	out := make([]sbeam.Row, n)
	for i := range out {
		z := rng.NormFloat64() + shift
		switch i % 97 {
		case 3:
			z = math.NaN()
		case 50:
			z = math.Inf(1 - 2*(i%2))
		}
		r := sbeam.Row{
			Num: map[string]float64{
				"x": math.Round((rng.NormFloat64()+shift)*20) / 10,
				"y": rng.ExpFloat64()*100 + shift*50,
				"z": z,
			},
			Cat: map[string]string{
				"region": regions[rng.IntN(len(regions))],
				"tier":   fmt.Sprint("t", rng.IntN(3+int(shift))),
			},
		}
		if i%3 == 0 {
			r.Num["sparse"] = float64(rng.IntN(1000)) + shift*300
		}
		out[i] = r
	}
	return out
}
