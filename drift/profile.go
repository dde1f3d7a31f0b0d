package drift

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
)

// ProfileVersion is the version of the persisted profile format.
const ProfileVersion = 1

// MaxBins is the most bins a numeric column may be cut into.
const MaxBins = 1000

// DefaultSampleSize is the default number of distinct values a numeric
// column's reference sample keeps.
const DefaultSampleSize = 20000

// Kind is a column's type.
type Kind string

// Column kinds.
const (
	Numeric     Kind = "numeric"
	Categorical Kind = "categorical"
)

// Data is a table of named columns. A name must not appear in both maps.
// For numeric columns NaN and ±Inf are counted and dropped; for categorical
// columns the empty string is counted as missing and dropped.
type Data struct {
	Numeric     map[string][]float64
	Categorical map[string][]string
}

// names returns every column name, sorted, and rejects a name used twice.
func (d Data) names() ([]string, error) {
	names := make([]string, 0, len(d.Numeric)+len(d.Categorical))
	for n := range d.Numeric {
		if _, dup := d.Categorical[n]; dup {
			return nil, fmt.Errorf("%w: column %q is both numeric and categorical", ErrInvalid, n)
		}
		names = append(names, n)
	}
	for n := range d.Categorical {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// FitOptions tune Fit. The zero value (or nil) gives the defaults.
type FitOptions struct {
	// Bins is the number of reference-quantile bins per numeric column,
	// from 2 to MaxBins. Default DefaultBins (10).
	Bins int
	// SampleSize bounds the distinct values kept per numeric column for the
	// sample-based tests (KS, Cramér-von Mises, Mann-Whitney, Wasserstein).
	// Default DefaultSampleSize; a negative value keeps every value.
	SampleSize int
	// Seed seeds the hash that picks which distinct values the sample
	// keeps. Default 0. Profiles merge only if they share it.
	Seed uint64
	// Edges fixes the inner bin edges of numeric columns by name instead
	// of taking the reference's quantiles. Pass the Edges of the profile
	// of a first shard when fitting the others, so they can be merged.
	// Default: quantiles of the data being fitted.
	Edges map[string][]float64
}

// Profile summarises reference data so that later batches can be compared
// against it without the reference: per numeric column the moments, the
// quantile bins with their counts and a bounded sample of distinct values
// with their counts; per categorical column the category counts.
//
// A Profile marshals to JSON with encoding/json and unmarshals with
// validation (see Parse). Profiles of shards fitted with the same options
// and the same edges merge into the profile of the whole (see Merge).
type Profile struct {
	Version    int             `json:"version"`
	Bins       int             `json:"bins"`
	SampleSize int             `json:"sample_size"`
	Seed       uint64          `json:"seed"`
	Columns    []ColumnProfile `json:"columns"`
}

// ColumnProfile is one column's part of a Profile.
type ColumnProfile struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Rows counts every value seen, including dropped ones.
	Rows int64 `json:"rows"`
	// NaN counts NaN values (numeric) or empty strings (categorical).
	NaN int64 `json:"nan"`
	// Inf counts infinite values (numeric only).
	Inf         int64               `json:"inf"`
	Numeric     *NumericProfile     `json:"numeric,omitempty"`
	Categorical *CategoricalProfile `json:"categorical,omitempty"`
}

// NumericProfile holds what comparisons of a numeric column need.
type NumericProfile struct {
	// Count is the number of finite values.
	Count int64   `json:"count"`
	Mean  float64 `json:"mean"`
	// M2 is the sum of squared deviations from the mean.
	M2  float64 `json:"m2"`
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// Edges are the inner bin edges, strictly increasing; BinCounts has
	// one more entry than Edges.
	Edges     []float64 `json:"edges"`
	BinCounts []int64   `json:"bin_counts"`
	// Values and Counts are the sample: ascending distinct values and how
	// often each occurred. When Complete is true they are every distinct
	// value of the column; otherwise the SampleSize values with the
	// smallest seeded hash.
	Values   []float64 `json:"values"`
	Counts   []int64   `json:"counts"`
	Complete bool      `json:"complete"`
}

// CategoricalProfile holds the category counts of a categorical column.
type CategoricalProfile struct {
	Counts map[string]int64 `json:"counts"`
}

func (n *NumericProfile) moments() moments {
	return moments{N: n.Count, Mean: n.Mean, M2: n.M2, Min: n.Min, Max: n.Max}
}

func (n *NumericProfile) setMoments(m moments) {
	n.Count, n.Mean, n.M2, n.Min, n.Max = m.N, m.Mean, m.M2, m.Min, m.Max
}

// Std returns the population standard deviation of the finite values.
func (n *NumericProfile) Std() float64 { return n.moments().std() }

// Fit profiles reference data. Every column needs at least one usable
// value (ErrEmpty otherwise).
func Fit(data Data, opts *FitOptions) (*Profile, error) {
	var o FitOptions
	if opts != nil {
		o = *opts
	}
	if o.Bins == 0 {
		o.Bins = DefaultBins
	}
	if o.Bins < 2 || o.Bins > MaxBins {
		return nil, fmt.Errorf("%w: %d bins, need 2 to %d", ErrInvalid, o.Bins, MaxBins)
	}
	if o.SampleSize == 0 {
		o.SampleSize = DefaultSampleSize
	}
	if o.SampleSize < 0 {
		o.SampleSize = -1
	}
	names, err := data.names()
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no columns to profile", ErrEmpty)
	}
	for n := range o.Edges {
		if _, ok := data.Numeric[n]; !ok {
			return nil, fmt.Errorf("%w: edges given for %q, which is not a numeric column", ErrUnknownColumn, n)
		}
	}
	p := &Profile{Version: ProfileVersion, Bins: o.Bins, SampleSize: o.SampleSize, Seed: o.Seed}
	for _, name := range names {
		var c ColumnProfile
		if vals, ok := data.Numeric[name]; ok {
			c, err = fitNumeric(name, vals, &o)
		} else {
			c, err = fitCategorical(name, data.Categorical[name])
		}
		if err != nil {
			return nil, err
		}
		p.Columns = append(p.Columns, c)
	}
	return p, nil
}

