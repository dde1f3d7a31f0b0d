package dataset

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// SymlinkPolicy says what hashing does with a symbolic link.
type SymlinkPolicy int

const (
	// SymlinkReject fails with ErrSymlink: a dataset is a set of bytes, and a
	// link's meaning depends on the machine it is checked out on.
	SymlinkReject SymlinkPolicy = iota
	// SymlinkFollow hashes the file a link points to, recorded under the
	// link's path, provided the target stays inside the root (otherwise
	// ErrInvalidPath) and is a regular file (a link to a directory is
	// ErrSymlink, which also rules out cycles).
	SymlinkFollow
	// SymlinkSkip leaves links out of the manifest.
	SymlinkSkip
)

// Progress is reported while a tree is hashed or transferred.
type Progress struct {
	// Phase is "hash", or for a Store "upload" or "download".
	Phase                 string
	FilesDone, FilesTotal int
	BytesDone, BytesTotal int64
	// FilesCached counts the files among FilesDone that needed no work:
	// hashing, digests from the stat cache; uploading, contents the store
	// already had; downloading, files already in place.
	FilesCached int
}

// HashOptions configures a Hasher.
type HashOptions struct {
	// Algorithm of the digests. Default: SHA256.
	Algorithm Algorithm
	// Workers is the number of files hashed at once. Default:
	// runtime.GOMAXPROCS(0).
	Workers int
	// BufferSize is the read size per worker. Default: 1 MiB.
	BufferSize int
	// Cache remembers digests of unchanged files across runs. Default: nil,
	// every file is read. Open one with OpenStatCache and Save it when done.
	Cache *StatCache
	// Progress, if set, is called after each file read, every 16 MiB of a
	// large file, and once for all the files served by the stat cache. Calls are serialized; the last call of a HashDir or
	// HashFS reports FilesDone == FilesTotal. Default: nil.
	Progress func(Progress)
	// Symlinks says what to do with symbolic links. Default: SymlinkReject.
	Symlinks SymlinkPolicy
	// SkipSpecial leaves devices, named pipes and sockets out of the
	// manifest instead of failing with ErrSpecialFile. Default: false.
	SkipSpecial bool
	// Logger receives debug records of skipped entries. Default: discard.
	Logger *slog.Logger
}

// Hasher computes digests of files and trees. It is safe for concurrent
// use; each call runs its own bounded pool of workers.
type Hasher struct {
	opts HashOptions
	bufs sync.Pool
}

const progressChunk = 16 << 20

// mapMin is the size from which a file is hashed through a memory map
// rather than read (where the platform allows): hashing straight from the
// page cache saves copying every byte into a buffer, about a tenth of the
// work on large files.
const mapMin = 8 << 20

