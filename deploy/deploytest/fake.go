package deploytest

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// ErrInjected is the error a Fake returns for its injected failures.
var ErrInjected = errors.New("deploytest: injected failure")

// Fake is a predictor with a set latency, error rate and output, safe
// for concurrent use and changeable while it serves. Inside a
// testing/synctest bubble its latency costs no real time, so rollouts
// over minutes of traffic run in milliseconds.
type Fake[In, Out any] struct {
	mu        sync.Mutex
	out       Out
	latency   time.Duration
	jitter    time.Duration
	errorRate float64
	hold      chan struct{}

	calls, errs atomic.Int64
}

// NewFake returns a fake that answers out at once and never fails.
func NewFake[In, Out any](out Out) *Fake[In, Out] {
	return &Fake[In, Out]{out: out}
}

// SetLatency makes every call take latency plus a uniform random extra
// in [0, jitter).
func (f *Fake[In, Out]) SetLatency(latency, jitter time.Duration) *Fake[In, Out] {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latency, f.jitter = latency, jitter
	return f
}

// SetErrorRate makes exactly that share of calls fail with ErrInjected,
// spread evenly (with rate 0.25 every fourth call fails).
func (f *Fake[In, Out]) SetErrorRate(rate float64) *Fake[In, Out] {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errorRate = min(max(rate, 0), 1)
	return f
}

// SetOutput changes the answer.
func (f *Fake[In, Out]) SetOutput(out Out) *Fake[In, Out] {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.out = out
	return f
}

// Hold makes calls block until Release (or until their context ends).
func (f *Fake[In, Out]) Hold() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hold == nil {
		f.hold = make(chan struct{})
	}
}

// Release lets held calls, and later ones, through.
func (f *Fake[In, Out]) Release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hold != nil {
		close(f.hold)
		f.hold = nil
	}
}

// Calls returns how many calls started.
func (f *Fake[In, Out]) Calls() int64 { return f.calls.Load() }

// Errors returns how many calls failed with ErrInjected.
func (f *Fake[In, Out]) Errors() int64 { return f.errs.Load() }

// Predict waits the latency, then answers or fails.
func (f *Fake[In, Out]) Predict(ctx context.Context, _ In) (Out, error) {
	n := f.calls.Add(1)
	f.mu.Lock()
	out, lat, rate, hold := f.out, f.latency, f.errorRate, f.hold
	if f.jitter > 0 {
		lat += rand.N(f.jitter)
	}
	f.mu.Unlock()
	var zero Out
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
	if lat > 0 {
		t := time.NewTimer(lat)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return zero, ctx.Err()
		}
	}
	// Call n fails when floor(n*rate) grew: an exact, evenly spread share.
	if rate > 0 && int64(float64(n)*rate) > int64(float64(n-1)*rate) {
		f.errs.Add(1)
		return zero, ErrInjected
	}
	return out, nil
}
