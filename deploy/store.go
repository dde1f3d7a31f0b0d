package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// ErrNoState reports that a store holds no rollout state yet.
var ErrNoState = errors.New("deploy: no rollout state")

// Store persists a rollout's state so that a restarted process resumes
// where the rollout was. BlobStore is the bucket-backed implementation.
type Store interface {
	// Load returns the saved state, or an error matching ErrNoState.
	Load(ctx context.Context) (State, error)
	// Save replaces the saved state.
	Save(ctx context.Context, st State) error
}

// BlobStore keeps a rollout's state as one small JSON object on a bucket.
type BlobStore struct {
	bucket *blob.Bucket
	key    string
}

// NewBlobStore returns a store that keeps the state under key. The
// bucket stays owned by the caller.
func NewBlobStore(bucket *blob.Bucket, key string) (*BlobStore, error) {
	if bucket == nil || key == "" {
		return nil, fmt.Errorf("%w: blob store needs a bucket and a key", ErrInvalid)
	}
	return &BlobStore{bucket: bucket, key: key}, nil
}

// Load reads the state.
func (s *BlobStore) Load(ctx context.Context) (State, error) {
	var st State
	b, err := s.bucket.ReadAll(ctx, s.key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return st, fmt.Errorf("%w at %q", ErrNoState, s.key)
	}
	if err != nil {
		return st, fmt.Errorf("deploy: reading rollout state %q: %w", s.key, err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%w: rollout state %q is not valid: %v", ErrInvalid, s.key, err)
	}
	return st, nil
}

// Save writes the state; the object is replaced atomically.
func (s *BlobStore) Save(ctx context.Context, st State) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("deploy: encoding rollout state: %w", err)
	}
	if err := s.bucket.WriteAll(ctx, s.key, b, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return fmt.Errorf("deploy: writing rollout state %q: %w", s.key, err)
	}
	return nil
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
