package registry

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/user"
	"runtime/debug"
	"sync"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/logstore"
	"github.com/sextant-ml/sextant/rbac"
)

// Authorizer decides whether the subject carried by ctx may apply verb to the
// named resource. A nil error allows. The registry asks it before every read
// and write with resource "models", "models/versions" or "models/aliases" and
// the model's name (empty when a search spans every model), and verbs get,
// list, create, update, evaluate, delete, promote and sign; registering a
// file by digest may also ask "get artifacts" without a name. rbac's
// compiled authorizer implements it.
type Authorizer = rbac.Checker

// Options configure a Registry. The zero value (or nil) gives the defaults.
type Options struct {
	// Logger receives warnings (a checkpoint that could not be written, a model
	// skipped by a search because its log is unreadable). Default: discard.
	Logger *slog.Logger
	// Authorizer is asked before every operation. Default: nil, everything allowed.
	Authorizer Authorizer
	// Actor names who makes a change; it is recorded in every log entry.
	// Typically it returns the rbac subject carried by ctx.
	// Default: the operating-system user name of the process.
	Actor func(ctx context.Context) string
	// CheckpointEvery writes the folded state of a model after every N entries
	// so that readers start from it (a reader that had to fold N entries or
	// more from an empty cache also leaves one). Default 64; negative
	// disables checkpoints, for reading as well as writing.
	CheckpointEvery int
	// MaxStaleness is how old the cached state of a model may be before a read
	// refreshes it from the log (writes through this Registry update the cache
	// at once). Default 1s; negative makes every read consult the log.
	MaxStaleness time.Duration
	// TrustedKeys are the ECDSA P-256 keys whose signatures Load and
	// OpenFile require (a version without a valid signature by one of them
	// is refused with ErrSignature), and with which Promote checks the
	// metrics it gates on. Default: none, and then Load and OpenFile refuse
	// every version with ErrNoTrustedKeys unless AllowUnsigned is set.
	TrustedKeys []crypto.PublicKey
	// AllowUnsigned lets Load and OpenFile hand out files of versions that
	// no trusted key vouches for: the explicit choice to run without
	// signatures (tests, notebooks, a registry nobody else writes). It
	// cannot be combined with TrustedKeys. Default false.
	AllowUnsigned bool
	// Name identifies this registry in the statements Sign writes and Verify
	// (and TrustedKeys) checks, beside the model and version: a signature
	// made in a registry of another Name does not verify here, even for the
	// same files under the same key. Give each registry that shares signing
	// keys with another its own Name (for example "prod-eu" or the bucket's
	// URL); every Registry opened on one bucket must use the same Name.
	// Default: "", which binds only to other registries left unnamed.
	Name string
	// Now is the clock for entry timestamps. Default time.Now.
	Now func() time.Time
	// Runs resolves the run ids of lineage: when set, Register refuses a
	// version whose Lineage.RunID it does not know, with an error matching
	// ErrNotFound. *tracking.Tracker implements it. Default: nil, run ids
	// are recorded unchecked.
	Runs RunResolver
}

// RunResolver tells whether a training run exists: nil, or an error (one
// that matches the resolver's own not-found error when the run is unknown).
// Defined here so that registry need not import the package that tracks
// runs.
type RunResolver interface {
	ResolveRun(ctx context.Context, runID string) error
}

// Registry is a model registry stored on an artifact store's bucket.
type Registry struct {
	store    *artifact.Store
	bucket   *artifact.Bucket
	log      *slog.Logger
	auth     Authorizer
	actor    func(ctx context.Context) string
	every    int // Options.CheckpointEvery
	stale    time.Duration
	trusted  []*ecdsa.PublicKey
	unsigned bool   // Options.AllowUnsigned
	scanHook func() // tests only: called once per version a search examines
	now      func() time.Time
	revision string
	name     string
	runs     RunResolver

	mu     sync.RWMutex
	models map[string]*handle
}

// handle is the cache of one model: its log, folded.
type handle struct {
	name string
	log  *logstore.Log
	fold *logstore.Folded[*state]
}

// Open returns a registry on store's bucket. Nothing is read until a model is
// used. The registry holds no resources of its own beyond memory: closing the
// store remains the caller's business.
func Open(ctx context.Context, store *artifact.Store, opts *Options) (*Registry, error) {
	if store == nil {
		return nil, fmt.Errorf("%w: nil store", ErrInvalidArgument)
	}
	if opts == nil {
		opts = &Options{}
	}
	r := &Registry{
		store:  store,
		bucket: store.Bucket(),
		log:    opts.Logger,
		auth:   opts.Authorizer,
		actor:  opts.Actor,
		every:  opts.CheckpointEvery,
		stale:  opts.MaxStaleness,
		now:    opts.Now,
		name:   opts.Name,
		runs:   opts.Runs,
		models: make(map[string]*handle),
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.stale == 0 {
		r.stale = time.Second
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.actor == nil {
		name := "unknown"
		if u, err := user.Current(); err == nil && u.Username != "" {
			name = u.Username
		}
		r.actor = func(context.Context) string { return name }
	}
	if opts.AllowUnsigned && len(opts.TrustedKeys) > 0 {
		return nil, fmt.Errorf("%w: AllowUnsigned and TrustedKeys exclude each other", ErrInvalidArgument)
	}
	r.unsigned = opts.AllowUnsigned
	for i, k := range opts.TrustedKeys {
		pk, err := ecdsaKey(k)
		if err != nil {
			return nil, fmt.Errorf("%w: trusted key %d: %w", ErrInvalidArgument, i, err)
		}
		r.trusted = append(r.trusted, pk)
	}
	r.revision = vcsRevision(debug.ReadBuildInfo())
	return r, nil
}

// vcsRevision returns the vcs.revision the go command stamped into the
// running binary, or "" when there is none (go test, -buildvcs=false).
func vcsRevision(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return ""
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			return s.Value
		}
	}
	return ""
}

