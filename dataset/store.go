package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset/internal/atomicfile"
	"github.com/sextant-ml/sextant/dataset/treehash"
	"github.com/sextant-ml/sextant/internal/logstore"
	"github.com/sextant-ml/sextant/rbac"
	"golang.org/x/sync/errgroup"
)

// Authorizer decides whether the subject in ctx may apply verb to the
// named resource. A nil error allows. The Store asks with resource
// "datasets", the dataset's name and verbs "create" (commit), "update"
// (tag), "get" (resolve, check out, status, diff) and "list"; Push and Pull
// on their own ask "create" and "get" on "artifacts", naming the manifest
// as artifact.Digest.ResourceName does ("sha256/<hex>"). Every question is
// asked before anything is written. A denial is returned wrapped, so
// errors.Is matches the authorizer's error.
type Authorizer = rbac.Checker

// Options configures a Store.
type Options struct {
	// Workers is the number of existence checks, uploads and downloads run
	// at once. Default: 8.
	Workers int
	// Cache is used when hashing local trees (commit, checkout, status).
	// Default: nil, every file is read. Open one with treehash.OpenCache.
	Cache *treehash.Cache
	// Progress receives the progress of hashing (Phase "hash"), uploads
	// ("upload", counting distinct contents; FilesCached counts those the
	// store already had) and checkouts ("download"; FilesCached counts files
	// kept in place). Default: nil.
	Progress func(Progress)
	// Authorizer, if set, is asked before every operation. Default: nil,
	// everything is allowed.
	Authorizer Authorizer
	// Logger receives debug records of uploads, reuse and log appends.
	// Default: discard.
	Logger *slog.Logger
}

// Store keeps named, numbered dataset versions: file contents in an
// artifact.Store (shared with models, so identical bytes are stored once),
// a manifest per version in the same store, and per dataset an
// append-only log at datasets/<name> on the store's bucket.
type Store struct {
	blobs  *artifact.Store
	bucket *artifact.Bucket
	owned  bool
	opts   Options
	hasher *treehash.Hasher

	mu   sync.Mutex
	logs map[string]*logstore.Folded[*datasetState]
}

