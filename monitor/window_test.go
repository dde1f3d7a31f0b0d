package monitor_test

import (
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/monitor"
)

func TestWindowCounts(t *testing.T) {
	clk := newClock()
	m, _ := newMetrics(t, &monitor.Options{Now: clk.Now, Window: time.Minute, WindowSlots: 12})
	s := m.Series("fraud", "v2")

	st := m.Window("fraud", "v2")
	if st.Requests != 0 || !math.IsNaN(st.ErrorRate()) {
		t.Fatalf("empty window: %d requests, error rate %v; want 0, NaN", st.Requests, st.ErrorRate())
	}
	if _, ok := st.Quantile(0.5); ok {
		t.Fatal("Quantile on an empty window reports ok")
	}
	if st := m.Window("unknown", "v0"); st.Requests != 0 || !math.IsNaN(st.ErrorRate()) {
		t.Fatalf("unknown version: %+v", st)
	}

	for i := range 10 {
		s.Observe(monitor.OutcomeOK, time.Duration(i+1)*time.Millisecond)
	}
	s.Observe(monitor.OutcomeError, time.Millisecond)
	s.Observe(monitor.OutcomeError, time.Millisecond)
	s.Observe(monitor.OutcomeTimeout, time.Second)
	s.Observe(monitor.OutcomeCanceled, time.Millisecond)
	s.Observe(monitor.OutcomeRejected, time.Millisecond)

	clk.Advance(30 * time.Second)
	s.Observe(monitor.OutcomeOK, 2*time.Millisecond)

	st = m.Window("fraud", "v2")
	if st.Requests != 16 || st.Errors != 3 {
		t.Fatalf("requests %d errors %d; want 16, 3", st.Requests, st.Errors)
	}
	if got, want := st.ErrorRate(), 3.0/16; got != want {
		t.Errorf("ErrorRate = %v, want %v", got, want)
	}
	wantBy := [5]uint64{11, 2, 1, 1, 1}
	for o, want := range wantBy {
		if got := st.ByOutcome[o]; got != want {
			t.Errorf("ByOutcome[%v] = %d, want %d", monitor.Outcome(o), got, want)
		}
	}
	// Latencies are of the 11 successes: 55ms + 2ms over 11, estimated
	// from bucket midpoints within 1/16.
	if want := 57 * time.Millisecond / 11; math.Abs(float64(st.Mean-want)) > float64(want)/16 {
		t.Errorf("Mean = %v, want %v within 1/16", st.Mean, want)
	}
	if len(st.Latencies) != 11 {
		t.Errorf("%d sampled latencies, want all 11 successes", len(st.Latencies))
	}
	if p100, _ := st.Quantile(1); p100 > 11*time.Millisecond {
		t.Errorf("max latency %v: the 1s timeout leaked into success latencies", p100)
	}
	if st.Span < 55*time.Second || st.Span > time.Minute {
		t.Errorf("Span = %v, want within one slot of 1m", st.Span)
	}

	// 31s later the first batch (61s old) has left the window.
	clk.Advance(31 * time.Second)
	st = m.Window("fraud", "v2")
	if st.Requests != 1 || st.Errors != 0 || st.ByOutcome[monitor.OutcomeOK] != 1 {
		t.Fatalf("after the first batch expired: %+v", st)
	}
	if !slices.Equal(st.Latencies, []time.Duration{2 * time.Millisecond}) {
		t.Errorf("Latencies = %v", st.Latencies)
	}

	// Much later, slots are reused and old counts never leak in.
	clk.Advance(10 * time.Minute)
	s.Observe(monitor.OutcomeError, time.Millisecond)
	st = m.Window("fraud", "v2")
	if st.Requests != 1 || st.Errors != 1 {
		t.Fatalf("after reuse: %d requests %d errors, want 1, 1", st.Requests, st.Errors)
	}
}

func TestWindowQuantiles(t *testing.T) {
	clk := newClock()
	m, _ := newMetrics(t, &monitor.Options{Now: clk.Now, WindowSample: 16})
	s := m.Series("m", "1")
	// 2,000 latencies spread log-uniformly from 100µs to 10s.
	var all []time.Duration
	for i := range 2000 {
		d := time.Duration(100e3 * math.Pow(1e5, float64(i)/1999))
		all = append(all, d)
		s.Observe(monitor.OutcomeOK, d)
	}
	slices.Sort(all)
	st := s.Window()
	for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 1} {
		got, ok := st.Quantile(q)
		if !ok {
			t.Fatalf("Quantile(%v) not ok", q)
		}
		want := all[max(0, int(math.Ceil(q*float64(len(all))))-1)]
		if rel := math.Abs(float64(got-want)) / float64(want); rel > 1.0/8 {
			t.Errorf("Quantile(%v) = %v, exact %v: off by %.1f%%", q, got, want, 100*rel)
		}
	}
	for _, q := range []float64{-0.1, 1.1, math.NaN()} {
		if _, ok := st.Quantile(q); ok {
			t.Errorf("Quantile(%v) reports ok", q)
		}
	}
	// All in one slot: the sample is capped at WindowSample, and every
	// sampled value is one that was recorded.
	if len(st.Latencies) != 16 {
		t.Fatalf("%d sampled latencies, want 16", len(st.Latencies))
	}
	for _, d := range st.Latencies {
		if _, found := slices.BinarySearch(all, d); !found {
			t.Errorf("sampled latency %v was never recorded", d)
		}
	}
}

