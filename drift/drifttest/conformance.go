package drifttest

import (
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/sextant-ml/sextant/drift"
)

// Detector is what a streaming drift detector offers: values in, a verdict
// on the current window out. *drift.Stream implements it; so should any
// detector a user builds around it (sharded, persisted, sampled).
type Detector interface {
	Observe(v float64)
	Check() (drift.WindowResult, error)
}

// ConformanceWindow is the window size RunConformance asks newDetector for.
const ConformanceWindow = 500

// RunConformance checks the behaviours callers of a Detector rely on.
// newDetector must return a fresh detector over the profile's column
// "value" (fitted on values from a standard normal distribution) with a
// count-based window of ConformanceWindow values.
func RunConformance(t *testing.T, newDetector func(t *testing.T, p *drift.Profile, column string) Detector) {
	p := NewProfile(t, drift.Data{Numeric: map[string][]float64{"value": Normal(1, 2000, 0, 1)}}, nil)
	fresh := func(t *testing.T) Detector {
		t.Helper()
		d := newDetector(t, p, "value")
		if d == nil {
			t.Fatal("newDetector returned nil")
		}
		return d
	}
	t.Run("EmptyWindowIsAnError", func(t *testing.T) {
		if _, err := fresh(t).Check(); !errors.Is(err, drift.ErrEmpty) {
			t.Fatalf("Check on an empty window: err = %v, want drift.ErrEmpty", err)
		}
	})
	t.Run("InDistributionIsQuiet", func(t *testing.T) {
		d := fresh(t)
		for _, v := range Normal(2, ConformanceWindow, 0, 1) {
			d.Observe(v)
		}
		r, err := d.Check()
		if err != nil {
			t.Fatal(err)
		}
		if r.Drifted {
			t.Errorf("in-distribution window flagged: %s score %g", r.Method, r.Score)
		}
	})
	t.Run("ShiftIsFlagged", func(t *testing.T) {
		d := fresh(t)
		for _, v := range Normal(3, ConformanceWindow, 1, 1) {
			d.Observe(v)
		}
		r, err := d.Check()
		if err != nil {
			t.Fatal(err)
		}
		if !r.Drifted {
			t.Errorf("one standard deviation shift not flagged: %s score %g", r.Method, r.Score)
		}
	})
	t.Run("WindowForgetsOldValues", func(t *testing.T) {
		d := fresh(t)
		for _, v := range Normal(4, 3*ConformanceWindow, 5, 1) {
			d.Observe(v)
		}
		for _, v := range Normal(5, ConformanceWindow, 0, 1) {
			d.Observe(v)
		}
		r, err := d.Check()
		if err != nil {
			t.Fatal(err)
		}
		if r.Current.Rows != ConformanceWindow || r.Drifted {
			t.Errorf("window after recovery: %d rows, drifted %v; want %d rows, no drift", r.Current.Rows, r.Drifted, ConformanceWindow)
		}
		if r.Observed != 4*ConformanceWindow {
			t.Errorf("observed = %d, want %d", r.Observed, 4*ConformanceWindow)
		}
	})
	t.Run("NaNAndInfAreCountedAndDropped", func(t *testing.T) {
		d := fresh(t)
		x := WithMissing(Normal(6, 300, 0, 1), 10)
		for _, v := range x {
			d.Observe(v)
		}
		r, err := d.Check()
		if err != nil {
			t.Fatal(err)
		}
		var nan, inf int64
		for _, v := range x {
			switch {
			case math.IsNaN(v):
				nan++
			case math.IsInf(v, 0):
				inf++
			}
		}
		if r.Current.NaN != nan || r.Current.Inf != inf || r.Current.Used != 300-nan-inf {
			t.Errorf("counts = %+v, want %d NaN, %d Inf", r.Current, nan, inf)
		}
	})
	t.Run("ConcurrentObserveAndCheck", func(t *testing.T) {
		d := fresh(t)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, v := range Normal(uint64(10+w), ConformanceWindow, 0, 1) {
					d.Observe(v)
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				_, _ = d.Check()
			}
		}()
		wg.Wait()
		r, err := d.Check()
		if err != nil {
			t.Fatal(err)
		}
		if r.Observed != 4*ConformanceWindow || r.Current.Rows != ConformanceWindow {
			t.Errorf("after concurrent use: observed %d, window %d", r.Observed, r.Current.Rows)
		}
	})
}
