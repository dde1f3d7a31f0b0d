package monitor

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Latencies in the window are counted in log-scale buckets: bucket 0 holds
// everything under latUnit, then each octave above latUnit is split into
// latSub buckets of equal width, up to latOctaves octaves (about 73 minutes);
// longer latencies land in the last bucket. A quantile read from the buckets
// is within one bucket, at most 1/8 of the value, of the true one.
const (
	latUnitShift = 10 // latUnit = 1024ns
	latSubBits   = 3
	latSub       = 1 << latSubBits
	latOctaves   = 32
	latBuckets   = 1 + latOctaves*latSub
)

func latBucket(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	x := uint64(d) >> latUnitShift
	if x == 0 {
		return 0
	}
	oct := bits.Len64(x) - 1
	if oct >= latOctaves {
		return latBuckets - 1
	}
	var sub uint64
	if oct >= latSubBits {
		sub = (x >> (oct - latSubBits)) & (latSub - 1)
	} else {
		sub = (x << (latSubBits - oct)) & (latSub - 1)
	}
	return 1 + oct*latSub + int(sub)
}

// latBounds returns the lower and upper bound of bucket i in nanoseconds.
func latBounds(i int) (lo, hi float64) {
	if i == 0 {
		return 0, 1 << latUnitShift
	}
	oct, sub := (i-1)/latSub, (i-1)%latSub
	base := math.Ldexp(1, oct+latUnitShift)
	w := base / latSub
	return base + float64(sub)*w, base + float64(sub+1)*w
}

// slot counts one stretch of time. Atomic read-modify-writes are the cost
// of the hot path, so a successful prediction does two: one on counts
// (successes in the low 32 bits, errors and timeouts in the high 32) and
// one on its latency bucket. Latencies are kept for successes only. Other
// outcomes do one or two on counts and rare.
type slot struct {
	epoch  atomic.Int64
	counts atomic.Uint64
	rare   [numOutcomes]atomic.Uint64 // timeout, canceled, rejected only
	hist   [latBuckets]atomic.Uint64  // successes only
	sample []atomic.Int64             // latency+1 in ns of successes; 0 means empty
}

const (
	okOne    = 1
	errorOne = 1 << 32
	okMask   = errorOne - 1
)

// window is a ring of slots, each covering res of time.
type window struct {
	res   int64 // slot width in ns
	slots []slot
	mu    sync.Mutex // serialises slot rotation
}

func newWindow(span time.Duration, n, sample int) *window {
	w := &window{res: int64(span) / int64(n), slots: make([]slot, n)}
	for i := range w.slots {
		w.slots[i].sample = make([]atomic.Int64, sample)
	}
	return w
}

func (w *window) slotFor(e int64) *slot {
	n := int64(len(w.slots))
	return &w.slots[((e%n)+n)%n]
}

func (w *window) record(now int64, d time.Duration, o Outcome) {
	e := now / w.res
	s := w.slotFor(e)
	if cur := s.epoch.Load(); cur != e {
		if cur > e {
			return // a late record for a slot already reused
		}
		w.rotate(s, e)
	}
	if o != OutcomeOK {
		// counts before rare, and read in the opposite order, so a
		// reader never sees more timeouts than errors.
		if o.isError() {
			s.counts.Add(errorOne)
		}
		if o >= OutcomeTimeout {
			s.rare[o].Add(1)
		}
		return
	}
	n := s.counts.Add(okOne) & okMask
	s.hist[latBucket(d)].Add(1)
	k := uint64(len(s.sample))
	switch {
	case n <= k:
		s.sample[n-1].Store(int64(d) + 1)
	default:
		if j := rand.Uint64N(n); j < k {
			s.sample[j].Store(int64(d) + 1)
		}
	}
}

func (w *window) rotate(s *slot, e int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s.epoch.Load() >= e {
		return
	}
	s.counts.Store(0)
	for i := range s.rare {
		s.rare[i].Store(0)
	}
	for i := range s.hist {
		s.hist[i].Store(0)
	}
	for i := range s.sample {
		s.sample[i].Store(0)
	}
	s.epoch.Store(e)
}

// WindowStats summarises the predictions of one model version that
// finished within a stretch of the sliding window. Counts cover every
// outcome; latencies (Mean, Quantile, Latencies) cover successful
// predictions only, so that fast failures cannot flatter a canary. (The
// Prometheus histogram, sextant_prediction_duration_seconds, times every
// outcome.)
type WindowStats struct {
	// Span is the length of time the statistics cover. For Window it is
	// at most Options.Window and at least Options.Window minus one slot.
	Span time.Duration
	// Requests is the number of predictions finished, every outcome.
	Requests uint64
	// Errors is the number of predictions whose outcome was Error or
	// Timeout.
	Errors uint64
	// ByOutcome counts predictions per outcome, indexed by Outcome.
	ByOutcome [numOutcomes]uint64
	// Mean is the mean latency of successful predictions, estimated from
	// bucket midpoints (within 1/16 of the true mean); zero when there
	// were none.
	Mean time.Duration
	// Latencies is a random sample of the latencies of successful
	// predictions: up to Options.WindowSample per slot, uniform within
	// each slot. Use it for rank tests between two versions.
	Latencies []time.Duration

	hist []uint64
}

