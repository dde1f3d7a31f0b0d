// Package drifttest helps test code that uses drift: a controllable clock
// for time-based windows, a stream wired to it in one call, builders for
// reference and shifted samples, fault injection for data pipelines and
// persisted profiles, and a conformance suite for detectors users build
// on top of drift.
//
// Everything here is real: streams are drift.Stream, profiles are
// drift.Profile round-tripped through their JSON form, as production code
// would load them.
package drifttest

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/drift"
)

// Clock is a manual clock for drift.StreamOptions.Now. Its zero value
// starts at the Unix epoch; it is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() {
		c.now = time.Unix(0, 0).UTC()
	}
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// NewProfile fits reference data and returns the profile as code loading it
// from storage would see it: encoded to JSON and parsed back. It fails the
// test on error.
func NewProfile(t testing.TB, reference drift.Data, opts *drift.FitOptions) *drift.Profile {
	t.Helper()
	p, err := drift.Fit(reference, opts)
	if err != nil {
		t.Fatalf("drifttest: fit profile: %v", err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("drifttest: encode profile: %v", err)
	}
	q, err := drift.Parse(b)
	if err != nil {
		t.Fatalf("drifttest: parse profile: %v", err)
	}
	return q
}

// NewStream returns a stream over the named column of the profile whose
// time-based window (when opts.Window > 0) follows the returned clock.
// opts may be nil; opts.Now is replaced by the clock.
func NewStream(t testing.TB, p *drift.Profile, column string, opts *drift.StreamOptions) (*drift.Stream, *Clock) {
	t.Helper()
	var o drift.StreamOptions
	if opts != nil {
		o = *opts
	}
	clock := NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	o.Now = clock.Now
	s, err := drift.NewStream(p, column, &o)
	if err != nil {
		t.Fatalf("drifttest: new stream: %v", err)
	}
	return s, clock
}

// Normal returns n values drawn from a normal distribution, reproducibly
// for a seed.
func Normal(seed uint64, n int, mean, sd float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	x := make([]float64, n)
	for i := range x {
		x[i] = mean + sd*rng.NormFloat64()
	}
	return x
}

// Shifted returns a copy of x with shift added to every value.
func Shifted(x []float64, shift float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = v + shift
	}
	return out
}

// Scaled returns a copy of x stretched by factor around its mean.
func Scaled(x []float64, factor float64) []float64 {
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = mean + factor*(v-mean)
	}
	return out
}

// Categories returns n labels drawn with the given weights, reproducibly
// for a seed.
func Categories(seed uint64, n int, labels []string, weights []float64) []string {
	rng := rand.New(rand.NewPCG(seed, 0xca7))
	total := 0.0
	for _, w := range weights {
		total += w
	}
	out := make([]string, n)
	for i := range out {
		u := rng.Float64() * total
		k := 0
		for k < len(weights)-1 && u >= weights[k] {
			u -= weights[k]
			k++
		}
		out[i] = labels[k]
	}
	return out
}

// WithMissing returns a copy of x with every k-th value (k > 0) replaced,
// in turn, by NaN, +Inf and -Inf: the faults sensors and joins produce.
func WithMissing(x []float64, k int) []float64 {
	out := append([]float64(nil), x...)
	faults := []float64{math.NaN(), math.Inf(1), math.Inf(-1)}
	for i, j := k-1, 0; k > 0 && i < len(out); i, j = i+k, j+1 {
		out[i] = faults[j%3]
	}
	return out
}

// Corrupt returns damaged copies of a persisted profile (truncated, wrong
// version, edited counts), for testing that code loading profiles reports
// drift.ErrCorrupt instead of misbehaving.
func Corrupt(t testing.TB, p *drift.Profile) map[string][]byte {
	t.Helper()
	good, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("drifttest: encode profile: %v", err)
	}
	out := map[string][]byte{
		"truncated": good[:len(good)/2],
		"empty":     {},
		"not json":  []byte("profile"),
	}
	var raw map[string]any
	if err := json.Unmarshal(good, &raw); err != nil {
		t.Fatalf("drifttest: decode profile: %v", err)
	}
	edit := func(name string, f func(m map[string]any)) {
		var m map[string]any
		_ = json.Unmarshal(good, &m)
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("drifttest: encode corrupt profile: %v", err)
		}
		out[name] = b
	}
	edit("future version", func(m map[string]any) { m["version"] = drift.ProfileVersion + 1 })
	edit("no columns", func(m map[string]any) { m["columns"] = []any{} })
	edit("rows do not add up", func(m map[string]any) {
		col := m["columns"].([]any)[0].(map[string]any)
		col["rows"] = col["rows"].(float64) + 1
	})
	return out
}

// AssertDrift fails the test unless each named column of the report
// drifted.
func AssertDrift(t testing.TB, r *drift.Report, columns ...string) {
	t.Helper()
	assertColumns(t, r, true, columns)
}

// AssertNoDrift fails the test if any named column of the report drifted.
func AssertNoDrift(t testing.TB, r *drift.Report, columns ...string) {
	t.Helper()
	assertColumns(t, r, false, columns)
}

func assertColumns(t testing.TB, r *drift.Report, want bool, columns []string) {
	t.Helper()
	for _, name := range columns {
		found := false
		for _, c := range r.Columns {
			if c.Column != name {
				continue
			}
			found = true
			if c.Drifted != want {
				t.Errorf("column %q: drifted = %v, want %v (%s score %g, threshold %g)", name, c.Drifted, want, c.Method, c.Score, c.Threshold)
			}
		}
		if !found {
			t.Errorf("column %q not in the report", name)
		}
	}
}