func fitNumeric(name string, vals []float64, o *FitOptions) (ColumnProfile, error) {
	c := ColumnProfile{Name: name, Kind: Numeric, Rows: int64(len(vals))}
	sorted := make([]float64, 0, len(vals))
	var m moments
	for _, v := range vals {
		switch {
		case math.IsNaN(v):
			c.NaN++
		case math.IsInf(v, 0):
			c.Inf++
		default:
			sorted = append(sorted, v)
			m.add(v)
		}
	}
	if len(sorted) == 0 {
		return c, fmt.Errorf("%w: numeric column %q has no finite values", ErrEmpty, name)
	}
	if math.IsInf(m.M2, 0) || math.IsInf(m.Mean, 0) || math.IsNaN(m.M2) {
		return c, fmt.Errorf("%w: numeric column %q: values too large for a finite variance", ErrInvalid, name)
	}
	// One copy of the column, sorted in place; no other allocation grows
	// with the column (see TestFitMemory).
	sortInPlace(sorted)
	edges, fixed := o.Edges[name]
	if fixed {
		if err := checkEdges(edges); err != nil {
			return c, within(err, "column %q", name)
		}
		edges = slices.Clone(edges)
	} else {
		edges = QuantileEdges(sorted, o.Bins)
	}
	np := &NumericProfile{Edges: edges, BinCounts: sortedHistogram(edges, sorted)}
	np.setMoments(m)
	if n := distinctCount(sorted); o.SampleSize > 0 && n > o.SampleSize {
		np.Values, np.Counts = sampleSorted(sorted, o.SampleSize, o.Seed)
	} else {
		np.Values, np.Counts = compactDistinct(sorted, n)
		np.Complete = true
		if n <= len(sorted)/2 {
			// Do not keep the column-sized array alive for few values.
			np.Values = slices.Clone(np.Values)
		}
	}
	c.Numeric = np
	return c, nil
}

func fitCategorical(name string, vals []string) (ColumnProfile, error) {
	c := ColumnProfile{Name: name, Kind: Categorical, Rows: int64(len(vals))}
	counts := make(map[string]int64)
	for _, v := range vals {
		if v == "" {
			c.NaN++
			continue
		}
		counts[v]++
	}
	if len(counts) == 0 {
		return c, fmt.Errorf("%w: categorical column %q has no values", ErrEmpty, name)
	}
	c.Categorical = &CategoricalProfile{Counts: counts}
	return c, nil
}

// checkEdges accepts at most MaxBins-1 finite, strictly increasing edges.
func checkEdges(edges []float64) error {
	if len(edges) >= MaxBins {
		return fmt.Errorf("%w: %d bin edges, at most %d", ErrInvalid, len(edges), MaxBins-1)
	}
	for i, e := range edges {
		if math.IsNaN(e) || math.IsInf(e, 0) {
			return fmt.Errorf("%w: bin edge %v is not finite", ErrInvalid, e)
		}
		if i > 0 && !(e > edges[i-1]) {
			return fmt.Errorf("%w: bin edges not strictly increasing at %d", ErrInvalid, i)
		}
	}
	return nil
}

