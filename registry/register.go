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

	"golang.org/x/sync/errgroup"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/rbac"
)

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
	if err := r.authorize(ctx, rbac.VerbCreate, rbac.ResourceModelVersions, model); err != nil {
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
	return r.authorize(ctx, rbac.VerbCreate, rbac.ResourceModels, model)
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
