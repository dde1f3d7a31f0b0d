package beam

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/sextant-ml/sextant/drift"
)

// flushRows is how many rows an accumulator buffers before it fits them
// into its partial profile, so that each fit and merge covers many rows.
// The buffer holds flushRows rows: 8 bytes per numeric value and the
// strings of the categorical ones.
const flushRows = 1 << 14

// ProfileFn is a Beam CombineFn from Row to *drift.Profile that fits the
// profile in one pass: its accumulator is a partial profile (see
// Accumulator), AddInput adds a row, MergeAccumulators merges two partial
// profiles with drift.Merge and ExtractOutput returns the profile of every
// row added. Use it as beam.Combine(s, &ProfileFn{Options: opts}, rows)
// when Options.Edges gives the bin edges of every numeric column, for
// example from a profile fitted earlier (drift.Profile.Edges); a numeric
// column without edges fails the pipeline with drift.ErrUnknownColumn.
// FitProfile needs no edges: it takes them from the data, in two passes.
//
// Options are those of drift.Fit and are sent to the workers with the
// pipeline (Beam encodes the exported fields of a CombineFn as JSON).
type ProfileFn struct {
	Options drift.FitOptions
}

// CreateAccumulator returns an empty partial profile.
func (f *ProfileFn) CreateAccumulator() *Accumulator { return newAccumulator(&f.Options, false) }

// AddInput adds one row.
func (f *ProfileFn) AddInput(a *Accumulator, r Row) (*Accumulator, error) {
	return a.attach(&f.Options, false).add(r)
}

// MergeAccumulators merges b into a.
func (f *ProfileFn) MergeAccumulators(a, b *Accumulator) (*Accumulator, error) {
	return a.attach(&f.Options, false).merge(b.attach(&f.Options, false))
}

// ExtractOutput returns the profile of every row added, or the error
// drift.Fit would give on the same rows (drift.ErrEmpty for no columns or
// a column without a usable value, for example).
func (f *ProfileFn) ExtractOutput(a *Accumulator) (*drift.Profile, error) {
	return a.attach(&f.Options, false).profile()
}

// sketchFn is the first pass of FitProfile: ProfileFn with one bin for
// every numeric column whose edges are not given, so that the pass
// collects counts, moments and the sample from which the edges are cut.
type sketchFn struct {
	Options drift.FitOptions
}

func (f *sketchFn) CreateAccumulator() *Accumulator { return newAccumulator(&f.Options, true) }

func (f *sketchFn) AddInput(a *Accumulator, r Row) (*Accumulator, error) {
	return a.attach(&f.Options, true).add(r)
}

func (f *sketchFn) MergeAccumulators(a, b *Accumulator) (*Accumulator, error) {
	return a.attach(&f.Options, true).merge(b.attach(&f.Options, true))
}

func (f *sketchFn) ExtractOutput(a *Accumulator) (*drift.Profile, error) {
	return a.attach(&f.Options, true).profile()
}

// Accumulator is ProfileFn's accumulator: the partial profile of the rows
// added so far. It holds the drift profile of every column that has had a
// usable value, the counts of columns that have had only missing values
// (a drift profile cannot hold those yet), and a buffer of up to flushRows
// (16,384) rows not yet fitted. Its coder (registered with Beam by this
// package) fits the buffer and writes the partial profile in drift's own
// JSON encoding, which drift.Parse validates when it is read back, so
// accumulators can cross workers on distributed runners.
//
// An Accumulator is not safe for concurrent use; Beam never shares one.
type Accumulator struct {
	opts      *drift.FitOptions
	deferBins bool

	header  *drift.Profile // settings of the fitted columns; nil before any
	cols    map[string]drift.ColumnProfile
	dropped map[string]droppedColumn

	// The buffer, by column. Each slice is kept, emptied, after a flush,
	// so that the next rows neither grow it again nor assign to the map;
	// a column absent from a whole buffer of rows loses its slice.
	num     map[string]*[]float64
	cat     map[string]*[]string
	pending int
}