// New returns a Store over blobs, whose bucket also holds the logs. The
// caller keeps ownership of blobs.
func New(blobs *artifact.Store, opts *Options) (*Store, error) {
	if blobs == nil {
		return nil, errors.New("dataset: nil artifact store")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h, err := treehash.New(&treehash.Options{Cache: o.Cache, Progress: o.Progress, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	return &Store{blobs: blobs, bucket: blobs.Bucket(), opts: o, hasher: h, logs: map[string]*logstore.Folded[*datasetState]{}}, nil
}

// Open opens the bucket at urlstr (see artifact.OpenBucket) with a plain
// artifact store on it and returns a Store that closes it on Close.
func Open(ctx context.Context, urlstr string, opts *Options) (*Store, error) {
	blobs, err := artifact.Open(ctx, urlstr, nil)
	if err != nil {
		return nil, err
	}
	s, err := New(blobs, opts)
	if err != nil {
		blobs.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// Artifacts returns the artifact store holding the files and manifests.
func (s *Store) Artifacts() *artifact.Store { return s.blobs }

// Close releases the artifact store if Open created it.
func (s *Store) Close() error {
	if s.owned {
		return s.blobs.Close()
	}
	return nil
}

// Version is one committed version of a dataset.
type Version struct {
	Dataset string `json:"dataset"`
	// Number counts the dataset's commits from 1.
	Number int `json:"number"`
	// Manifest is the digest of the version's manifest.
	Manifest artifact.Digest `json:"manifest"`
	Files    int             `json:"files"`
	Bytes    int64           `json:"bytes"`
	Message  string          `json:"message,omitempty"`
	Created  time.Time       `json:"created"`
	// Tags point at this version now (a tag moves when set again).
	Tags []string `json:"tags,omitempty"`
}

// Transfer counts what a push or pull moved.
type Transfer struct {
	// Files and Bytes were transferred; Present files were already there
	// (on the remote for a push, in the directory for a pull).
	Files, Present int
	Bytes          int64
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// ValidateName reports whether name may name a dataset or a tag: 1 to 128
// letters, digits, '.', '_' or '-', starting with a letter or digit. A tag
// must also not look like a version reference ("latest", "12", "v12").
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%w: %q (want [A-Za-z0-9][A-Za-z0-9._-]{0,127})", ErrInvalidName, name)
	}
	return nil
}

func validateTag(tag string) error {
	if err := ValidateName(tag); err != nil {
		return err
	}
	if _, ok := versionNumber(tag); ok || tag == "latest" {
		return fmt.Errorf("%w: tag %q reads as a version reference", ErrInvalidName, tag)
	}
	return nil
}

// versionNumber parses "12" or "v12".
func versionNumber(ref string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(ref, "v"))
	return n, err == nil && n > 0 && !strings.HasPrefix(strings.TrimPrefix(ref, "v"), "+")
}

func (s *Store) authorize(ctx context.Context, verb, name string) error {
	return s.authorizeOn(ctx, verb, rbac.ResourceDatasets, name)
}

func (s *Store) authorizeOn(ctx context.Context, verb, resource, name string) error {
	if s.opts.Authorizer == nil {
		return nil
	}
	if err := s.opts.Authorizer.Authorize(ctx, verb, resource, name); err != nil {
		return fmt.Errorf("dataset: %s %s %s: %w", verb, resource, name, err)
	}
	return nil
}

// Push hashes dir and uploads every file the artifact store lacks, then
// the manifest, checking existence and uploading in parallel. A file is
// uploaded under its known digest and the upload aborts if the bytes read
// differ from what was hashed. It returns the manifest and what moved.
// The Authorizer is asked for "create" on "artifacts" with the name of
// the manifest ("sha256/<hex>") once dir is hashed, before any upload.
func (s *Store) Push(ctx context.Context, dir string) (*Manifest, Transfer, error) {
	m, err := s.hashDir(ctx, dir)
	if err != nil {
		return nil, Transfer{}, err
	}
	enc, err := m.MarshalJSON()
	if err != nil {
		return nil, Transfer{}, err
	}
	if err := s.authorizeOn(ctx, rbac.VerbCreate, rbac.ResourceArtifacts, artifact.FromBytes(enc).ResourceName()); err != nil {
		return nil, Transfer{}, err
	}
	tr, _, err := s.push(ctx, dir, m, enc)
	if err != nil {
		return nil, Transfer{}, err
	}
	return m, tr, nil
}

// hashDir hashes dir into a manifest.
func (s *Store) hashDir(ctx context.Context, dir string) (*Manifest, error) {
	files, err := s.hasher.HashDir(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return manifestOf(files)
}

// push uploads the files of m, the manifest of dir, and then m, encoded
// as enc (m.MarshalJSON), whose digest it returns.
func (s *Store) push(ctx context.Context, dir string, m *Manifest, enc []byte) (Transfer, artifact.Digest, error) {
	var tr Transfer
	var files, present atomic.Int64
	var moved atomic.Int64
	uniq := map[artifact.Digest]Entry{}
	for _, e := range m.Entries {
		if _, ok := uniq[e.Digest]; !ok {
			uniq[e.Digest] = e
		}
	}
	pr := &progress{fn: s.opts.Progress}
	pr.state.Phase, pr.state.FilesTotal = "upload", len(uniq)
	for _, e := range uniq {
		pr.state.BytesTotal += e.Size
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.opts.Workers)
	for _, e := range uniq {
		g.Go(func() error {
			d := artifact.Descriptor{Digest: e.Digest, Size: e.Size}
			ok, err := s.blobs.Exists(gctx, d.Digest)
			if err != nil {
				return fmt.Errorf("dataset: push %s: %w", e.Path, err)
			}
			if ok {
				present.Add(1)
				pr.add(1, 1, e.Size)
				return nil
			}
			f, err := os.Open(filepath.Join(dir, filepath.FromSlash(e.Path)))
			if err != nil {
				return fmt.Errorf("dataset: push: %w", err)
			}
			defer f.Close()
			if _, err := s.blobs.PutKnown(gctx, d, f); err != nil {
				return fmt.Errorf("dataset: push %s: %w", e.Path, err)
			}
			files.Add(1)
			moved.Add(e.Size)
			pr.add(1, 0, e.Size)
			s.opts.Logger.DebugContext(gctx, "dataset: uploaded", "path", e.Path, "digest", e.Digest)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Transfer{}, "", err
	}
	tr.Files, tr.Present, tr.Bytes = int(files.Load()), int(present.Load()), moved.Load()
	digest, err := s.putManifest(ctx, enc)
	if err != nil {
		return Transfer{}, "", err
	}
	return tr, digest, nil
}

// putManifest stores a manifest encoded as data and returns its digest,
// which is the manifest's Digest.
func (s *Store) putManifest(ctx context.Context, data []byte) (artifact.Digest, error) {
	d := artifact.Descriptor{Digest: artifact.FromBytes(data), Size: int64(len(data))}
	if _, err := s.blobs.PutKnown(ctx, d, bytes.NewReader(data)); err != nil {
		return "", fmt.Errorf("dataset: store manifest: %w", err)
	}
	return d.Digest, nil
}

// Manifest fetches and verifies the manifest with digest d.
func (s *Store) Manifest(ctx context.Context, d artifact.Digest) (*Manifest, error) {
	data, err := s.blobs.Get(ctx, d)
	if errors.Is(err, artifact.ErrNotFound) {
		return nil, fmt.Errorf("%w: manifest %s: %w", ErrNotFound, d, err)
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: manifest %s: %w", d, err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, err
	}
	if got := m.Digest(); got != d {
		return nil, fmt.Errorf("%w: manifest %s is not in canonical form (re-encodes to %s)", ErrInvalidManifest, d, got)
	}
	return m, nil
}

// CommitOptions describe a commit.
type CommitOptions struct {
	// Message is stored with the version. Default: none.
	Message string
	// Tags are set on the new version. Default: none.
	Tags []string
}

// Commit pushes dir (see Push) and records it as the next version of the
// dataset name. Concurrent commits from any number of processes get
// distinct, consecutive numbers.
func (s *Store) Commit(ctx context.Context, name, dir string, opts *CommitOptions) (Version, error) {
	var o CommitOptions
	if opts != nil {
		o = *opts
	}
	if err := ValidateName(name); err != nil {
		return Version{}, err
	}
	for _, t := range o.Tags {
		if err := validateTag(t); err != nil {
			return Version{}, err
		}
	}
	if err := s.authorize(ctx, rbac.VerbCreate, name); err != nil {
		return Version{}, err
	}
	m, err := s.hashDir(ctx, dir)
	if err != nil {
		return Version{}, err
	}
	enc, err := m.MarshalJSON()
	if err != nil {
		return Version{}, err
	}
	tr, digest, err := s.push(ctx, dir, m, enc)
	if err != nil {
		return Version{}, err
	}
	s.opts.Logger.DebugContext(ctx, "dataset: pushed", "dataset", name, "uploaded", tr.Files, "present", tr.Present, "bytes", tr.Bytes)
	rec := logRecord{Type: "commit", V: logFormat, Manifest: digest, Files: len(m.Entries), Bytes: m.Size(),
		Message: o.Message, Tags: o.Tags, Time: time.Now().UTC()}
	st, err := s.append(ctx, name, func(st *datasetState) (logRecord, error) {
		r := rec
		r.Number = len(st.versions) + 1
		return r, nil
	})
	if err != nil {
		return Version{}, err
	}
	return st.version(len(st.versions)), nil
}

// Tag points tag at version number of dataset name, moving it if it
// pointed elsewhere.
func (s *Store) Tag(ctx context.Context, name string, number int, tag string) error {
	if err := validateTag(tag); err != nil {
		return err
	}
	if err := s.authorize(ctx, rbac.VerbUpdate, name); err != nil {
		return err
	}
	_, err := s.append(ctx, name, func(st *datasetState) (logRecord, error) {
		if number < 1 || number > len(st.versions) {
			return logRecord{}, fmt.Errorf("%w: %s version %d", ErrNotFound, name, number)
		}
		return logRecord{Type: "tag", V: logFormat, Tag: tag, Number: number, Time: time.Now().UTC()}, nil
	})
	return err
}

// Versions lists the versions of dataset name, oldest first.
func (s *Store) Versions(ctx context.Context, name string) ([]Version, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, rbac.VerbList, name); err != nil {
		return nil, err
	}
	st, err := s.load(ctx, name)
	if err != nil {
		return nil, err
	}
	out := make([]Version, len(st.versions))
	for i := range st.versions {
		out[i] = st.version(i + 1)
	}
	return out, nil
}

// Resolve finds a version of dataset name by reference: "" or "latest"
// for the newest, "3" or "v3" by number, anything else by tag.
func (s *Store) Resolve(ctx context.Context, name, ref string) (Version, error) {
	if err := ValidateName(name); err != nil {
		return Version{}, err
	}
	if err := s.authorize(ctx, rbac.VerbGet, name); err != nil {
		return Version{}, err
	}
	st, err := s.load(ctx, name)
	if err != nil {
		return Version{}, err
	}
	n := 0
	switch num, isNum := versionNumber(ref); {
	case ref == "" || ref == "latest":
		n = len(st.versions)
	case isNum:
		n = num
	default:
		n = st.tags[ref]
	}
	if n < 1 || n > len(st.versions) {
		return Version{}, fmt.Errorf("%w: %s@%s", ErrNotFound, name, ref)
	}
	return st.version(n), nil
}

// Diff compares two versions of dataset name (references as in Resolve).
func (s *Store) Diff(ctx context.Context, name, from, to string) (Changes, error) {
	ma, err := s.resolveManifest(ctx, name, from)
	if err != nil {
		return Changes{}, err
	}
	mb, err := s.resolveManifest(ctx, name, to)
	if err != nil {
		return Changes{}, err
	}
	return Diff(ma, mb), nil
}

// Status compares the tree at dir with a version of dataset name: files
// only in dir are added, only in the version deleted. Temporary files of
// an interrupted checkout are ignored.
func (s *Store) Status(ctx context.Context, name, ref, dir string) (Changes, error) {
	m, err := s.resolveManifest(ctx, name, ref)
	if err != nil {
		return Changes{}, err
	}
	local, err := s.hashDir(ctx, dir)
	if err != nil {
		return Changes{}, err
	}
	local.Entries = slices.DeleteFunc(local.Entries, func(e Entry) bool { return atomicfile.IsTemp(e.Path) })
	return Diff(m, local), nil
}

func (s *Store) resolveManifest(ctx context.Context, name, ref string) (*Manifest, error) {
	v, err := s.Resolve(ctx, name, ref)
	if err != nil {
		return nil, err
	}
	return s.Manifest(ctx, v.Manifest)
}

// CheckoutOptions configure Checkout.
type CheckoutOptions struct {
	// Prune removes files under the directory that the version does not
	// list. Default: false, other files are left alone.
	Prune bool
}

// Checkout writes a version of dataset name into dir (created if needed).
// See Pull.
func (s *Store) Checkout(ctx context.Context, name, ref, dir string, opts *CheckoutOptions) (Version, Transfer, error) {
	v, err := s.Resolve(ctx, name, ref)
	if err != nil {
		return Version{}, Transfer{}, err
	}
	m, err := s.Manifest(ctx, v.Manifest)
	if err != nil {
		return Version{}, Transfer{}, err
	}
	tr, err := s.pull(ctx, m, dir, opts)
	return v, tr, err
}

// Pull writes the files of m into dir. Files already present with the
// right digest are kept (found through the stat cache when configured).
// Every other file is streamed from the artifact store, verified byte for
// byte against its digest, into a temporary file beside its final name and
// renamed into place only when complete and correct: a corrupt object
// fails with ErrDigestMismatch (and artifact.ErrDigestMismatch), and an
// interrupted pull leaves each file either as it was or complete. Paths
// are resolved inside dir with os.Root, so no entry can write outside it.
// Options.Progress receives Phase "download" reports. The Authorizer is
// asked for "get" on "artifacts" with the name of the manifest
// ("sha256/<hex>").
func (s *Store) Pull(ctx context.Context, m *Manifest, dir string, opts *CheckoutOptions) (Transfer, error) {
	if m == nil {
		return Transfer{}, fmt.Errorf("%w: nil manifest", ErrInvalidManifest)
	}
	if err := s.authorizeOn(ctx, rbac.VerbGet, rbac.ResourceArtifacts, m.Digest().ResourceName()); err != nil {
		return Transfer{}, err
	}
	return s.pull(ctx, m, dir, opts)
}

func (s *Store) pull(ctx context.Context, m *Manifest, dir string, opts *CheckoutOptions) (Transfer, error) {
	var o CheckoutOptions
	if opts != nil {
		o = *opts
	}
	if err := m.Validate(); err != nil {
		return Transfer{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Transfer{}, fmt.Errorf("dataset: checkout: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Transfer{}, fmt.Errorf("dataset: checkout: %w", err)
	}
	defer root.Close()
	var files, present atomic.Int64
	var moved atomic.Int64
	pr := &progress{fn: s.opts.Progress}
	pr.state = Progress{Phase: "download", FilesTotal: len(m.Entries), BytesTotal: m.Size()}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.opts.Workers)
	for _, e := range m.Entries {
		g.Go(func() error {
			local := filepath.Join(dir, filepath.FromSlash(e.Path))
			if fi, err := root.Lstat(filepath.FromSlash(e.Path)); err == nil && fi.Mode().IsRegular() {
				if got, err := s.hasher.HashFile(gctx, local); err == nil && artifact.Digest(got.Sum.String()) == e.Digest {
					if fi.Mode().Perm() != e.perm() {
						if err := root.Chmod(filepath.FromSlash(e.Path), e.perm()); err != nil {
							return fmt.Errorf("dataset: checkout %s: %w", e.Path, err)
						}
					}
					present.Add(1)
					pr.add(1, 1, e.Size)
					return nil
				}
			}
			if err := s.download(gctx, root, e); err != nil {
				return err
			}
			files.Add(1)
			moved.Add(e.Size)
			pr.add(1, 0, e.Size)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Transfer{}, err
	}
	if o.Prune {
		if err := prune(ctx, dir, m); err != nil {
			return Transfer{}, err
		}
	}
	return Transfer{Files: int(files.Load()), Present: int(present.Load()), Bytes: moved.Load()}, nil
}

func (e Entry) perm() fs.FileMode {
	if e.Mode == 0 {
		return 0o644
	}
	return e.Mode
}

// download streams one entry into place through atomicfile.
func (s *Store) download(ctx context.Context, root *os.Root, e Entry) error {
	err := atomicfile.Write(root, e.Path, e.perm(), func(w io.Writer) error {
		rc, err := s.blobs.Open(ctx, e.Digest)
		if err != nil {
			return err
		}
		defer rc.Close()
		n, err := copyContext(ctx, w, rc)
		if errors.Is(err, artifact.ErrDigestMismatch) || errors.Is(err, artifact.ErrSizeMismatch) {
			return fmt.Errorf("%w: %w", ErrDigestMismatch, err)
		}
		if err != nil {
			return err
		}
		if n != e.Size {
			return fmt.Errorf("%w: %d bytes, manifest says %d", ErrDigestMismatch, n, e.Size)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("dataset: checkout %s: %w", e.Path, err)
	}
	s.opts.Logger.DebugContext(ctx, "dataset: downloaded", "path", e.Path, "digest", e.Digest)
	return nil
}

// copyContext copies src to dst in 1 MiB steps, stopping when ctx ends.
func copyContext(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	buf := make([]byte, 1<<20)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, err := src.Read(buf)
		if m > 0 {
			if _, werr := dst.Write(buf[:m]); werr != nil {
				return n, werr
			}
			n += int64(m)
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// prune removes regular files and links under dir that m does not list.
func prune(ctx context.Context, dir string, m *Manifest) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if _, ok := m.Lookup(filepath.ToSlash(rel)); !ok {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("dataset: prune: %w", err)
			}
		}
		return nil
	})
}
