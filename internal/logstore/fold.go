package logstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sextant-ml/sextant/artifact"
)

// DefaultCheckpointEvery is the checkpoint interval of a Fold that sets none.
const DefaultCheckpointEvery = 64

// Fold describes how the entries of a log fold into a state of type S.
//
// S is usually a pointer. A state a Folded has handed out is never changed
// again: Apply only ever works on a copy made by Clone, so readers may keep
// and read a state without a lock.
type Fold[S any] struct {
	// Empty returns the state of a log without entries. Required.
	Empty func() S
	// Clone returns a copy of s that Apply may change without touching s.
	// Required.
	Clone func(s S) S
	// Apply folds entry e (whose number follows the last one folded) into
	// s, in place. An error stops the fold and is returned as is by the
	// call that was folding; s is then discarded. Required.
	Apply func(s S, e Entry) error
	// Encode returns the checkpoint of s. Nil disables checkpoints.
	Encode func(s S) ([]byte, error)
	// Decode returns the state stored in checkpoint seq. Any error (the
	// data does not parse, breaks an invariant, or has a format this
	// reader does not know) makes the checkpoint a cache miss: it is
	// skipped with a warning and the state is folded from the log, which
	// is the truth. Nil disables checkpoints.
	Decode func(seq uint64, data []byte) (S, error)
	// Every is the number of entries between two checkpoints: an Append
	// whose entry number is a multiple of Every writes one, and so does a
	// reader with an empty cache that had to fold at least Every entries.
	// Default DefaultCheckpointEvery; negative disables checkpoints, for
	// reading as well as writing.
	Every int
	// Logger receives warnings: a checkpoint skipped or not written.
	// Default: discard.
	Logger *slog.Logger
}

// Folded is a log together with its folded state: a cached snapshot that
// reads share, refreshed from the log incrementally (from the newest
// checkpoint when the cache is empty), and appends that fold what they
// missed before building their entry.
//
// A Folded is safe for concurrent use. Within one process it admits one
// Append at a time (appends of one process would only race each other for
// the same number); any number of processes may append to the same log.
type Folded[S any] struct {
	log     *Log
	f       Fold[S]
	every   int
	logger  *slog.Logger
	cur     atomic.Pointer[snapshot[S]]
	refresh sync.Mutex    // one refresh at a time
	writing chan struct{} // one Append at a time
}

// snapshot is a folded state and the entry it folds up to.
type snapshot[S any] struct {
	st  S
	seq uint64
	at  time.Time // when the log was last known to hold nothing newer
}

// NewFolded returns the folded view of l described by f. Nothing is read.
func NewFolded[S any](l *Log, f Fold[S]) (*Folded[S], error) {
	if l == nil || f.Empty == nil || f.Clone == nil || f.Apply == nil {
		return nil, errors.New("logstore: a folded log needs a log and the functions Empty, Clone and Apply")
	}
	every := f.Every
	if every == 0 {
		every = DefaultCheckpointEvery
	}
	if f.Encode == nil || f.Decode == nil {
		every = -1
	}
	logger := f.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Folded[S]{log: l, f: f, every: every, logger: logger, writing: make(chan struct{}, 1)}, nil
}

// Log returns the underlying log, for reading its entries.
func (f *Folded[S]) Log() *Log { return f.log }

// Cached returns the cached state and the entry it folds up to, without
// reading anything; ok is false before the first read.
func (f *Folded[S]) Cached() (st S, seq uint64, ok bool) {
	if s := f.cur.Load(); s != nil {
		return s.st, s.seq, true
	}
	return st, 0, false
}

// State returns the folded state. The cache serves it when it was known to
// be current less than maxAge ago; otherwise (and always when maxAge is
// zero or negative) the log is read for entries the cache lacks.
func (f *Folded[S]) State(ctx context.Context, maxAge time.Duration) (S, error) {
	if s := f.cur.Load(); s != nil && maxAge > 0 && time.Since(s.at) < maxAge {
		return s.st, nil
	}
	return f.Refresh(ctx)
}

// Refresh folds the entries appended since the cached snapshot (or, with an
// empty cache, since the newest checkpoint) and caches the result.
// Concurrent calls share one read of the log.
func (f *Folded[S]) Refresh(ctx context.Context) (S, error) {
	start := time.Now()
	f.refresh.Lock()
	defer f.refresh.Unlock()
	base := f.cur.Load()
	if base != nil && base.at.After(start) {
		return base.st, nil // another caller refreshed while this one waited
	}
	cold := base == nil
	if cold {
		var err error
		if base, err = f.loadCheckpoint(ctx); err != nil {
			var zero S
			return zero, err
		}
	}
	entries, err := f.log.Read(ctx, base.seq)
	if err != nil {
		var zero S
		return zero, err
	}
	st, seq, err := f.fold(base, entries)
	if err != nil {
		var zero S
		return zero, err
	}
	f.publish(st, seq, start)
	if cold && f.every > 0 && len(entries) >= f.every {
		// A cold reader folded a long tail: leave a checkpoint for the next.
		f.writeCheckpoint(ctx, st, seq)
	}
	return st, nil
}