// droppedColumn counts the values of a column that has had no usable one.
type droppedColumn struct {
	Kind drift.Kind `json:"kind"`
	Rows int64      `json:"rows"`
	NaN  int64      `json:"nan"`
	Inf  int64      `json:"inf"`
}

// accumulatorJSON is the encoded form of an Accumulator.
type accumulatorJSON struct {
	// Profile holds the fitted columns, as drift encodes a profile.
	Profile *drift.Profile `json:"profile,omitempty"`
	// Dropped holds the columns without a usable value so far.
	Dropped map[string]droppedColumn `json:"dropped,omitempty"`
}

func newAccumulator(opts *drift.FitOptions, deferBins bool) *Accumulator {
	return &Accumulator{opts: opts, deferBins: deferBins}
}

// attach gives a decoded accumulator the options of the CombineFn whose
// method received it, so that later rows can be fitted.
func (a *Accumulator) attach(opts *drift.FitOptions, deferBins bool) *Accumulator {
	if a.opts == nil {
		a.opts, a.deferBins = opts, deferBins
	}
	return a
}

func (a *Accumulator) add(r Row) (*Accumulator, error) {
	if a.num == nil {
		a.num, a.cat = map[string]*[]float64{}, map[string]*[]string{}
	}
	for k, v := range r.Num {
		if _, dup := r.Cat[k]; dup {
			return a, fmt.Errorf("beam: %w: column %q is both numeric and categorical in one row", drift.ErrInvalid, k)
		}
		buffer(a.num, k, v)
	}
	for k, v := range r.Cat {
		buffer(a.cat, k, v)
	}
	if len(r.Num) > 0 || len(r.Cat) > 0 {
		a.pending++
	}
	if a.pending >= flushRows {
		if err := a.flush(); err != nil {
			return a, err
		}
	}
	return a, nil
}

// buffer appends v to column k of a buffer.
func buffer[T any](cols map[string]*[]T, k string, v T) {
	c := cols[k]
	if c == nil {
		c = new([]T)
		cols[k] = c
	}
	*c = append(*c, v)
}

