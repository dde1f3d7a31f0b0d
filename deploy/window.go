package deploy

import (
	"context"
	"sync"
	"time"
)

// Observations are what a version did in a time range.
type Observations struct {
	// Latencies of the successful requests, in seconds.
	Latencies []float64
	// Errors and Total count requests (Total includes errors).
	Errors, Total int64
}

// ErrorRate returns Errors/Total, or NaN when there are no requests.
func (o Observations) ErrorRate() float64 {
	if o.Total == 0 {
		return nan()
	}
	return float64(o.Errors) / float64(o.Total)
}

// Source gives the observations of a version between two instants.
// Window is the in-process implementation; a Prometheus-backed check
// (PromCheck) does not need one.
type Source interface {
	Observations(ctx context.Context, version string, from, to time.Time) (Observations, error)
}

type obs struct {
	at  int64 // unix nanoseconds
	lat float64
	err bool
}

type ring struct {
	mu   sync.Mutex
	buf  []obs
	next int
	full bool
}

// Window keeps the most recent observations of every version in memory,
// a bounded number per version. It is an Observer (give it to a Router)
// and a Source (give it to a Rollout). Safe for concurrent use.
type Window struct {
	mu    sync.RWMutex
	per   int
	rings map[string]*ring
}

// NewWindow returns a window that keeps up to perVersion observations
// of each version (older ones are forgotten). perVersion <= 0 means
// 100,000.
func NewWindow(perVersion int) *Window {
	if perVersion <= 0 {
		perVersion = 100000
	}
	return &Window{per: perVersion, rings: map[string]*ring{}}
}

func (w *Window) ring(version string) *ring {
	w.mu.RLock()
	r := w.rings[version]
	w.mu.RUnlock()
	if r != nil {
		return r
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if r = w.rings[version]; r == nil {
		r = &ring{buf: make([]obs, 0, min(w.per, 1024))}
		w.rings[version] = r
	}
	return r
}

// Observe records one request of version, now.
func (w *Window) Observe(version string, latency time.Duration, err error) {
	w.Record(version, time.Now(), latency, err)
}

// Record records one request of version at the given instant.
func (w *Window) Record(version string, at time.Time, latency time.Duration, err error) {
	r := w.ring(version)
	o := obs{at: at.UnixNano(), lat: latency.Seconds(), err: err != nil}
	r.mu.Lock()
	if len(r.buf) < w.per {
		r.buf = append(r.buf, o)
	} else {
		r.buf[r.next] = o
		r.next = (r.next + 1) % w.per
	}
	r.mu.Unlock()
}

// Observations returns the requests of version in [from, to).
func (w *Window) Observations(_ context.Context, version string, from, to time.Time) (Observations, error) {
	var o Observations
	w.mu.RLock()
	r := w.rings[version]
	w.mu.RUnlock()
	if r == nil {
		return o, nil
	}
	lo, hi := from.UnixNano(), to.UnixNano()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.buf {
		if x.at < lo || x.at >= hi {
			continue
		}
		o.Total++
		if x.err {
			o.Errors++
		} else {
			o.Latencies = append(o.Latencies, x.lat)
		}
	}
	return o, nil
}