// NewHasher returns a Hasher with opts (nil for the defaults).
func NewHasher(opts *HashOptions) (*Hasher, error) {
	var o HashOptions
	if opts != nil {
		o = *opts
	}
	if o.Algorithm == "" {
		o.Algorithm = SHA256
	}
	if _, err := o.Algorithm.New(); err != nil {
		return nil, err
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.BufferSize <= 0 {
		o.BufferSize = 1 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Hasher{opts: o}
	h.bufs.New = func() any {
		b := make([]byte, o.BufferSize)
		return &b
	}
	return h, nil
}

// Algorithm is the algorithm of the digests h computes.
func (h *Hasher) Algorithm() Algorithm { return h.opts.Algorithm }

// HashReader digests everything r yields.
func (h *Hasher) HashReader(ctx context.Context, r io.Reader) (digest string, n int64, err error) {
	sum, n, _, err := h.sum(ctx, r, nil)
	if err != nil {
		return "", n, err
	}
	return FormatDigest(h.opts.Algorithm, sum), n, nil
}

// HashFile digests one file (following a symbolic link given directly),
// through the stat cache when one is configured. The entry's path is the
// file's base name.
func (h *Hasher) HashFile(ctx context.Context, path string) (Entry, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Entry{}, fmt.Errorf("dataset: hash %s: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return Entry{}, fmt.Errorf("dataset: hash: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Entry{}, fmt.Errorf("%w: %s is not a regular file", ErrSpecialFile, path)
	}
	open := func() (io.ReadCloser, error) { return os.Open(abs) }
	if lfi, err := os.Lstat(abs); err == nil && lfi.Mode().IsRegular() {
		open = func() (io.ReadCloser, error) { return openFile(abs) }
	}
	j := job{rel: filepath.Base(abs), abs: abs, fi: fi, open: open}
	return h.hashJob(ctx, j, nil)
}

// HashDir hashes every regular file under root into a manifest, in
// parallel, using the stat cache when one is configured. Directories are
// implied by the paths of their files (empty directories are not
// recorded). Symbolic links follow Options.Symlinks; devices, pipes and
// sockets fail with ErrSpecialFile unless Options.SkipSpecial is set. A file
// name that is not a valid path (ValidatePath) fails with ErrInvalidPath.
func (h *Hasher) HashDir(ctx context.Context, root string) (*Manifest, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("dataset: hash %s: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("dataset: hash: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("dataset: hash: %s is not a directory", root)
	}
	var osRoot *os.Root
	defer func() {
		if osRoot != nil {
			osRoot.Close()
		}
	}()
	var jobs []job
	err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == abs {
			return nil
		}
		relOS := p[len(abs)+1:] // WalkDir joins abs and the names below it
		if abs == string(filepath.Separator) {
			relOS = p[1:]
		}
		rel := filepath.ToSlash(relOS)
		if err := ValidatePath(rel); err != nil {
			return err
		}
		switch t := d.Type(); {
		case t.IsDir():
			return nil
		case t.IsRegular():
			// Stat later, in parallel: on trees of small files the
			// walk is otherwise bound by one lstat after another.
			// No open func: hashJob opens abs itself, sparing a
			// closure per file.
			jobs = append(jobs, job{rel: rel, abs: p})
		case t&fs.ModeSymlink != 0:
			switch h.opts.Symlinks {
			case SymlinkSkip:
				h.opts.Logger.DebugContext(ctx, "dataset: skip symbolic link", "path", rel)
				return nil
			case SymlinkFollow:
				if osRoot == nil {
					if osRoot, err = os.OpenRoot(abs); err != nil {
						return err
					}
				}
				r := osRoot
				info, err := r.Stat(relOS)
				if err != nil {
					return fmt.Errorf("%w: symbolic link %s does not resolve inside the root: %v", ErrInvalidPath, rel, err)
				}
				if !info.Mode().IsRegular() {
					return fmt.Errorf("%w: %s does not point to a regular file", ErrSymlink, rel)
				}
				jobs = append(jobs, job{rel: rel, abs: p, fi: info, open: func() (io.ReadCloser, error) { return r.Open(relOS) }})
			default:
				return fmt.Errorf("%w: %s (see SymlinkPolicy)", ErrSymlink, rel)
			}
		default:
			if h.opts.SkipSpecial {
				h.opts.Logger.DebugContext(ctx, "dataset: skip special file", "path", rel, "mode", t.String())
				return nil
			}
			return fmt.Errorf("%w: %s has mode %s", ErrSpecialFile, rel, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dataset: hash %s: %w", root, err)
	}
	if err := h.statFiles(ctx, jobs); err != nil {
		return nil, err
	}
	return h.run(ctx, jobs)
}

// parallel calls fn(0..n-1) on the Hasher's workers, stopping at the first
// error or when ctx ends.
func (h *Hasher) parallel(ctx context.Context, n int, fn func(i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	var next atomic.Int64
	for range min(h.opts.Workers, n) {
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return nil
				}
				if i%256 == 0 {
					if err := gctx.Err(); err != nil {
						return err
					}
				}
				if err := fn(i); err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}

// HashFS hashes every regular file of fsys, as HashDir does a directory.
// The stat cache is not used (an fs.FS has no stable file identity).
// Under SymlinkFollow, links are resolved by fsys itself.
func (h *Hasher) HashFS(ctx context.Context, fsys fs.FS) (*Manifest, error) {
	var jobs []job
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == "." {
			return nil
		}
		if err := ValidatePath(p); err != nil {
			return err
		}
		open := func() (io.ReadCloser, error) { return fsys.Open(p) }
		switch t := d.Type(); {
		case t.IsDir():
			return nil
		case t.IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			jobs = append(jobs, job{rel: p, fi: info, open: open})
		case t&fs.ModeSymlink != 0:
			switch h.opts.Symlinks {
			case SymlinkSkip:
				return nil
			case SymlinkFollow:
				info, err := fs.Stat(fsys, p)
				if err != nil {
					return err
				}
				if !info.Mode().IsRegular() {
					return fmt.Errorf("%w: %s does not point to a regular file", ErrSymlink, p)
				}
				jobs = append(jobs, job{rel: p, fi: info, open: open})
			default:
				return fmt.Errorf("%w: %s (see SymlinkPolicy)", ErrSymlink, p)
			}
		default:
			if h.opts.SkipSpecial {
				return nil
			}
			return fmt.Errorf("%w: %s has mode %s", ErrSpecialFile, p, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dataset: hash: %w", err)
	}
	return h.run(ctx, jobs)
}

// formatSum is FormatDigest in one allocation.
func formatSum(a Algorithm, sum []byte) string {
	var buf [16 + 1 + 2*64]byte
	b := append(buf[:0], a...)
	b = append(b, ':')
	b = hex.AppendEncode(b, sum)
	return string(b)
}

// job is one file to hash.
type job struct {
	rel  string
	abs  string // key in the stat cache; "" to bypass it
	fi   fs.FileInfo
	open func() (io.ReadCloser, error) // nil: openFile(abs)
}

// run hashes jobs with a bounded pool, largest files first so that one big
// file does not start last and run alone.
func (h *Hasher) run(ctx context.Context, jobs []job) (*Manifest, error) {
	pr := &progress{fn: h.opts.Progress}
	pr.state.Phase, pr.state.FilesTotal = "hash", len(jobs)
	entries := make([]Entry, len(jobs))
	// Files the stat cache knows are done here, without the workers: on an
	// unchanged tree this loop is all the work after the status reads.
	order := make([]int, 0, len(jobs))
	var hits int
	var hitBytes int64
	alg := h.opts.Algorithm
	for i := range jobs {
		j := &jobs[i]
		pr.state.BytesTotal += j.fi.Size()
		if c := h.opts.Cache; c != nil && j.abs != "" {
			if sum, ok := c.lookup(alg, j.abs, j.fi); ok {
				entries[i] = Entry{Path: j.rel, Size: j.fi.Size(), Mode: j.fi.Mode().Perm(), Digest: formatSum(alg, sum)}
				hits++
				hitBytes += j.fi.Size()
				continue
			}
		}
		order = append(order, i)
	}
	if hits > 0 {
		pr.add(hits, hits, hitBytes)
	}
	slices.SortStableFunc(order, func(a, b int) int {
		sa, sb := jobs[a].fi.Size(), jobs[b].fi.Size()
		switch {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return 0
	})
	err := h.parallel(ctx, len(order), func(k int) error {
		i := order[k]
		e, err := h.hashJob(ctx, jobs[i], pr)
		entries[i] = e
		return err
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b Entry) int {
		switch {
		case a.Path < b.Path:
			return -1
		case a.Path > b.Path:
			return 1
		}
		return 0
	})
	pr.report()
	return &Manifest{Entries: entries}, nil
}

func (h *Hasher) hashJob(ctx context.Context, j job, pr *progress) (Entry, error) {
	alg := h.opts.Algorithm
	entry := Entry{Path: j.rel, Size: j.fi.Size(), Mode: j.fi.Mode().Perm()}
	if c := h.opts.Cache; c != nil && j.abs != "" {
		if sum, ok := c.lookup(alg, j.abs, j.fi); ok {
			entry.Digest = FormatDigest(alg, sum)
			pr.add(1, 1, j.fi.Size())
			return entry, nil
		}
	}
	hashedAt := time.Now()
	var f io.ReadCloser
	var err error
	if j.open != nil {
		f, err = j.open()
	} else {
		f, err = openFile(j.abs)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("dataset: hash %s: %w", j.rel, err)
	}
	var sum []byte
	var n, reported int64
	if data, unmap, ok := mapFile(f, j.fi.Size()); ok {
		sum, n, reported, err = h.sumMapped(ctx, data, pr)
		unmap()
		if now := sizeNow(f); err == nil && now != n {
			n = now // reported as changed below
		}
	} else {
		sum, n, reported, err = h.sum(ctx, f, pr)
	}
	f.Close()
	if err != nil {
		return Entry{}, fmt.Errorf("dataset: hash %s: %w", j.rel, err)
	}
	if n != j.fi.Size() {
		return Entry{}, fmt.Errorf("%w: %s had %d bytes when listed, %d when read", ErrChanged, j.rel, j.fi.Size(), n)
	}
	if c := h.opts.Cache; c != nil && j.abs != "" {
		c.store(alg, j.abs, j.fi, sum, hashedAt)
	}
	pr.add(1, 0, n-reported)
	entry.Digest = FormatDigest(alg, sum)
	return entry, nil
}

// sum reads r to the end with a pooled buffer, reporting every
// progressChunk bytes to pr (which may be nil). It returns the sum, the
// number of bytes read and how many of them were reported.
func (h *Hasher) sum(ctx context.Context, r io.Reader, pr *progress) (sum []byte, n, reported int64, err error) {
	hh, err := h.opts.Algorithm.New()
	if err != nil {
		return nil, 0, 0, err
	}
	bp := h.bufs.Get().(*[]byte)
	defer h.bufs.Put(bp)
	buf := *bp
	for {
		m, err := r.Read(buf)
		if m > 0 {
			hh.Write(buf[:m])
			n += int64(m)
			if n-reported >= progressChunk {
				if cerr := ctx.Err(); cerr != nil {
					return nil, n, reported, cerr
				}
				pr.add(0, 0, n-reported)
				reported = n
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, n, reported, err
		}
	}
	return hh.Sum(nil), n, reported, nil
}

// sumMapped hashes a memory-mapped file. A fault on the mapping (the file
// was truncated meanwhile) is turned into an error instead of a crash.
func (h *Hasher) sumMapped(ctx context.Context, data []byte, pr *progress) (sum []byte, n, reported int64, err error) {
	hh, err := h.opts.Algorithm.New()
	if err != nil {
		return nil, 0, 0, err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			sum, err = nil, fmt.Errorf("%w: fault while reading the mapped file: %v", ErrChanged, r)
		}
	}()
	for off := 0; off < len(data); off += progressChunk {
		if err := ctx.Err(); err != nil {
			return nil, int64(off), reported, err
		}
		end := min(off+progressChunk, len(data))
		hh.Write(data[off:end])
		if end < len(data) {
			pr.add(0, 0, int64(end-off))
			reported += int64(end - off)
		}
	}
	return hh.Sum(nil), int64(len(data)), reported, nil
}

type progress struct {
	fn    func(Progress)
	mu    sync.Mutex
	state Progress
}

func (p *progress) add(files, cached int, bytes int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state.FilesDone += files
	p.state.FilesCached += cached
	p.state.BytesDone += bytes
	if p.fn != nil {
		p.fn(p.state)
	}
}

func (p *progress) report() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fn != nil && p.state.FilesTotal == 0 {
		p.fn(p.state)
	}
}