// flush fits the buffered rows column by column and merges them in.
func (a *Accumulator) flush() error {
	if a.pending == 0 {
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(a.num)) {
		vals := *a.num[name]
		if len(vals) == 0 {
			delete(a.num, name) // absent for a whole buffer: let its slice go
			continue
		}
		if c := a.cat[name]; c != nil && len(*c) > 0 {
			return fmt.Errorf("beam: %w: column %q is both numeric and categorical", drift.ErrInvalid, name)
		}
		if err := a.fitNumeric(name, vals); err != nil {
			return err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(a.cat)) {
		vals := *a.cat[name]
		if len(vals) == 0 {
			delete(a.cat, name)
			continue
		}
		if err := a.fitCategorical(name, vals); err != nil {
			return err
		}
	}
	for _, c := range a.num {
		*c = (*c)[:0]
	}
	for _, c := range a.cat {
		clear(*c) // let the strings go
		*c = (*c)[:0]
	}
	a.pending = 0
	return nil
}

func (a *Accumulator) fitNumeric(name string, vals []float64) error {
	d := droppedColumn{Kind: drift.Numeric, Rows: int64(len(vals))}
	for _, v := range vals {
		switch {
		case math.IsNaN(v):
			d.NaN++
		case math.IsInf(v, 0):
			d.Inf++
		}
	}
	if d.NaN+d.Inf == d.Rows {
		return a.addDropped(name, d)
	}
	edges, ok := a.opts.Edges[name]
	if !ok {
		if !a.deferBins {
			return fmt.Errorf("beam: %w: numeric column %q has no bin edges in FitOptions.Edges (ProfileFn needs them; FitProfile takes them from the data)", drift.ErrUnknownColumn, name)
		}
		edges = []float64{}
	}
	p, err := drift.Fit(drift.Data{Numeric: map[string][]float64{name: vals}}, &drift.FitOptions{
		Bins: a.opts.Bins, SampleSize: a.opts.SampleSize, Seed: a.opts.Seed,
		Edges: map[string][]float64{name: edges},
	})
	if err != nil {
		return fmt.Errorf("beam: %w", err)
	}
	return a.addFitted(p, p.Columns[0])
}

func (a *Accumulator) fitCategorical(name string, vals []string) error {
	d := droppedColumn{Kind: drift.Categorical, Rows: int64(len(vals))}
	for _, v := range vals {
		if v == "" {
			d.NaN++
		}
	}
	if d.NaN == d.Rows {
		return a.addDropped(name, d)
	}
	p, err := drift.Fit(drift.Data{Categorical: map[string][]string{name: vals}}, &drift.FitOptions{
		Bins: a.opts.Bins, SampleSize: a.opts.SampleSize, Seed: a.opts.Seed,
	})
	if err != nil {
		return fmt.Errorf("beam: %w", err)
	}
	return a.addFitted(p, p.Columns[0])
}

// single wraps one column in a profile with the accumulator's settings.
func single(h *drift.Profile, c drift.ColumnProfile) *drift.Profile {
	return &drift.Profile{Version: h.Version, Bins: h.Bins, SampleSize: h.SampleSize, Seed: h.Seed, Columns: []drift.ColumnProfile{c}}
}

// addFitted merges column c, fitted with the settings of h, into a.
func (a *Accumulator) addFitted(h *drift.Profile, c drift.ColumnProfile) error {
	if a.header == nil {
		a.header = &drift.Profile{Version: h.Version, Bins: h.Bins, SampleSize: h.SampleSize, Seed: h.Seed}
	}
	if a.cols == nil {
		a.cols = map[string]drift.ColumnProfile{}
	}
	if d, ok := a.dropped[c.Name]; ok {
		if d.Kind != c.Kind {
			return kindConflict(c.Name)
		}
		c.Rows += d.Rows
		c.NaN += d.NaN
		c.Inf += d.Inf
		delete(a.dropped, c.Name)
	}
	old, ok := a.cols[c.Name]
	if !ok {
		a.cols[c.Name] = c
		return nil
	}
	if old.Kind != c.Kind {
		return kindConflict(c.Name)
	}
	m, err := drift.Merge(single(a.header, old), single(h, c))
	if err != nil {
		return fmt.Errorf("beam: %w", err)
	}
	a.cols[c.Name] = m.Columns[0]
	return nil
}

// addDropped adds the counts of values of a column none of which was
// usable.
func (a *Accumulator) addDropped(name string, d droppedColumn) error {
	if c, ok := a.cols[name]; ok {
		if c.Kind != d.Kind {
			return kindConflict(name)
		}
		c.Rows += d.Rows
		c.NaN += d.NaN
		c.Inf += d.Inf
		a.cols[name] = c
		return nil
	}
	if a.dropped == nil {
		a.dropped = map[string]droppedColumn{}
	}
	if old, ok := a.dropped[name]; ok {
		if old.Kind != d.Kind {
			return kindConflict(name)
		}
		d.Rows += old.Rows
		d.NaN += old.NaN
		d.Inf += old.Inf
	}
	a.dropped[name] = d
	return nil
}

func kindConflict(name string) error {
	return fmt.Errorf("beam: %w: column %q is numeric in some rows and categorical in others", drift.ErrInvalid, name)
}

// merge merges b into a; b must not be used afterwards.
func (a *Accumulator) merge(b *Accumulator) (*Accumulator, error) {
	if err := a.flush(); err != nil {
		return a, err
	}
	if err := b.flush(); err != nil {
		return a, err
	}
	for _, name := range slices.Sorted(maps.Keys(b.cols)) {
		if err := a.addFitted(b.header, b.cols[name]); err != nil {
			return a, err
		}
	}
	for _, name := range slices.Sorted(maps.Keys(b.dropped)) {
		if err := a.addDropped(name, b.dropped[name]); err != nil {
			return a, err
		}
	}
	return a, nil
}

// partial returns the fitted columns as one profile, nil if there are
// none; it shares memory with a.
func (a *Accumulator) partial() *drift.Profile {
	if len(a.cols) == 0 {
		return nil
	}
	p := *a.header
	for _, name := range slices.Sorted(maps.Keys(a.cols)) {
		p.Columns = append(p.Columns, a.cols[name])
	}
	return &p
}

// profile returns the profile of every row added, validated by a round
// trip through drift's encoding, or the error drift.Fit gives.
func (a *Accumulator) profile() (*drift.Profile, error) {
	if err := a.flush(); err != nil {
		return nil, err
	}
	if len(a.dropped) > 0 {
		name := slices.Sorted(maps.Keys(a.dropped))[0]
		if a.dropped[name].Kind == drift.Numeric {
			return nil, fmt.Errorf("beam: %w: numeric column %q has no finite values", drift.ErrEmpty, name)
		}
		return nil, fmt.Errorf("beam: %w: categorical column %q has no values", drift.ErrEmpty, name)
	}
	for _, name := range slices.Sorted(maps.Keys(a.opts.Edges)) {
		if c, ok := a.cols[name]; !ok || c.Kind != drift.Numeric {
			return nil, fmt.Errorf("beam: %w: edges given for %q, which is not a numeric column", drift.ErrUnknownColumn, name)
		}
	}
	p := a.partial()
	if p == nil {
		return nil, fmt.Errorf("beam: %w: no columns to profile", drift.ErrEmpty)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("beam: encode profile: %w", err)
	}
	out, err := drift.Parse(b)
	if err != nil {
		// Only summed counts past the int64 range get here.
		return nil, fmt.Errorf("beam: %w: merged profile: %v", drift.ErrInvalid, err)
	}
	return out, nil
}

// encodeAccumulator is the accumulator's Beam coder: it fits the buffered
// rows and writes the partial profile in drift's encoding.
func encodeAccumulator(a *Accumulator) ([]byte, error) {
	if a == nil {
		return []byte("{}"), nil
	}
	if a.opts != nil {
		if err := a.flush(); err != nil {
			return nil, err
		}
	} else if a.pending > 0 {
		return nil, fmt.Errorf("beam: %w: accumulator with unfitted rows and no options", drift.ErrInvalid)
	}
	b, err := json.Marshal(accumulatorJSON{Profile: a.partial(), Dropped: a.dropped})
	if err != nil {
		return nil, fmt.Errorf("beam: encode accumulator: %w", err)
	}
	return b, nil
}

// decodeAccumulator reads what encodeAccumulator wrote, validating the
// profile with drift's decoder and the dropped counts here; anything
// inconsistent is an error wrapping drift.ErrCorrupt.
func decodeAccumulator(b []byte) (*Accumulator, error) {
	var j accumulatorJSON
	if err := json.Unmarshal(b, &j); err != nil {
		if errors.Is(err, drift.ErrCorrupt) {
			return nil, fmt.Errorf("beam: decode accumulator: %w", err)
		}
		return nil, fmt.Errorf("beam: %w: decode accumulator: %v", drift.ErrCorrupt, err)
	}
	a := &Accumulator{}
	if p := j.Profile; p != nil {
		a.header = &drift.Profile{Version: p.Version, Bins: p.Bins, SampleSize: p.SampleSize, Seed: p.Seed}
		a.cols = make(map[string]drift.ColumnProfile, len(p.Columns))
		for _, c := range p.Columns {
			a.cols[c.Name] = c
		}
	}
	for name, d := range j.Dropped {
		_, fitted := a.cols[name]
		ok := !fitted && name != "" && d.NaN >= 0 && d.Inf >= 0 && d.Rows > 0 && d.Rows <= math.MaxInt64-d.Inf &&
			((d.Kind == drift.Numeric && d.NaN <= math.MaxInt64-d.Inf && d.NaN+d.Inf == d.Rows) ||
				(d.Kind == drift.Categorical && d.Inf == 0 && d.NaN == d.Rows))
		if !ok {
			return nil, fmt.Errorf("beam: %w: accumulator column %q: bad counts of missing values", drift.ErrCorrupt, name)
		}
	}
	if len(j.Dropped) > 0 {
		a.dropped = j.Dropped
	}
	return a, nil
}