// At returns the state as of entry seq: the cache when it is at seq, else
// folded from the newest checkpoint not past seq (or from the start).
// Entries after seq are not read into the state, so a damaged entry later
// in the log does not keep the state before it from being read. A seq past
// the end of the log gives the state at the end.
func (f *Folded[S]) At(ctx context.Context, seq uint64) (S, error) {
	var zero S
	if s := f.cur.Load(); s != nil && s.seq == seq {
		return s.st, nil
	}
	base, err := f.loadCheckpoint(ctx)
	if err != nil {
		return zero, err
	}
	if base.seq > seq {
		base = &snapshot[S]{st: f.f.Empty()}
	}
	entries, err := f.log.Read(ctx, base.seq)
	if err != nil {
		return zero, err
	}
	if ahead := seq - base.seq; ahead < uint64(len(entries)) {
		entries = entries[:ahead]
	}
	st, _, err := f.fold(base, entries)
	if err != nil {
		return zero, err
	}
	return st, nil
}

// Append writes the entry that build returns for the state at the head of
// the log, and returns the state with that entry folded in, and the entry.
//
// The cached state is the starting point (an empty cache is filled first).
// When the log holds entries the cache lacks, or another writer takes the
// number first, those entries are folded into a private copy and build is
// called again on it, so that it can check its change against the state it
// will follow; build must not change the state it is given. An error from
// build or Apply aborts the Append and is returned as is; entries folded
// before it stay in the cache. Append is idempotent as Log.Append is.
func (f *Folded[S]) Append(ctx context.Context, build func(s S) ([]byte, error)) (S, Entry, error) {
	var zero S
	select {
	case f.writing <- struct{}{}:
	case <-ctx.Done():
		return zero, Entry{}, ctx.Err()
	}
	defer func() { <-f.writing }()
	// Log.Append reads whatever the cache lacks, so a stale snapshot is as
	// good a base as a fresh one; only an empty cache needs loading first.
	base := f.cur.Load()
	if base == nil {
		if _, err := f.Refresh(ctx); err != nil {
			return zero, Entry{}, err
		}
		base = f.cur.Load()
	}
	work, seq := f.f.Clone(base.st), base.seq
	start := time.Now()
	broken := false
	e, err := f.log.Append(ctx, seq, func(newer []Entry) ([]byte, error) {
		for _, e := range newer {
			if e.Seq <= seq {
				continue
			}
			if err := f.f.Apply(work, e); err != nil {
				broken = true
				return nil, err
			}
			seq = e.Seq
		}
		return build(work)
	})
	if err != nil {
		if !broken && seq > base.seq {
			f.publish(work, seq, start) // what was folded stays useful
		}
		return zero, Entry{}, err
	}
	if err := f.f.Apply(work, e); err != nil {
		return zero, Entry{}, fmt.Errorf("logstore: %s: the entry just appended does not fold: %w", f.log.dir, err)
	}
	f.publish(work, e.Seq, start)
	if f.every > 0 && e.Seq%uint64(f.every) == 0 {
		f.writeCheckpoint(ctx, work, e.Seq)
	}
	return work, e, nil
}

// fold applies entries to a copy of base's state; with no entries it
// returns base's state itself.
func (f *Folded[S]) fold(base *snapshot[S], entries []Entry) (S, uint64, error) {
	if len(entries) == 0 {
		return base.st, base.seq, nil
	}
	st, seq := f.f.Clone(base.st), base.seq
	for _, e := range entries {
		if e.Seq <= seq {
			continue
		}
		if err := f.f.Apply(st, e); err != nil {
			var zero S
			return zero, 0, err
		}
		seq = e.Seq
	}
	return st, seq, nil
}

// loadCheckpoint returns the newest checkpoint's state, or the empty state
// when there is none, checkpoints are disabled, or it does not decode. Only
// a failure to list or read checkpoints is an error.
func (f *Folded[S]) loadCheckpoint(ctx context.Context) (*snapshot[S], error) {
	empty := &snapshot[S]{st: f.f.Empty()}
	if f.every < 0 {
		return empty, nil
	}
	seq, data, err := f.log.LatestCheckpoint(ctx)
	if errors.Is(err, ErrNoCheckpoint) {
		return empty, nil
	}
	if err != nil {
		return nil, err
	}
	st, err := f.f.Decode(seq, data)
	if err != nil {
		// A checkpoint is a cache of the log: a bad one costs a longer fold,
		// never a lost entry.
		f.logger.WarnContext(ctx, "logstore: ignoring unreadable checkpoint, folding the log from its start",
			"log", f.log.dir, "seq", seq, "err", err)
		return empty, nil
	}
	return &snapshot[S]{st: st, seq: seq}, nil
}

// writeCheckpoint stores st as the checkpoint at seq. Losing the race to
// another writer is fine: both folded the same entries.
func (f *Folded[S]) writeCheckpoint(ctx context.Context, st S, seq uint64) {
	data, err := f.f.Encode(st)
	if err == nil {
		err = f.log.WriteCheckpoint(ctx, seq, data)
	}
	if err != nil && !errors.Is(err, artifact.ErrExist) {
		f.logger.WarnContext(ctx, "logstore: checkpoint not written", "log", f.log.dir, "seq", seq, "err", err)
	}
}

// publish makes st the cached snapshot unless a newer one is there already.
func (f *Folded[S]) publish(st S, seq uint64, at time.Time) {
	next := &snapshot[S]{st: st, seq: seq, at: at}
	for {
		old := f.cur.Load()
		if old != nil && (old.seq > seq || old.seq == seq && !at.After(old.at)) {
			return
		}
		if f.cur.CompareAndSwap(old, next) {
			return
		}
	}
}