func (r *Registry) authorize(ctx context.Context, verb, resource, name string) error {
	if r.auth == nil {
		return nil
	}
	if name != "" {
		// Never ask about a name that could not be a model's.
		if err := ValidateModelName(name); err != nil {
			return err
		}
	}
	if err := r.auth.Authorize(ctx, verb, resource, name); err != nil {
		return fmt.Errorf("registry: %s %s %q: %w", verb, resource, name, err)
	}
	return nil
}

// handle returns the cache entry of model name, creating it.
func (r *Registry) handle(name string) (*handle, error) {
	r.mu.RLock()
	h := r.models[name]
	r.mu.RUnlock()
	if h != nil {
		return h, nil
	}
	if err := ValidateModelName(name); err != nil {
		return nil, err
	}
	lg, err := logstore.Open(r.bucket, modelsDir+name)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	fold, err := logstore.NewFolded(lg, logstore.Fold[*state]{
		Empty:  func() *state { return &state{name: name} },
		Clone:  (*state).clone,
		Apply:  (*state).applyEntry,
		Encode: (*state).marshalCheckpoint,
		Decode: func(seq uint64, data []byte) (*state, error) { return unmarshalCheckpoint(name, seq, data) },
		Every:  r.every,
		Logger: r.log,
	})
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if h = r.models[name]; h == nil {
		h = &handle{name: name, log: lg, fold: fold}
		r.models[name] = h
	}
	return h, nil
}

const (
	modelsDir  = "registry/models/"
	catalogDir = "registry/catalog/"
)

// state returns the folded state of model name, refreshing it from the log
// when the cache is older than MaxStaleness (or when fresh is set).
func (r *Registry) state(ctx context.Context, name string, fresh bool) (*state, error) {
	h, err := r.handle(name)
	if err != nil {
		return nil, err
	}
	maxAge := r.stale
	if fresh {
		maxAge = 0
	}
	return h.fold.State(ctx, maxAge)
}

// applyEntry decodes and folds one log entry.
func (s *state) applyEntry(e logstore.Entry) error {
	rec, err := decodeRecord(s.name, e.Seq, e.Data)
	if err != nil {
		return err
	}
	return s.apply(e.Seq, rec)
}

// write appends the record built by build from the state current at the time
// of writing. When another writer takes the sequence number first, the log
// backs off for a jittered while, hands over the entries it missed, and build
// runs again on the newer state. It returns the state including the new entry.
func (r *Registry) write(ctx context.Context, name string, build func(s *state) (*record, error)) (*state, error) {
	h, err := r.handle(name)
	if err != nil {
		return nil, err
	}
	st, _, err := h.fold.Append(ctx, func(work *state) ([]byte, error) {
		rec, err := build(work)
		if err != nil {
			return nil, err
		}
		// The first entry of a model: list it in the catalog first, only
		// once the change is known to be valid.
		if work.model == nil {
			if err := r.ensureCatalog(ctx, name); err != nil {
				return nil, err
			}
		}
		rec.Time = r.now().UTC()
		rec.Actor = r.actor(ctx)
		return encodeRecord(rec)
	})
	if errors.Is(err, logstore.ErrConflict) {
		return nil, fmt.Errorf("registry: model %q: %w", name, err)
	}
	return st, err
}

// ensureCatalog records the model name in the catalog that ListModels reads.
func (r *Registry) ensureCatalog(ctx context.Context, name string) error {
	err := r.bucket.CreateOnly(ctx, catalogDir+name, []byte(name))
	if err != nil && !errors.Is(err, artifact.ErrExist) {
		return fmt.Errorf("registry: catalog %q: %w", name, err)
	}
	return nil
}

// Refresh brings the cached state of model up to date with its log.
func (r *Registry) Refresh(ctx context.Context, model string) error {
	if err := r.authorize(ctx, rbac.VerbGet, rbac.ResourceModels, model); err != nil {
		return err
	}
	_, err := r.state(ctx, model, true)
	return err
}

// existing returns the state of a model that exists and is not deleted.
func (r *Registry) existing(ctx context.Context, name string) (*state, error) {
	st, err := r.state(ctx, name, false)
	if err != nil {
		return nil, err
	}
	if err := st.exists(); err != nil {
		return nil, err
	}
	return st, nil
}

func (s *state) exists() error {
	if s.model == nil {
		return fmt.Errorf("%w: model %q", ErrNotFound, s.name)
	}
	if s.model.Deleted {
		return fmt.Errorf("%w: model %q", ErrDeleted, s.name)
	}
	return nil
}

func closeQuietly(c io.Closer) { _ = c.Close() }
