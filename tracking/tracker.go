package tracking

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os/user"
	"sync"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/logstore"
)

// Layout on the bucket (see the package doc).
const (
	indexDir       = "tracking/experiments"
	experimentsDir = "tracking/experiments/"
	runsDir        = "tracking/runs/"
)

// Options configure a Tracker. The zero value (or nil) gives the defaults.
type Options struct {
	// Logger receives warnings (a checkpoint not written, a run a search
	// skipped because its log is unreadable). Default: discard.
	Logger *slog.Logger
	// User names who acts, for runs created without a user id and for the
	// log entries. Default: the operating-system user name of the process.
	User func(ctx context.Context) string
	// CheckpointEvery writes the folded state of a log every N entries.
	// Default 64; negative disables checkpoints.
	CheckpointEvery int
	// MaxStaleness is how old a cached state may be before a read consults
	// the log (writes through this Tracker update the cache at once).
	// Default 1s; negative makes every read consult the log.
	MaxStaleness time.Duration
	// Now is the clock for times the tracker fills in. Default time.Now.
	Now func() time.Time
}

// Tracker records experiments, runs, params, tags, metric series and run
// artifacts on an artifact store's bucket.
type Tracker struct {
	store  *artifact.Store
	bucket *artifact.Bucket
	log    *slog.Logger
	user   func(ctx context.Context) string
	every  int
	stale  time.Duration
	now    func() time.Time

	index *logstore.Folded[*indexState]

	mu   sync.Mutex
	exps map[string]*logstore.Folded[*runList]
	runs map[string]*logstore.Folded[*runState]
}

// Open returns a tracker on store's bucket. Nothing is read until used;
// closing the store remains the caller's business.
func Open(ctx context.Context, store *artifact.Store, opts *Options) (*Tracker, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: nil store", ErrInvalidParameter)
	}
	if opts == nil {
		opts = &Options{}
	}
	t := &Tracker{
		store: store, bucket: store.Bucket(), log: opts.Logger, user: opts.User,
		every: opts.CheckpointEvery, stale: opts.MaxStaleness, now: opts.Now,
		exps: map[string]*logstore.Folded[*runList]{}, runs: map[string]*logstore.Folded[*runState]{},
	}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.stale == 0 {
		t.stale = time.Second
	}
	if t.now == nil {
		t.now = time.Now
	}
	if t.user == nil {
		name := "unknown"
		if u, err := user.Current(); err == nil && u.Username != "" {
			name = u.Username
		}
		t.user = func(context.Context) string { return name }
	}
	lg, err := logstore.Open(t.bucket, indexDir)
	if err != nil {
		return nil, fmt.Errorf("tracking: %w", err)
	}
	t.index, err = logstore.NewFolded(lg, logstore.Fold[*indexState]{
		Empty: newIndexState, Clone: (*indexState).clone, Apply: (*indexState).applyEntry,
		Encode: (*indexState).marshalCheckpoint,
		Decode: func(_ uint64, data []byte) (*indexState, error) { return unmarshalIndexCheckpoint(data) },
		Every:  t.every, Logger: t.log,
	})
	if err != nil {
		return nil, fmt.Errorf("tracking: %w", err)
	}
	return t, nil
}

func (t *Tracker) nowMs() int64 { return t.now().UnixMilli() }

func (t *Tracker) runLog(id string) (*logstore.Folded[*runState], error) {
	if err := validID("run id", id); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if f := t.runs[id]; f != nil {
		return f, nil
	}
	lg, err := logstore.Open(t.bucket, runsDir+id)
	if err != nil {
		return nil, fmt.Errorf("tracking: %w", err)
	}
	f, err := logstore.NewFolded(lg, logstore.Fold[*runState]{
		Empty: func() *runState { return newRunState(id) }, Clone: (*runState).clone, Apply: (*runState).applyEntry,
		Encode: (*runState).marshalCheckpoint,
		Decode: func(_ uint64, data []byte) (*runState, error) { return unmarshalRunCheckpoint(id, data) },
		Every:  t.every, Logger: t.log,
	})
	if err != nil {
		return nil, fmt.Errorf("tracking: %w", err)
	}
	t.runs[id] = f
	return f, nil
}

func (t *Tracker) runListLog(exp string) (*logstore.Folded[*runList], error) {
	if err := validID("experiment id", exp); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if f := t.exps[exp]; f != nil {
		return f, nil
	}
	lg, err := logstore.Open(t.bucket, experimentsDir+exp)
	if err != nil {
		return nil, fmt.Errorf("tracking: %w", err)
	}
	f, err := logstore.NewFolded(lg, logstore.Fold[*runList]{
		Empty: func() *runList { return &runList{exp: exp} }, Clone: (*runList).clone, Apply: (*runList).applyEntry,
		Encode: (*runList).marshalCheckpoint,
		Decode: func(_ uint64, data []byte) (*runList, error) { return unmarshalRunListCheckpoint(exp, data) },
		Every:  t.every, Logger: t.log,
	})
	if err != nil {
		return nil, fmt.Errorf("tracking: %w", err)
	}
	t.exps[exp] = f
	return f, nil
}

func wrapConflict(err error, what string) error {
	if errors.Is(err, logstore.ErrConflict) {
		return fmt.Errorf("tracking: %s: %w", what, err)
	}
	return err
}

// newRunID returns 32 random hex digits, as MLflow's run ids are.
func newRunID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
