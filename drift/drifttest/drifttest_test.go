package drifttest

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/drift"
)

func TestStreamConformance(t *testing.T) {
	RunConformance(t, func(t *testing.T, p *drift.Profile, column string) Detector {
		s, _ := NewStream(t, p, column, &drift.StreamOptions{Size: ConformanceWindow})
		return s
	})
}

// lockedDetector is a detector built around drift.Stream the way a user
// might (adding a lock and a counter); it must pass the same suite.
type lockedDetector struct {
	mu sync.Mutex
	s  *drift.Stream
	n  int
}

func (d *lockedDetector) Observe(v float64) {
	d.mu.Lock()
	d.n++
	d.mu.Unlock()
	d.s.Observe(v)
}

func (d *lockedDetector) Check() (drift.WindowResult, error) { return d.s.Check() }

func TestWrappedDetectorConformance(t *testing.T) {
	RunConformance(t, func(t *testing.T, p *drift.Profile, column string) Detector {
		s, err := drift.NewStream(p, column, &drift.StreamOptions{Size: ConformanceWindow})
		if err != nil {
			t.Fatal(err)
		}
		return &lockedDetector{s: s}
	})
}

func TestClock(t *testing.T) {
	var c Clock
	if !c.Now().Equal(time.Unix(0, 0)) {
		t.Errorf("zero clock reads %v", c.Now())
	}
	c.Advance(time.Hour)
	if !c.Now().Equal(time.Unix(3600, 0)) {
		t.Errorf("after an hour: %v", c.Now())
	}
	at := time.Date(2030, 5, 1, 0, 0, 0, 0, time.UTC)
	c.Set(at)
	if !c.Now().Equal(at) {
		t.Errorf("Set: %v", c.Now())
	}
}

func TestNewStreamFollowsClock(t *testing.T) {
	p := NewProfile(t, drift.Data{Numeric: map[string][]float64{"x": Normal(1, 300, 0, 1)}}, nil)
	s, clock := NewStream(t, p, "x", &drift.StreamOptions{Window: time.Minute})
	s.ObserveBatch(Normal(2, 100, 0, 1))
	clock.Advance(2 * time.Minute)
	if _, err := s.Check(); !errors.Is(err, drift.ErrEmpty) {
		t.Fatalf("values older than the window still counted: err = %v", err)
	}
}

func TestBuilders(t *testing.T) {
	x := Normal(7, 1000, 2, 3)
	if got := Normal(7, 1000, 2, 3); got[999] != x[999] {
		t.Error("Normal is not reproducible")
	}
	s := Shifted(x, 1.5)
	if s[10] != x[10]+1.5 || &s[0] == &x[0] {
		t.Error("Shifted")
	}
	sc := Scaled([]float64{1, 2, 3}, 2)
	if sc[0] != 0 || sc[1] != 2 || sc[2] != 4 {
		t.Errorf("Scaled = %v", sc)
	}
	m := WithMissing([]float64{1, 2, 3, 4, 5, 6, 7}, 2)
	if !math.IsNaN(m[1]) || !math.IsInf(m[3], 1) || !math.IsInf(m[5], -1) || m[0] != 1 {
		t.Errorf("WithMissing = %v", m)
	}
	c := Categories(1, 5000, []string{"a", "b"}, []float64{9, 1})
	na := 0
	for _, v := range c {
		if v == "a" {
			na++
		}
	}
	if na < 4300 || na > 4700 {
		t.Errorf("Categories: %d of 5000 are a, want about 4500", na)
	}
	ref := drift.Data{Numeric: map[string][]float64{"x": x}, Categorical: map[string][]string{"c": c}}
	p := NewProfile(t, ref, nil)
	r, err := p.Compare(drift.Data{Numeric: map[string][]float64{"x": Shifted(x[:400], 3)}, Categorical: map[string][]string{"c": c[:400]}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	AssertDrift(t, r, "x")
	AssertNoDrift(t, r, "c")
}

func TestCorruptProfilesAreRejected(t *testing.T) {
	p := NewProfile(t, drift.Data{Numeric: map[string][]float64{"x": Normal(1, 100, 0, 1)}}, nil)
	for name, b := range Corrupt(t, p) {
		if _, err := drift.Parse(b); !errors.Is(err, drift.ErrCorrupt) {
			t.Errorf("%s: err = %v, want drift.ErrCorrupt", name, err)
		}
	}
}

// recorder stands in for a test so that the assertions' failures can be
// observed.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func TestAssertionsFail(t *testing.T) {
	x := Normal(3, 600, 0, 1)
	p := NewProfile(t, drift.Data{Numeric: map[string][]float64{"x": x, "y": x}}, nil)
	r, err := p.Compare(drift.Data{Numeric: map[string][]float64{"x": Shifted(x[:300], 2), "y": x[:300]}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		assert func(tb testing.TB)
		fails  int
	}{
		{"drifted as expected", func(tb testing.TB) { AssertDrift(tb, r, "x") }, 0},
		{"quiet as expected", func(tb testing.TB) { AssertNoDrift(tb, r, "y") }, 0},
		{"drift expected, none", func(tb testing.TB) { AssertDrift(tb, r, "x", "y") }, 1},
		{"quiet expected, drifted", func(tb testing.TB) { AssertNoDrift(tb, r, "x") }, 1},
		{"unknown column", func(tb testing.TB) { AssertNoDrift(tb, r, "z") }, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			tc.assert(rec)
			if len(rec.failures) != tc.fails {
				t.Errorf("%d failures %q, want %d", len(rec.failures), rec.failures, tc.fails)
			}
		})
	}
}
