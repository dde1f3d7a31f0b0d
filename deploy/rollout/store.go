package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/errkind"
	"github.com/sextant-ml/sextant/internal/logstore"
)

var (
	// ErrNoState reports that a store holds no rollout state yet.
	ErrNoState = errkind.New("rollout: no rollout state", fs.ErrNotExist)
	// ErrCorrupt reports a saved rollout state that cannot be decoded; such
	// errors also match ErrInvalid. It is the same value as
	// registry.ErrCorruptEntry, dataset.ErrCorruptLog and pipeline.ErrCorrupt.
	ErrCorrupt = logstore.ErrCorrupt
	// ErrUnsupported reports a saved rollout state in a format only a newer
	// version of this package reads; such errors also match ErrInvalid. It
	// is the same value as the registry's, dataset's and pipeline's.
	ErrUnsupported = logstore.ErrUnsupported
	// ErrConflict reports a Save refused because the store already holds a
	// state of the same rollout at the same or a newer revision: another
	// process decided for the rollout meanwhile. The error is a
	// *ConflictError.
	ErrConflict = errors.New("rollout: rollout state saved by another decider")
)

// ConflictError is the error of a Save that another decider overtook.
type ConflictError struct {
	Rollout string // the store's name
	// Saved is the revision the store holds, Attempted the one refused.
	Saved, Attempted int64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%v: rollout %q holds revision %d, this save has %d", ErrConflict, e.Rollout, e.Saved, e.Attempted)
}

// Is makes a ConflictError match ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Store persists a rollout's state so that a restarted process resumes
// where the rollout was. BlobStore is the bucket-backed implementation.
type Store interface {
	// Load returns the saved state, or an error matching ErrNoState.
	Load(ctx context.Context) (State, error)
	// Save replaces the saved state.
	Save(ctx context.Context, st State) error
}

// stateFormat is the version of the entry and checkpoint envelope.
const stateFormat = 1

// stateEnvelope is one log entry (and the checkpoint): a saved state.
type stateEnvelope struct {
	V     int    `json:"v"`
	State *State `json:"state"`
}

// saved is a rollout's log folded: the newest state, if any.
type saved struct {
	st State
	ok bool
}

// BlobStore keeps a rollout's states on a bucket as an append-only log
// (internal/logstore) under deployments/<name>/: each Save appends the
// state with a create-only write, Load returns the newest, History every
// one. Any number of processes may read it; a Save that another process
// overtook fails with a *ConflictError instead of overwriting its decision.
// A BlobStore is safe for concurrent use.
type BlobStore struct {
	name string
	log  *logstore.Folded[*saved]
}

// BlobStoreOptions configure a BlobStore. The zero value (or nil) gives
// the defaults.
type BlobStoreOptions struct {
	// Logger receives warnings (a checkpoint skipped or not written).
	// Default: discard.
	Logger *slog.Logger
}