// sortedHistogram counts sorted values into len(edges)+1 bins in one pass.
func sortedHistogram(edges, sorted []float64) []int64 {
	counts := make([]int64, len(edges)+1)
	b := 0
	for _, v := range sorted {
		for b < len(edges) && v >= edges[b] {
			b++
		}
		counts[b]++
	}
	return counts
}

// distinct compresses sorted values into distinct values and counts.
func distinct(sorted []float64) ([]float64, []int64) {
	n := 0
	for i, v := range sorted {
		if i == 0 || v != sorted[i-1] {
			n++
		}
	}
	vals, counts := make([]float64, 0, n), make([]int64, 0, n)
	for _, v := range sorted {
		if n := len(vals); n > 0 && vals[n-1] == v {
			counts[n-1]++
			continue
		}
		vals = append(vals, v)
		counts = append(counts, 1)
	}
	return vals, counts
}

// valueHash is the seeded hash that decides which distinct values a
// sample keeps (SplitMix64's finaliser; -0 and +0 hash alike).
func valueHash(v float64, seed uint64) uint64 {
	z := math.Float64bits(v+0) ^ seed
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// keepSmallestHashes keeps the k distinct values with the smallest hash,
// in ascending value order. Because the choice depends only on the value,
// the sample of a union is the sample of the union of the shards' samples.
// It runs in linear time: select the k-th smallest hash, then keep the
// values at or below it (in value order, should two hashes tie).
func keepSmallestHashes(vals []float64, counts []int64, k int, seed uint64) ([]float64, []int64) {
	hashes := make([]uint64, len(vals))
	for i, v := range vals {
		hashes[i] = valueHash(v, seed)
	}
	work := slices.Clone(hashes)
	selectKth(work, []int{k - 1}, 0)
	cut := work[k-1]
	below := 0
	for _, h := range hashes {
		if h < cut {
			below++
		}
	}
	ties := k - below // values hashing exactly to cut that still fit
	outV, outC := make([]float64, 0, k), make([]int64, 0, k)
	for i, h := range hashes {
		if h < cut || (h == cut && ties > 0) {
			if h == cut {
				ties--
			}
			outV, outC = append(outV, vals[i]), append(outC, counts[i])
		}
	}
	return outV, outC
}

// Edges returns the inner bin edges of every numeric column, to fit other
// shards with FitOptions.Edges.
func (p *Profile) Edges() map[string][]float64 {
	out := make(map[string][]float64)
	for _, c := range p.Columns {
		if c.Numeric != nil {
			out[c.Name] = slices.Clone(c.Numeric.Edges)
		}
	}
	return out
}

// Column returns the profile of the named column.
func (p *Profile) Column(name string) (*ColumnProfile, error) {
	i := sort.Search(len(p.Columns), func(i int) bool { return p.Columns[i].Name >= name })
	if i == len(p.Columns) || p.Columns[i].Name != name {
		return nil, fmt.Errorf("%w: %q is not in the profile", ErrUnknownColumn, name)
	}
	return &p.Columns[i], nil
}

// Merge combines profiles of disjoint shards of one data set into the
// profile of the whole. Counts, bins and the sample are exact: the result
// equals Fit on the concatenated shards with the same options and edges.
// Moments agree up to floating-point rounding. The profiles must share
// version, bins, sample size, seed, columns, kinds and bin edges
// (ErrIncompatible otherwise). A nil profile, one that breaks Fit's
// invariants (ErrCorrupt) or counts whose sum overflows int64
// (ErrInvalid) are rejected. The inputs are not modified.
func Merge(profiles ...*Profile) (*Profile, error) {
	if len(profiles) == 0 {
		return nil, fmt.Errorf("%w: nothing to merge", ErrEmpty)
	}
	for i, q := range profiles {
		if err := q.check(); err != nil {
			return nil, within(err, "merge profile %d", i+1)
		}
	}
	out := profiles[0].deepCopy()
	for _, q := range profiles[1:] {
		if err := out.mergeFrom(q); err != nil {
			return nil, err
		}
	}
	// Counts of valid profiles are non-negative, so a sum past the int64
	// range wraps negative and fails validation here.
	if err := out.validate(); err != nil {
		return nil, fmt.Errorf("%w: merged profile: %v", ErrInvalid, err)
	}
	return out, nil
}

// check reports a nil profile (ErrInvalid) or one whose fields break the
// invariants Fit and Parse guarantee (ErrCorrupt), such as a Profile built
// or edited by hand.
func (p *Profile) check() error {
	if p == nil {
		return fmt.Errorf("%w: nil profile", ErrInvalid)
	}
	if err := p.validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return nil
}

// deepCopy returns a copy of p that shares no memory with it, so that
// merging into the copy leaves p as it was. TestDeepCopySharesNothing
// walks every field, so a field added to a profile type and not copied
// here fails it.
func (p *Profile) deepCopy() *Profile {
	c := *p
	c.Columns = slices.Clone(p.Columns)
	for i := range c.Columns {
		col := &c.Columns[i]
		if n := col.Numeric; n != nil {
			cn := *n
			cn.Edges, cn.BinCounts = slices.Clone(n.Edges), slices.Clone(n.BinCounts)
			cn.Values, cn.Counts = slices.Clone(n.Values), slices.Clone(n.Counts)
			col.Numeric = &cn
		}
		if k := col.Categorical; k != nil {
			col.Categorical = &CategoricalProfile{Counts: maps.Clone(k.Counts)}
		}
	}
	return &c
}

func (p *Profile) mergeFrom(q *Profile) error {
	if p.Version != q.Version || p.Bins != q.Bins || p.SampleSize != q.SampleSize || p.Seed != q.Seed {
		return fmt.Errorf("%w: settings differ (version %d/%d, bins %d/%d, sample size %d/%d, seed %d/%d)",
			ErrIncompatible, p.Version, q.Version, p.Bins, q.Bins, p.SampleSize, q.SampleSize, p.Seed, q.Seed)
	}
	if len(p.Columns) != len(q.Columns) {
		return fmt.Errorf("%w: %d and %d columns", ErrIncompatible, len(p.Columns), len(q.Columns))
	}
	for i := range p.Columns {
		a, b := &p.Columns[i], &q.Columns[i]
		if a.Name != b.Name || a.Kind != b.Kind {
			return fmt.Errorf("%w: column %q (%s) against %q (%s)", ErrIncompatible, a.Name, a.Kind, b.Name, b.Kind)
		}
		a.Rows += b.Rows
		a.NaN += b.NaN
		a.Inf += b.Inf
		if a.Kind == Categorical {
			for k, v := range b.Categorical.Counts {
				a.Categorical.Counts[k] += v
			}
			continue
		}
		if err := a.Numeric.merge(b.Numeric, p.SampleSize, p.Seed); err != nil {
			return within(err, "column %q", a.Name)
		}
	}
	return nil
}

func (n *NumericProfile) merge(o *NumericProfile, size int, seed uint64) error {
	if !slices.Equal(n.Edges, o.Edges) {
		return fmt.Errorf("%w: bin edges differ; fit every shard with FitOptions.Edges from one profile", ErrIncompatible)
	}
	for i := range n.BinCounts {
		n.BinCounts[i] += o.BinCounts[i]
	}
	m := n.moments()
	m.merge(o.moments())
	n.setMoments(m)
	vals := make([]float64, 0, len(n.Values)+len(o.Values))
	counts := make([]int64, 0, len(n.Values)+len(o.Values))
	i, j := 0, 0
	for i < len(n.Values) || j < len(o.Values) {
		switch {
		case j == len(o.Values) || (i < len(n.Values) && n.Values[i] < o.Values[j]):
			vals, counts = append(vals, n.Values[i]), append(counts, n.Counts[i])
			i++
		case i == len(n.Values) || o.Values[j] < n.Values[i]:
			vals, counts = append(vals, o.Values[j]), append(counts, o.Counts[j])
			j++
		default:
			vals, counts = append(vals, n.Values[i]), append(counts, n.Counts[i]+o.Counts[j])
			i++
			j++
		}
	}
	n.Complete = n.Complete && o.Complete
	if size > 0 && len(vals) > size {
		vals, counts = keepSmallestHashes(vals, counts, size, seed)
		n.Complete = false
	}
	n.Values, n.Counts = vals, counts
	return nil
}

// Parse decodes a profile from JSON and validates it (ErrCorrupt).
func Parse(b []byte) (*Profile, error) {
	var p Profile
	if err := json.Unmarshal(b, &p); err != nil {
		if errors.Is(err, ErrCorrupt) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return &p, nil
}

// UnmarshalJSON decodes and validates a profile; errors wrap ErrCorrupt.
func (p *Profile) UnmarshalJSON(b []byte) error {
	type plain Profile
	var q plain
	if err := json.Unmarshal(b, &q); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if err := (*Profile)(&q).validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	*p = Profile(q)
	return nil
}

// validate checks every invariant Compare and Merge rely on.
func (p *Profile) validate() error {
	if p.Version != ProfileVersion {
		return fmt.Errorf("version %d, want %d", p.Version, ProfileVersion)
	}
	if p.Bins < 2 || p.Bins > MaxBins || p.SampleSize == 0 || p.SampleSize < -1 {
		return fmt.Errorf("bins %d, sample size %d", p.Bins, p.SampleSize)
	}
	if len(p.Columns) == 0 {
		return fmt.Errorf("no columns")
	}
	for i := range p.Columns {
		c := &p.Columns[i]
		if i > 0 && !(c.Name > p.Columns[i-1].Name) {
			return fmt.Errorf("columns not sorted or repeated at %q", c.Name)
		}
		if c.Rows < 0 || c.NaN < 0 || c.Inf < 0 {
			return fmt.Errorf("column %q: negative counts", c.Name)
		}
		switch {
		case c.Kind == Numeric && c.Numeric != nil && c.Categorical == nil:
			if err := c.Numeric.validate(p.SampleSize); err != nil {
				return fmt.Errorf("column %q: %v", c.Name, err)
			}
			if total, ok := sumCounts(c.Numeric.Count, c.NaN, c.Inf); !ok || total != c.Rows {
				return fmt.Errorf("column %q: rows %d do not add up", c.Name, c.Rows)
			}
		case c.Kind == Categorical && c.Categorical != nil && c.Numeric == nil:
			total := c.NaN
			if c.Inf != 0 || len(c.Categorical.Counts) == 0 {
				return fmt.Errorf("column %q: bad categorical counts", c.Name)
			}
			for k, v := range c.Categorical.Counts {
				if k == "" || v <= 0 {
					// Name the first bad category in sorted order, so the
					// message does not depend on map iteration.
					for _, k := range slices.Sorted(maps.Keys(c.Categorical.Counts)) {
						if v := c.Categorical.Counts[k]; k == "" || v <= 0 {
							return fmt.Errorf("column %q: category %q with count %d", c.Name, k, v)
						}
					}
				}
				var ok bool
				if total, ok = sumCounts(total, v); !ok {
					return fmt.Errorf("column %q: category counts overflow", c.Name)
				}
			}
			if total != c.Rows {
				return fmt.Errorf("column %q: rows %d do not add up", c.Name, c.Rows)
			}
		default:
			return fmt.Errorf("column %q: kind %q does not match its contents", c.Name, c.Kind)
		}
	}
	return nil
}

func (n *NumericProfile) validate(size int) error {
	if n.Count <= 0 {
		return fmt.Errorf("no finite values")
	}
	for _, f := range []float64{n.Mean, n.M2, n.Min, n.Max} {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("moments not finite")
		}
	}
	if n.M2 < 0 || n.Min > n.Max {
		return fmt.Errorf("moments out of range")
	}
	if err := checkEdges(n.Edges); err != nil {
		return err
	}
	if len(n.BinCounts) != len(n.Edges)+1 {
		return fmt.Errorf("%d bin counts for %d edges", len(n.BinCounts), len(n.Edges))
	}
	binned, ok := sumCounts(n.BinCounts...)
	if !ok {
		return fmt.Errorf("bin counts negative or overflowing")
	}
	if binned != n.Count {
		return fmt.Errorf("bin counts sum to %d, count is %d", binned, n.Count)
	}
	if len(n.Values) == 0 || len(n.Values) != len(n.Counts) || (size > 0 && len(n.Values) > size) {
		return fmt.Errorf("sample of %d values and %d counts", len(n.Values), len(n.Counts))
	}
	for i, v := range n.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) || (i > 0 && !(v > n.Values[i-1])) || n.Counts[i] <= 0 {
			return fmt.Errorf("sample not strictly increasing finite values with positive counts at %d", i)
		}
	}
	sampled, ok := sumCounts(n.Counts...)
	if !ok || sampled > n.Count || (n.Complete && sampled != n.Count) {
		return fmt.Errorf("sample counts sum to %d, count is %d", sampled, n.Count)
	}
	return nil
}

// sumCounts adds non-negative counts; ok is false when one is negative or
// the sum leaves the int64 range.
func sumCounts(counts ...int64) (total int64, ok bool) {
	for _, c := range counts {
		if c < 0 || total > math.MaxInt64-c {
			return 0, false
		}
		total += c
	}
	return total, true
}
