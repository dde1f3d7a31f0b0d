package registry

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/sextant-ml/sextant/artifact"
	"golang.org/x/sync/errgroup"
)

// ModelSpec describes a model to create.
type ModelSpec struct {
	Description string
	Tags        map[string]string
	// Owner defaults to the actor creating the model.
	Owner string
}

// CreateModel records a new model. Registering a version of an unknown model
// creates it implicitly; CreateModel is for setting a description, tags or
// owner first. Errors match ErrExist when the model exists.
func (r *Registry) CreateModel(ctx context.Context, name string, spec *ModelSpec) (*Model, error) {
	if err := ValidateModelName(name); err != nil {
		return nil, err
	}
	if spec == nil {
		spec = &ModelSpec{}
	}
	if err := validateTags(spec.Tags); err != nil {
		return nil, fmt.Errorf("registry: model tags: %w", err)
	}
	if err := r.authorize(ctx, "create", "models", name); err != nil {
		return nil, err
	}
	st, err := r.write(ctx, name, func(s *state) (*record, error) {
		if s.model != nil {
			return nil, fmt.Errorf("%w: model %q", ErrExist, name)
		}
		d := spec.Description
		return &record{Type: EventModelCreate, Description: &d, Tags: maps.Clone(spec.Tags), Owner: spec.Owner}, nil
	})
	if err != nil {
		return nil, err
	}
	return st.modelView(), nil
}

// ModelUpdate changes a model's description and tags; nil fields stay.
type ModelUpdate struct {
	Description *string
	SetTags     map[string]string
	DeleteTags  []string
	Owner       string
}

// UpdateModel changes a model's metadata.
func (r *Registry) UpdateModel(ctx context.Context, name string, upd *ModelUpdate) (*Model, error) {
	if upd == nil {
		upd = &ModelUpdate{}
	}
	if err := validateTags(upd.SetTags); err != nil {
		return nil, fmt.Errorf("registry: model tags: %w", err)
	}
	if err := r.authorize(ctx, "update", "models", name); err != nil {
		return nil, err
	}
	st, err := r.write(ctx, name, func(s *state) (*record, error) {
		if err := s.exists(); err != nil {
			return nil, err
		}
		return &record{Type: EventModelUpdate, Description: upd.Description, Tags: maps.Clone(upd.SetTags),
			DeleteTags: slices.Clone(upd.DeleteTags), Owner: upd.Owner}, nil
	})
	if err != nil {
		return nil, err
	}
	return st.modelView(), nil
}

// GetModel returns a model.
func (r *Registry) GetModel(ctx context.Context, name string) (*Model, error) {
	if err := r.authorize(ctx, "get", "models", name); err != nil {
		return nil, err
	}
	st, err := r.existing(ctx, name)
	if err != nil {
		return nil, err
	}
	return st.modelView(), nil
}

func (s *state) modelView() *Model { return s.model.clone() }

// ArchiveModel marks a model archived (true) or active again (false).
// Archived models keep their versions and aliases and stay readable.
func (r *Registry) ArchiveModel(ctx context.Context, name string, archived bool) error {
	if err := r.authorize(ctx, "update", "models", name); err != nil {
		return err
	}
	_, err := r.write(ctx, name, func(s *state) (*record, error) {
		if err := s.exists(); err != nil {
			return nil, err
		}
		return &record{Type: EventModelArchive, Archived: archived}, nil
	})
	return err
}

// DeleteModel soft-deletes a model: the deletion is recorded, its aliases
// are dropped, and reads fail with ErrDeleted. The log and files stay for
// audit (and for artifact garbage collection to decide on).
func (r *Registry) DeleteModel(ctx context.Context, name string) error {
	if err := r.authorize(ctx, "delete", "models", name); err != nil {
		return err
	}
	_, err := r.write(ctx, name, func(s *state) (*record, error) {
		if err := s.exists(); err != nil {
			return nil, err
		}
		return &record{Type: EventModelDelete}, nil
	})
	return err
}

// Upload is one file of a version to register: its path inside the version
// and either its bytes (uploaded through the artifact store, which stores
// each distinct content once) or the digest of content already in the store.
// The bodies of one registration are read concurrently, a few at a time, so
// each must be a reader of its own.
type Upload struct {
	Path   string
	Body   io.Reader
	Digest artifact.Digest // used when Body is nil
}