// NewBlobStore returns the store of the rollout called name (one path
// segment, see artifact.ValidateKey) on bucket, under deployments/<name>/.
// Nothing is read. The bucket stays owned by the caller.
func NewBlobStore(bucket *artifact.Bucket, name string, opts *BlobStoreOptions) (*BlobStore, error) {
	if bucket == nil || name == "" {
		return nil, fmt.Errorf("%w: blob store needs a bucket and a rollout name", ErrInvalid)
	}
	if strings.Contains(name, "/") {
		return nil, fmt.Errorf("%w: rollout name %q has a slash", ErrInvalid, name)
	}
	if err := artifact.ValidateKey(name); err != nil {
		return nil, fmt.Errorf("%w: rollout name: %w", ErrInvalid, err)
	}
	if opts == nil {
		opts = &BlobStoreOptions{}
	}
	l, err := logstore.Open(bucket, "deployments/"+name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	s := &BlobStore{name: name}
	f, err := logstore.NewFolded(l, logstore.Fold[*saved]{
		Empty:  func() *saved { return &saved{} },
		Clone:  func(s *saved) *saved { c := *s; return &c },
		Apply:  s.apply,
		Encode: func(s *saved) ([]byte, error) { return json.Marshal(stateEnvelope{V: stateFormat, State: &s.st}) },
		Decode: func(seq uint64, data []byte) (*saved, error) {
			st, err := s.decode("checkpoint", seq, data)
			return &saved{st: st, ok: true}, err
		},
		Logger: opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	s.log = f
	return s, nil
}

// Load returns the newest saved state.
func (s *BlobStore) Load(ctx context.Context) (State, error) {
	cur, err := s.log.State(ctx, 0)
	if err != nil {
		return State{}, s.readErr(err)
	}
	if !cur.ok {
		return State{}, fmt.Errorf("%w for rollout %q", ErrNoState, s.name)
	}
	return cur.st, nil
}

// Save appends st as the rollout's newest state. It fails with a
// *ConflictError when the store holds a state of the same rollout (model,
// stable and canary) whose revision is st's or newer; a state of another
// rollout is replaced whatever its revision.
func (s *BlobStore) Save(ctx context.Context, st State) error {
	data, err := json.Marshal(stateEnvelope{V: stateFormat, State: &st})
	if err != nil {
		return fmt.Errorf("rollout: encoding rollout state: %w", err)
	}
	_, _, err = s.log.Append(ctx, func(cur *saved) ([]byte, error) {
		if cur.ok && cur.st.Model == st.Model && cur.st.Stable == st.Stable && cur.st.Canary == st.Canary && cur.st.Revision >= st.Revision {
			return nil, &ConflictError{Rollout: s.name, Saved: cur.st.Revision, Attempted: st.Revision}
		}
		return data, nil
	})
	if err != nil {
		var c *ConflictError
		if errors.As(err, &c) || errors.Is(err, ErrInvalid) {
			return err
		}
		return fmt.Errorf("rollout: writing rollout state %q: %w", s.name, err)
	}
	return nil
}

// History returns every state saved, oldest first, read from the log
// itself. At a damaged entry it returns the states before it and the error.
func (s *BlobStore) History(ctx context.Context) ([]State, error) {
	entries, err := s.log.Log().Read(ctx, 0)
	if err != nil {
		return nil, s.readErr(err)
	}
	out := make([]State, 0, len(entries))
	fold := &saved{}
	for _, e := range entries {
		if err := s.apply(fold, e); err != nil {
			return out, err
		}
		out = append(out, fold.st)
	}
	return out, nil
}

// apply folds one log entry: the state it holds becomes the newest.
func (s *BlobStore) apply(into *saved, e logstore.Entry) error {
	st, err := s.decode("entry", e.Seq, e.Data)
	if err != nil {
		return err
	}
	into.st, into.ok = st, true
	return nil
}

// decode reads one entry or checkpoint. Its errors match ErrInvalid and
// ErrCorrupt or ErrUnsupported.
func (s *BlobStore) decode(what string, seq uint64, data []byte) (State, error) {
	var env stateEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return State{}, fmt.Errorf("%w (%w): rollout %q %s %d: %v", ErrInvalid, ErrCorrupt, s.name, what, seq, err)
	}
	if env.V > stateFormat {
		return State{}, fmt.Errorf("%w (%w): rollout %q %s %d has format %d, this package reads %d",
			ErrInvalid, ErrUnsupported, s.name, what, seq, env.V, stateFormat)
	}
	if env.V < 1 || env.State == nil {
		return State{}, fmt.Errorf("%w (%w): rollout %q %s %d has no format version or no state", ErrInvalid, ErrCorrupt, s.name, what, seq)
	}
	return *env.State, nil
}

// readErr names the store in a read error; decoding errors already do.
func (s *BlobStore) readErr(err error) error {
	if errors.Is(err, ErrInvalid) {
		return err
	}
	return fmt.Errorf("rollout: reading rollout state %q: %w", s.name, err)
}

// Follow makes a replica follow a rollout that another replica drives:
// every interval it reads the state from store and, when the revision
// changed, applies the traffic split to traffic and calls onChange (which
// may be nil). A failed read is tried again at the next interval, the
// replica keeping its last split meanwhile. It returns when ctx is done
// (with ctx's error), when the rollout reached a final phase (with nil),
// or when traffic refuses the split read (with that error).
func Follow(ctx context.Context, store Store, traffic Traffic, interval time.Duration, onChange func(State)) error {
	if store == nil || traffic == nil || interval <= 0 {
		return fmt.Errorf("%w: follow needs a store, a traffic splitter and a positive interval", ErrInvalid)
	}
	last := int64(-1)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		st, err := store.Load(ctx)
		switch {
		case errors.Is(err, ErrNoState):
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
		case st.Revision != last:
			last = st.Revision
			if err := traffic.SetCanary(st.Stable, st.Canary, st.Weight); err != nil {
				return err
			}
			if onChange != nil {
				onChange(st)
			}
			if st.Phase.Final() {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
