package beam

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/sextant-ml/sextant/drift"
)

// FitProfile fits a drift profile over rows, a PCollection of Row, and
// returns a PCollection holding that one *drift.Profile (in the global
// window; FitProfile is for bounded data). opts are drift.Fit's (nil for
// the defaults) and are copied.
//
// Numeric columns whose edges opts.Edges does not give are cut at
// quantiles taken from the data, which needs two passes over rows: the
// first (ProfileFn's combine with one bin per such column) collects
// counts, moments and the sample, the edges are cut from the sample with
// drift.QuantileEdgesCounted, and the second counts the rows into those
// bins. Beam reads rows twice; materialize an expensive source first
// (beam.Reshuffle) if reading it twice costs more than storing it.
//
// The profile fails to fit, and the pipeline with it, where drift.Fit
// fails on the same rows (see Data): drift.ErrEmpty for no rows or a
// column without a usable value, drift.ErrInvalid for a column both
// numeric and categorical, drift.ErrUnknownColumn for edges of a column
// that is not numeric.
func FitProfile(s beam.Scope, rows beam.PCollection, opts *drift.FitOptions) beam.PCollection {
	s = s.Scope("sextant.FitProfile")
	var o drift.FitOptions
	if opts != nil {
		o = *opts
		o.Edges = make(map[string][]float64, len(opts.Edges))
		for k, e := range opts.Edges {
			o.Edges[k] = slices.Clone(e)
		}
	}
	// One empty row, which counts for nothing, so that the combine emits
	// (and fails with ErrEmpty) on empty input instead of emitting nothing.
	rows = beam.Flatten(s, rows, beam.Create(s, Row{}))
	sketch := beam.Combine(s, &sketchFn{Options: o}, rows)
	edges := beam.ParDo(s, &edgesFn{Options: o}, sketch)
	binned := beam.ParDo(s, binRow, rows, beam.SideInput{Input: edges})
	binned = beam.Flatten(s, binned, beam.Create(s, binnedRow{}))
	counts := beam.Combine(s, &binCountFn{}, binned)
	return beam.ParDo(s, assemble, sketch, beam.SideInput{Input: edges}, beam.SideInput{Input: counts})
}

// binEdges are the bin edges cut from the first pass, for the numeric
// columns whose edges were not given.
type binEdges struct {
	Edges map[string][]float64
}

// binnedRow is a row's bin per numeric column of binEdges, finite values
// only.
type binnedRow struct {
	Bins map[string]int
}

// binCounts counts rows per bin per numeric column of binEdges.
type binCounts struct {
	Counts map[string][]int64
}

// edgesFn cuts each numeric column of the first pass whose edges were not
// given at the quantiles of its sample, as drift.Fit cuts the column
// itself (exactly so while the sample is complete).
type edgesFn struct {
	Options drift.FitOptions
}

func (f *edgesFn) ProcessElement(p *drift.Profile) (binEdges, error) {
	out := binEdges{Edges: map[string][]float64{}}
	for _, c := range p.Columns {
		if c.Numeric == nil {
			continue
		}
		if _, given := f.Options.Edges[c.Name]; given {
			continue
		}
		e := drift.QuantileEdgesCounted(c.Numeric.Values, c.Numeric.Counts, p.Bins)
		if e == nil {
			return binEdges{}, fmt.Errorf("beam: %w: column %q: no quantiles in its sample", drift.ErrCorrupt, c.Name)
		}
		out.Edges[c.Name] = e
	}
	return out, nil
}

// binRow maps a row to its bins for the second pass.
func binRow(r Row, e binEdges, emit func(binnedRow)) {
	var b binnedRow
	for name, edges := range e.Edges {
		v, ok := r.Num[name]
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		if b.Bins == nil {
			b.Bins = make(map[string]int, len(e.Edges))
		}
		b.Bins[name] = drift.BinIndex(edges, v)
	}
	if b.Bins != nil {
		emit(b)
	}
}

// binCountFn sums binnedRows into binCounts; integer sums, so exact in
// any order.
type binCountFn struct{}

func (binCountFn) CreateAccumulator() binCounts { return binCounts{Counts: map[string][]int64{}} }

func (binCountFn) AddInput(a binCounts, r binnedRow) binCounts {
	if a.Counts == nil {
		a.Counts = map[string][]int64{}
	}
	for name, i := range r.Bins {
		c := a.Counts[name]
		if len(c) <= i {
			c = append(c, make([]int64, i+1-len(c))...)
		}
		c[i]++
		a.Counts[name] = c
	}
	return a
}

func (binCountFn) MergeAccumulators(a, b binCounts) binCounts {
	if a.Counts == nil {
		a.Counts = map[string][]int64{}
	}
	for name, bc := range b.Counts {
		c := a.Counts[name]
		if len(c) < len(bc) {
			c = append(c, make([]int64, len(bc)-len(c))...)
		}
		for i, n := range bc {
			c[i] += n
		}
		a.Counts[name] = c
	}
	return a
}

func (binCountFn) ExtractOutput(a binCounts) binCounts { return a }

// assemble puts the edges and bin counts of the second pass into the
// profile of the first, and validates the result by a round trip through
// drift's encoding.
func assemble(sketch *drift.Profile, e binEdges, c binCounts) (*drift.Profile, error) {
	b, err := json.Marshal(sketch)
	if err != nil {
		return nil, fmt.Errorf("beam: encode profile: %w", err)
	}
	p, err := drift.Parse(b) // a copy: never modify an element in place
	if err != nil {
		return nil, fmt.Errorf("beam: %w", err)
	}
	for _, name := range slices.Sorted(maps.Keys(e.Edges)) {
		col, err := p.Column(name)
		if err != nil || col.Numeric == nil {
			return nil, fmt.Errorf("beam: %w: binned column %q is not a numeric column of the profile", drift.ErrCorrupt, name)
		}
		counts := make([]int64, len(e.Edges[name])+1)
		if len(c.Counts[name]) > len(counts) {
			return nil, fmt.Errorf("beam: %w: column %q: %d bins counted for %d edges", drift.ErrCorrupt, name, len(c.Counts[name]), len(e.Edges[name]))
		}
		copy(counts, c.Counts[name])
		col.Numeric.Edges = e.Edges[name]
		col.Numeric.BinCounts = counts
	}
	if b, err = json.Marshal(p); err != nil {
		return nil, fmt.Errorf("beam: encode profile: %w", err)
	}
	out, err := drift.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("beam: assemble profile: %w", err)
	}
	return out, nil
}

// encodeProfile and decodeProfile are the Beam coder of *drift.Profile:
// drift's JSON encoding, validated by drift.Parse on the way in.
func encodeProfile(p *drift.Profile) ([]byte, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("beam: encode profile: %w", err)
	}
	return b, nil
}

func decodeProfile(b []byte) (*drift.Profile, error) {
	p, err := drift.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("beam: decode profile: %w", err)
	}
	return p, nil
}
