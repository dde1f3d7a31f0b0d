package deploy

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
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
	_    [64]byte // keep shards on separate cache lines
}

// shards spreads one version's observations over several rings so that
// concurrent requests seldom wait for the same lock.
const shards = 8

type rings [shards]ring

// Window keeps the most recent observations of every version in memory,
// a bounded number per version. It is an Observer (give it to a Router)
// and a Source (give it to a Rollout). Safe for concurrent use.
type Window struct {
	mu     sync.Mutex // serialises adding versions
	per    int        // capacity of one shard
	nshard uint32     // shards in use: 1 for small windows, else shards
	rings  atomic.Pointer[map[string]*rings]
}

// NewWindow returns a window that keeps the newest perVersion
// observations of each version (older ones are forgotten). perVersion
// <= 0 means 100,000. Windows of 8,192 or more are spread over shards
// for concurrency; then eviction is per shard and the count kept is
// perVersion rounded up to a multiple of 8, with the oldest evicted
// first only approximately.
func NewWindow(perVersion int) *Window {
	if perVersion <= 0 {
		perVersion = 100000
	}
	n := 1
	if perVersion >= 8192 {
		n = shards
	}
	w := &Window{per: (perVersion + n - 1) / n, nshard: uint32(n)}
	w.rings.Store(&map[string]*rings{})
	return w
}

func (w *Window) lookup(version string) *rings {
	return (*w.rings.Load())[version]
}

func (w *Window) ring(version string) *rings {
	if r := w.lookup(version); r != nil {
		return r
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	old := *w.rings.Load()
	if r := old[version]; r != nil {
		return r
	}
	m := make(map[string]*rings, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	r := &rings{}
	m[version] = r
	w.rings.Store(&m)
	return r
}

// Observe records one request of version, now.
func (w *Window) Observe(version string, latency time.Duration, err error) {
	w.Record(version, time.Now(), latency, err)
}

// Record records one request of version at the given instant.
func (w *Window) Record(version string, at time.Time, latency time.Duration, err error) {
	rs := w.ring(version)
	r := &rs[0]
	if w.nshard > 1 {
		r = &rs[rand.Uint32()%w.nshard]
	}
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
	rs := w.lookup(version)
	if rs == nil {
		return o, nil
	}
	lo, hi := from.UnixNano(), to.UnixNano()
	for i := range rs {
		r := &rs[i]
		r.mu.Lock()
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
		r.mu.Unlock()
	}
	return o, nil
}