// ErrorRate returns Errors/Requests, or NaN when there were no requests,
// so that no data can never pass a threshold by accident.
func (s WindowStats) ErrorRate() float64 {
	if s.Requests == 0 {
		return math.NaN()
	}
	return float64(s.Errors) / float64(s.Requests)
}

// Quantile returns the latency quantile q (0 to 1) of successful
// predictions. While Latencies holds every successful latency (no slot
// saw more than Options.WindowSample) it is exact, the nearest-rank
// quantile; beyond that it is interpolated within log-scale buckets of
// 1/8 octave. ok is false when there were no successful predictions or q
// is out of range.
func (s WindowStats) Quantile(q float64) (d time.Duration, ok bool) {
	if s.Requests == 0 || !(q >= 0 && q <= 1) {
		return 0, false
	}
	if n := len(s.Latencies); n > 0 && uint64(n) == s.ByOutcome[OutcomeOK] {
		sorted := slices.Clone(s.Latencies)
		slices.Sort(sorted)
		return sorted[max(0, int(math.Ceil(q*float64(n)))-1)], true
	}
	if len(s.hist) == 0 { // made by hand, with a partial sample
		return 0, false
	}
	var total uint64
	for _, c := range s.hist {
		total += c
	}
	if total == 0 {
		return 0, false
	}
	rank := q * float64(total)
	var cum float64
	for i, c := range s.hist {
		if c == 0 {
			continue
		}
		next := cum + float64(c)
		if rank <= next {
			lo, hi := latBounds(i)
			frac := (rank - cum) / float64(c)
			return time.Duration(lo + (hi-lo)*frac), true
		}
		cum = next
	}
	lo, _ := latBounds(latBuckets - 1)
	return time.Duration(lo), true
}

// read sums the retained slots that overlap [from, to), at time now.
func (w *window) read(now, from, to int64) WindowStats {
	e := now / w.res
	n := int64(len(w.slots))
	lo := (e - n + 1) * w.res
	if from > lo {
		lo = floorDiv(from, w.res) * w.res
	}
	hi := now
	if to < now {
		hi = min(-floorDiv(-to, w.res)*w.res, now) // to rounded up to a slot end
	}
	st := WindowStats{hist: make([]uint64, latBuckets)}
	if hi > lo {
		st.Span = time.Duration(hi - lo)
	}
	for i := range w.slots {
		s := &w.slots[i]
		ep := s.epoch.Load()
		if ep > e || ep <= e-n {
			continue
		}
		if start := ep * w.res; start+w.res <= from || start >= to {
			continue
		}
		timeout, canceled, rejected := s.rare[OutcomeTimeout].Load(), s.rare[OutcomeCanceled].Load(), s.rare[OutcomeRejected].Load()
		c := s.counts.Load()
		ok, errs := c&okMask, c>>32
		timeout = min(timeout, errs) // a slot being reset under us
		st.Requests += ok + errs + canceled + rejected
		st.Errors += errs
		st.ByOutcome[OutcomeOK] += ok
		st.ByOutcome[OutcomeError] += errs - timeout
		st.ByOutcome[OutcomeTimeout] += timeout
		st.ByOutcome[OutcomeCanceled] += canceled
		st.ByOutcome[OutcomeRejected] += rejected
		for j := range s.hist {
			st.hist[j] += s.hist[j].Load()
		}
		for j := range s.sample {
			if v := s.sample[j].Load(); v > 0 {
				st.Latencies = append(st.Latencies, time.Duration(v-1))
			}
		}
	}
	var sum, count float64
	for i, c := range st.hist {
		if c > 0 {
			lo, hi := latBounds(i)
			sum += float64(c) * (lo + hi) / 2
			count += float64(c)
		}
	}
	if count > 0 {
		st.Mean = time.Duration(sum / count)
	}
	return st
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Window returns the statistics of a model version over the whole sliding
// window (Options.Window) ending now. A version never seen returns zero
// statistics (Requests == 0).
func (m *Metrics) Window(model, version string) WindowStats {
	if s := m.lookup(model, version); s != nil {
		return s.Window()
	}
	return WindowStats{}
}

// Range returns the statistics of a model version over [from, to), at the
// resolution of a slot (Options.Window/Options.WindowSlots): every slot
// that overlaps the range counts whole, so the range is rounded out to
// slot boundaries. Only the last Options.Window is retained, so older
// parts of the range contribute nothing. Span is the time the counted
// slots cover, up to now.
func (m *Metrics) Range(model, version string, from, to time.Time) WindowStats {
	if s := m.lookup(model, version); s != nil {
		return s.Range(from, to)
	}
	return WindowStats{}
}

func (m *Metrics) lookup(model, version string) *Series {
	if m == nil {
		return nil
	}
	m.seriesMu.RLock()
	defer m.seriesMu.RUnlock()
	return m.series[seriesKey{label(model), label(version)}]
}

// Window returns the statistics of the series over the sliding window.
func (s *Series) Window() WindowStats {
	if s == nil {
		return WindowStats{}
	}
	now := s.clock()
	return s.window.read(now, math.MinInt64, math.MaxInt64)
}

// Range returns the statistics of the series over [from, to); see
// Metrics.Range.
func (s *Series) Range(from, to time.Time) WindowStats {
	if s == nil {
		return WindowStats{}
	}
	return s.window.read(s.clock(), from.UnixNano(), to.UnixNano())
}