// VersionSpec describes a version to register.
type VersionSpec struct {
	Files       []Upload
	Description string
	Tags        map[string]string
	Params      map[string]string
	Metrics     map[string]float64
	// Status defaults to StatusReady.
	Status Status
	// Lineage.CodeRevision defaults to the vcs.revision of the running binary.
	Lineage Lineage
}

func (spec *VersionSpec) validate() error {
	if err := validateTags(spec.Tags); err != nil {
		return fmt.Errorf("registry: version tags: %w", err)
	}
	if err := validateTags(spec.Params); err != nil {
		return fmt.Errorf("registry: version params: %w", err)
	}
	if err := validateMetrics(spec.Metrics); err != nil {
		return fmt.Errorf("registry: version metrics: %w", err)
	}
	if spec.Status != "" && !spec.Status.valid() {
		return fmt.Errorf("%w: status %q", ErrInvalidArgument, spec.Status)
	}
	if spec.Lineage.Parent < 0 {
		return fmt.Errorf("%w: parent version %d", ErrInvalidArgument, spec.Lineage.Parent)
	}
	for _, d := range spec.Lineage.Datasets {
		if err := artifact.Digest(d).Validate(); err != nil {
			return fmt.Errorf("%w: dataset digest: %w", ErrInvalidArgument, err)
		}
	}
	seen := make(map[string]bool, len(spec.Files))
	for _, f := range spec.Files {
		if err := artifact.ValidateKey(f.Path); err != nil {
			return fmt.Errorf("%w: file path %q: %w", ErrInvalidArgument, f.Path, err)
		}
		if seen[f.Path] {
			return fmt.Errorf("%w: file %q given twice", ErrInvalidArgument, f.Path)
		}
		seen[f.Path] = true
		if f.Body == nil {
			if err := f.Digest.Validate(); err != nil {
				return fmt.Errorf("%w: file %q has no body and %w", ErrInvalidArgument, f.Path, err)
			}
		}
	}
	return nil
}

// Register uploads the files of spec and records them as the next version of
// model, creating the model if needed. The version number is assigned by the
// log: concurrent registrations, in this process or others, get distinct,
// consecutive numbers.
func (r *Registry) Register(ctx context.Context, model string, spec *VersionSpec) (*Version, error) {
	if err := ValidateModelName(model); err != nil {
		return nil, err
	}
	if spec == nil {
		spec = &VersionSpec{}
	}
	if err := spec.validate(); err != nil {
		return nil, err
	}
	if err := r.authorize(ctx, "create", "models/versions", model); err != nil {
		return nil, err
	}
	if err := r.authorizeImplicitCreate(ctx, model); err != nil {
		return nil, err
	}
	if id := spec.Lineage.RunID; id != "" && r.runs != nil {
		if err := r.runs.ResolveRun(ctx, id); err != nil {
			return nil, fmt.Errorf("%w: lineage run %q: %w", ErrNotFound, id, err)
		}
	}
	files, err := r.upload(ctx, model, spec.Files)
	if err != nil {
		return nil, err
	}
	lineage := spec.Lineage
	lineage.Datasets = slices.Clone(lineage.Datasets)
	if lineage.CodeRevision == "" {
		lineage.CodeRevision = r.revision
	}
	status := cmp.Or(spec.Status, StatusReady)
	desc := spec.Description
	var number int
	st, err := r.write(ctx, model, func(s *state) (*record, error) {
		if s.model != nil && s.model.Deleted {
			return nil, fmt.Errorf("%w: model %q", ErrDeleted, model)
		}
		if lineage.Parent > len(s.versions) {
			return nil, fmt.Errorf("%w: parent version %d of %q does not exist", ErrNotFound, lineage.Parent, model)
		}
		number = len(s.versions) + 1
		return &record{Type: EventVersionRegister, Version: number, Files: files, Description: &desc,
			Tags: maps.Clone(spec.Tags), Params: maps.Clone(spec.Params), Metrics: maps.Clone(spec.Metrics),
			Status: status, Lineage: &lineage}, nil
	})
	if err != nil {
		return nil, err
	}
	return st.view(number), nil
}

