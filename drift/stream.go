package drift

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"
	"time"
)

// DefaultWindowSize is the default number of values a Stream keeps.
const DefaultWindowSize = 1000

// MaxWindowSize is the most values a Stream's window may hold (128 MiB of
// slots).
const MaxWindowSize = 1 << 24

// maxUnseen bounds the distinct unseen categories a Stream names; further
// ones share the label OtherUnseen.
const maxUnseen = 64

// OtherUnseen labels unseen categories beyond the first 64 a Stream meets.
const OtherUnseen = "(other unseen)"

// StreamOptions tune NewStream. The zero value (or nil) gives the defaults.
type StreamOptions struct {
	// Size is the most values the window holds, at most MaxWindowSize; it
	// fixes the memory used. Default DefaultWindowSize.
	Size int
	// Window, when positive, makes the window time based: Check looks only
	// at values observed within Window before the clock's current time
	// (and at most the Size newest of them). Default 0: the window is the
	// Size most recent values.
	Window time.Duration
	// Now is the clock used for time-based windows. Default time.Now.
	Now func() time.Time
	// Column selects the method and threshold. Default MethodAuto.
	Column ColumnOptions
}

// Stream compares a sliding window of one column's live values with its
// reference profile. Observe records a value with one atomic increment and
// one or two atomic stores: no lock and no allocation, so it suits serving
// paths and many goroutines at once. Check compares the window as it is
// at that moment; a value being observed concurrently may or may not be
// part of it.
type Stream struct {
	col     ColumnProfile
	opts    StreamOptions
	size    uint64 // values in the window
	mask    uint64 // ring capacity - 1; the capacity is a power of two >= size
	next    atomic.Uint64
	slots   []atomic.Uint64 // float64 bits, or category id for categorical
	times   []atomic.Int64  // unix nanoseconds, time-based windows only
	ids     map[string]uint64
	labels  []string // id -> category; ids beyond the reference are unseen
	unseen  atomic.Pointer[[]string]
	unseenN atomic.Int32
}

const missingID = math.MaxUint32

// emptySlot marks a slot never written (a NaN payload Observe never
// stores), so a Check racing the first Observes skips unwritten slots.
const emptySlot = 0x7ff4_0000_0000_0001

// WindowResult is a Stream's verdict on its current window.
type WindowResult struct {
	ColumnResult
	// Observed counts every value observed since the Stream was created.
	Observed uint64 `json:"observed"`
	// At is the clock's time at the check.
	At time.Time `json:"at"`
}