func TestWindowLongLatencies(t *testing.T) {
	clk := newClock()
	m, _ := newMetrics(t, &monitor.Options{Now: clk.Now})
	s := m.Series("m", "1")
	s.Observe(monitor.OutcomeOK, 0)
	s.Observe(monitor.OutcomeOK, 500*time.Nanosecond)
	s.Observe(monitor.OutcomeOK, 100*time.Hour) // beyond the last bucket
	st := s.Window()
	if got, _ := st.Quantile(0.1); got > time.Microsecond {
		t.Errorf("Quantile(0.1) = %v, want under 1µs", got)
	}
	if got, _ := st.Quantile(1); got < time.Hour {
		t.Errorf("Quantile(1) = %v, want the overflow bucket (over an hour)", got)
	}
}

func TestWindowRange(t *testing.T) {
	clk := newClock() // on a 5s boundary
	t0 := clk.Now()
	m, _ := newMetrics(t, &monitor.Options{Now: clk.Now, Window: time.Minute, WindowSlots: 12})
	s := m.Series("fraud", "v3")
	s.Observe(monitor.OutcomeOK, time.Millisecond) // slot [t0, t0+5s)
	clk.Advance(10 * time.Second)
	s.Observe(monitor.OutcomeError, time.Millisecond) // slot [t0+10s, t0+15s)
	s.Observe(monitor.OutcomeOK, 3*time.Millisecond)
	clk.Advance(10 * time.Second)
	s.Observe(monitor.OutcomeOK, 5*time.Millisecond) // slot [t0+20s, t0+25s)
	clk.Advance(2 * time.Second)                     // now t0+22s

	for _, tc := range []struct {
		name       string
		from, to   time.Duration // after t0
		requests   uint64
		errors     uint64
		span       time.Duration
		wantSample []time.Duration
	}{
		{"one slot", 10 * time.Second, 20 * time.Second, 2, 1, 10 * time.Second, []time.Duration{3 * time.Millisecond}},
		{"rounded out to slots", 12 * time.Second, 21 * time.Second, 3, 1, 12 * time.Second, []time.Duration{3 * time.Millisecond, 5 * time.Millisecond}},
		{"everything", -time.Hour, time.Hour, 4, 1, 57 * time.Second, []time.Duration{time.Millisecond, 3 * time.Millisecond, 5 * time.Millisecond}},
		{"gap", 5 * time.Second, 10 * time.Second, 0, 0, 5 * time.Second, nil},
		{"future", time.Hour, 2 * time.Hour, 0, 0, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := m.Range("fraud", "v3", t0.Add(tc.from), t0.Add(tc.to))
			if st.Requests != tc.requests || st.Errors != tc.errors {
				t.Errorf("requests %d errors %d, want %d, %d", st.Requests, st.Errors, tc.requests, tc.errors)
			}
			got := slices.Sorted(slices.Values(st.Latencies))
			if !slices.Equal(got, tc.wantSample) {
				t.Errorf("latencies %v, want %v", got, tc.wantSample)
			}
			if st.Span != tc.span {
				t.Errorf("Span = %v, want %v", st.Span, tc.span)
			}
		})
	}
	if st := m.Range("unknown", "v0", t0, t0.Add(time.Hour)); st.Requests != 0 {
		t.Errorf("unknown version: %+v", st)
	}
}

// TestWindowConcurrentRotation records from many goroutines while the
// clock moves through many slots; under -race this checks the slot
// rotation, and the window never reports more than was recorded in it.
func TestWindowConcurrentRotation(t *testing.T) {
	clk := newClock()
	m, _ := newMetrics(t, &monitor.Options{Now: clk.Now, Window: 10 * time.Second, WindowSlots: 10})
	s := m.Series("m", "1")
	var wg sync.WaitGroup
	const workers, per = 4, 2000
	for range workers {
		wg.Go(func() {
			for i := range per {
				o := monitor.OutcomeOK
				if i%4 == 0 {
					o = monitor.OutcomeError
				}
				s.Observe(o, time.Millisecond)
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			clk.Advance(100 * time.Millisecond)
			st := s.Window()
			if st.Requests > workers*per || st.Errors > st.Requests {
				t.Errorf("window reports %d requests, %d errors", st.Requests, st.Errors)
				return
			}
		}
	})
	wg.Wait()
	// 20s have passed; after another window the ring is empty again.
	clk.Advance(11 * time.Second)
	if st := s.Window(); st.Requests != 0 {
		t.Fatalf("%d requests a full window later", st.Requests)
	}
}