// authorizeImplicitCreate asks for "create models" when registering a version
// would create the model: permission to add versions is not permission to
// add models. A model never leaves its log, so only a cache that knows no
// model is checked against the log before asking.
func (r *Registry) authorizeImplicitCreate(ctx context.Context, model string) error {
	if r.auth == nil {
		return nil
	}
	st, err := r.state(ctx, model, false)
	if err == nil && st.model == nil {
		st, err = r.state(ctx, model, true)
	}
	if err != nil {
		return err
	}
	if st.model != nil {
		return nil
	}
	return r.authorize(ctx, "create", "models", model)
}

// uploadLimit is how many files upload at once.
const uploadLimit = 4

// upload stores the bodies, a few at a time, then resolves the digest
// references the subject may read (digestFiles), and returns the manifest
// sorted by path.
func (r *Registry) upload(ctx context.Context, model string, uploads []Upload) ([]File, error) {
	files := make([]File, len(uploads))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(uploadLimit)
	for i, u := range uploads {
		if u.Body == nil {
			continue
		}
		g.Go(func() error {
			desc, err := r.put(gctx, u.Body)
			if c, ok := u.Body.(*lazyFile); ok {
				c.close()
			}
			if err != nil {
				return fmt.Errorf("registry: file %q: %w", u.Path, err)
			}
			files[i] = File{Path: u.Path, Digest: desc.Digest, Size: desc.Size}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	uploaded := make(map[artifact.Digest]bool)
	for i, u := range uploads {
		if u.Body != nil {
			uploaded[files[i].Digest] = true
		}
	}
	refs, err := r.digestFiles(ctx, model, uploads, uploaded)
	if err != nil {
		return nil, err
	}
	for i, u := range uploads {
		if u.Body == nil {
			desc := refs[u.Digest]
			files[i] = File{Path: u.Path, Digest: desc.Digest, Size: desc.Size}
		}
	}
	slices.SortFunc(files, func(a, b File) int { return cmp.Compare(a.Path, b.Path) })
	return files, nil
}

// lazyFile opens a file on its first Read, so that registering a directory
// holds only as many files open as are being uploaded.
type lazyFile struct {
	path string
	f    *os.File
	err  error
}

func (l *lazyFile) Read(p []byte) (int, error) {
	if l.f == nil && l.err == nil {
		l.f, l.err = os.Open(l.path)
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.f.Read(p)
}

func (l *lazyFile) close() {
	if l.f != nil {
		closeQuietly(l.f)
		l.f = nil
	}
}

// RegisterDir registers the regular files under dir (recursively; paths are
// relative to dir with '/' separators) plus any spec.Files as the next version
// of model. Symbolic links and other special files are refused.
func (r *Registry) RegisterDir(ctx context.Context, model, dir string, spec *VersionSpec) (*Version, error) {
	var s VersionSpec
	if spec != nil {
		s = *spec
	}
	s.Files = slices.Clone(s.Files)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%w: %s is not a regular file", ErrInvalidArgument, path)
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		s.Files = append(s.Files, Upload{Path: filepath.ToSlash(rel), Body: &lazyFile{path: path}})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("registry: register %s: %w", dir, err)
	}
	return r.Register(ctx, model, &s)
}

// resolve finds the version ref names in st.
func (s *state) resolve(ref Ref) (int, error) {
	if err := s.exists(); err != nil {
		return 0, err
	}
	n := ref.Version
	switch {
	case ref.Alias == Latest:
		for n = len(s.versions); n > 0; n-- {
			if v := s.versions[n-1]; !v.Deleted && !v.Archived {
				return n, nil
			}
		}
		return 0, fmt.Errorf("%w: model %q has no active version", ErrNotFound, s.name)
	case ref.Alias != "":
		var ok bool
		if n, ok = s.model.Aliases[ref.Alias]; !ok {
			return 0, fmt.Errorf("%w: alias %q of model %q", ErrNotFound, ref.Alias, s.name)
		}
	}
	v := s.version(n)
	if v == nil {
		return 0, fmt.Errorf("%w: version %d of model %q", ErrNotFound, n, s.name)
	}
	if v.Deleted {
		return 0, fmt.Errorf("%w: version %d of model %q", ErrDeleted, n, s.name)
	}
	return n, nil
}

// Resolve returns the version number ref ("name/3", "name@alias",
// "name@latest") names. Served from the cache while it is fresh (see
// Options.MaxStaleness), it takes well under a microsecond and does not allocate.
func (r *Registry) Resolve(ctx context.Context, ref string) (int, error) {
	p, err := ParseRef(ref)
	if err != nil {
		return 0, err
	}
	if err := r.authorize(ctx, "get", "models/versions", p.Model); err != nil {
		return 0, err
	}
	st, err := r.state(ctx, p.Model, false)
	if err != nil {
		return 0, err
	}
	return st.resolve(p)
}

// Get returns the version ref names.
func (r *Registry) Get(ctx context.Context, ref string) (*Version, error) {
	st, n, err := r.lookup(ctx, ref, "get", false)
	if err != nil {
		return nil, err
	}
	return st.view(n), nil
}

// lookup authorizes verb on models/versions and resolves ref against the
// cached state. With latest set, a reference through an alias is resolved
// against the log itself, for operations that read a version before writing
// about it (Sign, SaveCard): a cache up to MaxStaleness old could name the
// alias's previous holder.
func (r *Registry) lookup(ctx context.Context, ref, verb string, latest bool) (*state, int, error) {
	p, err := ParseRef(ref)
	if err != nil {
		return nil, 0, err
	}
	if err := r.authorize(ctx, verb, "models/versions", p.Model); err != nil {
		return nil, 0, err
	}
	st, err := r.state(ctx, p.Model, latest && p.Alias != "")
	if err != nil {
		return nil, 0, err
	}
	n, err := st.resolve(p)
	if err != nil {
		return nil, 0, err
	}
	return st, n, nil
}

// VersionUpdate changes a version; nil or empty fields stay as they are.
// Metrics are merged into the version's metrics (evaluation after
// registration is common). A signature covers the metrics the version had
// when it was signed: changing them leaves the version without a valid
// signature until it is signed again.
type VersionUpdate struct {
	Description *string
	SetTags     map[string]string
	DeleteTags  []string
	Metrics     map[string]float64
	Status      Status
}

// UpdateVersion changes the version ref names. Recording metrics asks the
// Authorizer for "evaluate models/versions", the other fields for "update
// models/versions" (an update with both asks both): the metrics are what a
// promotion gate reads, so permission to edit a version's description is
// not permission to rewrite its evaluation. A reference through an alias is resolved
// against the log (not the cache) when the write is first tried, and only
// then: the update lands on that version even if the alias moves while the
// write retries. ArchiveVersion and DeleteVersion resolve the same way.
func (r *Registry) UpdateVersion(ctx context.Context, ref string, upd *VersionUpdate) (*Version, error) {
	if upd == nil {
		upd = &VersionUpdate{}
	}
	if err := validateTags(upd.SetTags); err != nil {
		return nil, fmt.Errorf("registry: version tags: %w", err)
	}
	if err := validateMetrics(upd.Metrics); err != nil {
		return nil, fmt.Errorf("registry: version metrics: %w", err)
	}
	if upd.Status != "" && !upd.Status.valid() {
		return nil, fmt.Errorf("%w: status %q", ErrInvalidArgument, upd.Status)
	}
	evaluate := len(upd.Metrics) > 0
	update := upd.Description != nil || len(upd.SetTags) > 0 || len(upd.DeleteTags) > 0 || upd.Status != "" || !evaluate
	var verbs []string
	if update {
		verbs = append(verbs, "update")
	}
	if evaluate {
		verbs = append(verbs, "evaluate")
	}
	return r.changeVersion(ctx, ref, verbs, func(_ *state, n int) (*record, error) {
		return &record{Type: EventVersionUpdate, Version: n, Description: upd.Description,
			Tags: maps.Clone(upd.SetTags), DeleteTags: slices.Clone(upd.DeleteTags),
			Metrics: maps.Clone(upd.Metrics), Status: upd.Status}, nil
	})
}

// changeVersion authorizes each of verbs, resolves ref and appends the
// record mk builds for it.
func (r *Registry) changeVersion(ctx context.Context, ref string, verbs []string, mk func(s *state, n int) (*record, error)) (*Version, error) {
	p, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	for _, verb := range verbs {
		if err := r.authorize(ctx, verb, "models/versions", p.Model); err != nil {
			return nil, err
		}
	}
	var n int
	st, err := r.write(ctx, p.Model, func(s *state) (*record, error) {
		var err error
		if n, err = s.resolveOnce(p, n); err != nil {
			return nil, err
		}
		return mk(s, n)
	})
	if err != nil {
		return nil, err
	}
	return st.view(n), nil
}

// resolveOnce resolves p in s, the state a write is about to extend, when n
// is 0; on a retry after a lost race (n set) it checks that version n is
// still there instead, so that a reference through an alias names the
// version the alias held when the write was first tried, never one read
// from an older cache.
func (s *state) resolveOnce(p Ref, n int) (int, error) {
	if n == 0 {
		return s.resolve(p)
	}
	return s.resolve(Ref{Model: s.name, Version: n})
}

// ArchiveVersion archives (true) or restores (false) a version. Archiving
// drops the aliases pointing at it; an archived version stays readable by
// number but cannot receive an alias.
func (r *Registry) ArchiveVersion(ctx context.Context, ref string, archived bool) (*Version, error) {
	return r.changeVersion(ctx, ref, []string{"update"}, func(_ *state, n int) (*record, error) {
		return &record{Type: EventVersionArchive, Version: n, Archived: archived}, nil
	})
}

// DeleteVersion soft-deletes a version: recorded in the log, its aliases
// dropped, and reads by number fail with ErrDeleted. Its number is never reused.
func (r *Registry) DeleteVersion(ctx context.Context, ref string) error {
	_, err := r.changeVersion(ctx, ref, []string{"delete"}, func(_ *state, n int) (*record, error) {
		return &record{Type: EventVersionDelete, Version: n}, nil
	})
	return err
}

// SetAlias points alias at version of model, creating or moving it. Every
// call is recorded, so History shows every move. The version must exist and
// be neither archived nor deleted.
func (r *Registry) SetAlias(ctx context.Context, model, alias string, version int) error {
	if err := r.checkAliasArgs(model, alias); err != nil {
		return err
	}
	if err := r.authorize(ctx, "update", "models/aliases", model); err != nil {
		return err
	}
	_, err := r.write(ctx, model, func(s *state) (*record, error) {
		return s.aliasRecord(alias, version)
	})
	return err
}

func (r *Registry) checkAliasArgs(model, alias string) error {
	if err := ValidateModelName(model); err != nil {
		return err
	}
	return ValidateAlias(alias)
}

// aliasRecord checks that alias may point at version and builds the entry.
func (s *state) aliasRecord(alias string, version int) (*record, error) {
	if _, err := s.resolve(Ref{Model: s.name, Version: version}); err != nil {
		return nil, err
	}
	if s.versions[version-1].Archived {
		return nil, fmt.Errorf("%w: version %d of model %q", ErrArchived, version, s.name)
	}
	return &record{Type: EventAliasSet, Alias: alias, Version: version, Previous: s.model.Aliases[alias]}, nil
}

// DeleteAlias removes alias from model. Errors match ErrNotFound when the
// alias is not set.
func (r *Registry) DeleteAlias(ctx context.Context, model, alias string) error {
	if err := r.checkAliasArgs(model, alias); err != nil {
		return err
	}
	if err := r.authorize(ctx, "delete", "models/aliases", model); err != nil {
		return err
	}
	_, err := r.write(ctx, model, func(s *state) (*record, error) {
		if err := s.exists(); err != nil {
			return nil, err
		}
		prev, ok := s.model.Aliases[alias]
		if !ok {
			return nil, fmt.Errorf("%w: alias %q of model %q", ErrNotFound, alias, model)
		}
		return &record{Type: EventAliasDelete, Alias: alias, Previous: prev}, nil
	})
	return err
}

// History returns every change recorded for model, oldest first, read from
// the log itself (not from the cache or a checkpoint). At a damaged entry it
// returns the events before it and the error naming the entry.
func (r *Registry) History(ctx context.Context, model string) ([]Event, error) {
	if err := r.authorize(ctx, "get", "models", model); err != nil {
		return nil, err
	}
	h, err := r.handle(model)
	if err != nil {
		return nil, err
	}
	entries, err := h.log.Read(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("registry: read log of %q: %w", model, err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%w: model %q", ErrNotFound, model)
	}
	out := make([]Event, 0, len(entries))
	for _, e := range entries {
		rec, err := decodeRecord(model, e.Seq, e.Data)
		if err != nil {
			return out, err
		}
		out = append(out, rec.event(e.Seq))
	}
	return out, nil
}