// NewStream returns a Stream for the named column of the profile.
func NewStream(p *Profile, column string, opts *StreamOptions) (*Stream, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	col, err := p.Column(column)
	if err != nil {
		return nil, err
	}
	var o StreamOptions
	if opts != nil {
		o = *opts
	}
	if o.Size == 0 {
		o.Size = DefaultWindowSize
	}
	if o.Size < 0 || o.Size > MaxWindowSize || o.Window < 0 {
		return nil, fmt.Errorf("%w: window size %d (at most %d), duration %v", ErrInvalid, o.Size, MaxWindowSize, o.Window)
	}
	if t := o.Column.Threshold; t < 0 || math.IsNaN(t) || math.IsInf(t, 0) {
		return nil, fmt.Errorf("%w: threshold %v", ErrInvalid, t)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Column.Method != MethodAuto {
		if err := o.Column.Method.check(col.Kind); err != nil {
			return nil, err
		}
	}
	capacity := uint64(1)
	for capacity < uint64(o.Size) {
		capacity <<= 1
	}
	s := &Stream{col: *col, opts: o, size: uint64(o.Size), mask: capacity - 1, slots: make([]atomic.Uint64, capacity)}
	for i := range s.slots {
		s.slots[i].Store(emptySlot)
	}
	if o.Window > 0 {
		s.times = make([]atomic.Int64, capacity)
	}
	if col.Kind == Categorical {
		s.ids = make(map[string]uint64, len(col.Categorical.Counts))
		for k := range col.Categorical.Counts {
			s.labels = append(s.labels, k)
		}
		slices.Sort(s.labels)
		for i, k := range s.labels {
			s.ids[k] = uint64(i)
		}
		empty := make([]string, 0, maxUnseen+1)
		s.unseen.Store(&empty)
	}
	return s, nil
}

// Kind returns the kind of the stream's column.
func (s *Stream) Kind() Kind { return s.col.Kind }

func (s *Stream) put(bits uint64) {
	i := s.next.Add(1) - 1
	slot := i & s.mask
	// The value lands before its time stamp: a Check that reads the new
	// stamp then reads the new value, never the old value it replaces.
	s.slots[slot].Store(bits)
	if s.times != nil {
		s.times[slot].Store(s.opts.Now().UnixNano())
	}
}

// Observe records a value of a numeric column. NaN and ±Inf are recorded
// and counted as dropped when the window is checked. On a categorical
// stream it does nothing.
func (s *Stream) Observe(v float64) {
	if s.col.Kind != Numeric {
		return
	}
	if v != v {
		v = math.NaN() // canonical payload, never emptySlot
	}
	s.put(math.Float64bits(v))
}

// ObserveBatch records several values of a numeric column, claiming their
// slots with one atomic increment and reading the clock once.
func (s *Stream) ObserveBatch(vs []float64) {
	if s.col.Kind != Numeric || len(vs) == 0 {
		return
	}
	start := s.next.Add(uint64(len(vs))) - uint64(len(vs))
	var now int64
	if s.times != nil {
		now = s.opts.Now().UnixNano()
	}
	// Only the newest Size values of a batch can be in the window.
	skip := 0
	if uint64(len(vs)) > s.size {
		skip = len(vs) - int(s.size)
	}
	for i := skip; i < len(vs); i++ {
		v := vs[i]
		if v != v {
			v = math.NaN()
		}
		slot := (start + uint64(i)) & s.mask
		s.slots[slot].Store(math.Float64bits(v))
		if s.times != nil {
			s.times[slot].Store(now)
		}
	}
}

// ObserveCategory records a value of a categorical column; the empty
// string counts as missing. On a numeric stream it does nothing. A
// category unknown to the reference allocates once, the first time it is
// seen (up to 64 distinct ones, then they share OtherUnseen).
func (s *Stream) ObserveCategory(v string) {
	if s.col.Kind != Categorical {
		return
	}
	if v == "" {
		s.put(missingID)
		return
	}
	if id, ok := s.ids[v]; ok {
		s.put(id)
		return
	}
	s.put(s.unseenID(v))
}

// unseenID returns the id of an unseen category, registering it with a
// copy-on-write update the first time.
func (s *Stream) unseenID(v string) uint64 {
	base := uint64(len(s.labels))
	for {
		cur := s.unseen.Load()
		for i, u := range *cur {
			if u == v {
				return base + uint64(i)
			}
		}
		if len(*cur) >= maxUnseen {
			for i, u := range *cur {
				if u == OtherUnseen {
					return base + uint64(i)
				}
			}
			v = OtherUnseen
		}
		next := append(append(make([]string, 0, len(*cur)+1), *cur...), v)
		if s.unseen.CompareAndSwap(cur, &next) {
			return base + uint64(len(next)-1)
		}
	}
}

// Check compares the current window with the reference. It returns
// ErrEmpty while the window holds no usable value.
func (s *Stream) Check() (WindowResult, error) {
	now := s.opts.Now()
	observed := s.next.Load()
	n := min(observed, s.size)
	cutoff := int64(math.MinInt64)
	if s.times != nil {
		cutoff = now.Add(-s.opts.Window).UnixNano()
	}
	bits := s.window(observed, n, cutoff)
	var b batch
	if s.col.Kind == Numeric {
		vals := make([]float64, len(bits))
		for i, x := range bits {
			vals[i] = math.Float64frombits(x)
		}
		b = numericCurrent(vals)
	} else {
		// Loaded after the slots, so every unseen id read above is named.
		unseen := *s.unseen.Load()
		b = batch{cats: make(map[string]int64)}
		for _, id := range bits {
			b.counts.Rows++
			switch {
			case id == missingID:
				b.counts.NaN++
			case id < uint64(len(s.labels)):
				b.cats[s.labels[id]]++
			case id-uint64(len(s.labels)) < uint64(len(unseen)):
				b.cats[unseen[id-uint64(len(s.labels))]]++
			default:
				b.cats[OtherUnseen]++
			}
		}
		b.counts.Used = b.counts.Rows - b.counts.NaN
	}
	res, err := compareColumn(&s.col, b, s.opts.Column)
	return WindowResult{ColumnResult: res, Observed: observed, At: now}, err
}

// window returns the written slots among the n newest of observed values,
// skipping those stamped at or before cutoff.
func (s *Stream) window(observed, n uint64, cutoff int64) []uint64 {
	out := make([]uint64, 0, n)
	for i := range n {
		slot := (observed - 1 - i) & s.mask
		if s.times != nil && s.times[slot].Load() <= cutoff {
			continue
		}
		if x := s.slots[slot].Load(); x != emptySlot {
			out = append(out, x)
		}
	}
	return out
}
