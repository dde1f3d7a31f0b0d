package treehash

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// SymlinkPolicy says what hashing does with a symbolic link.
type SymlinkPolicy int

const (
	// SymlinkReject fails with ErrSymlink: a hashed tree is a set of bytes, and a
	// link's meaning depends on the machine it is checked out on.
	SymlinkReject SymlinkPolicy = iota
	// SymlinkFollow hashes the file a link points to, recorded under the
	// link's path, provided the target stays inside the root (otherwise
	// ErrInvalidPath) and is a regular file (a link to a directory is
	// ErrSymlink, which also rules out cycles).
	SymlinkFollow
	// SymlinkSkip leaves links out of the result.
	SymlinkSkip
)

// Progress is reported while a tree is hashed.
type Progress struct {
	// Phase names the work: "hash" here; packages that build on this one
	// report their own phases in the same type (dataset: "upload",
	// "download").
	Phase                 string
	FilesDone, FilesTotal int
	BytesDone, BytesTotal int64
	// FilesCached counts the files among FilesDone that needed no work:
	// hashing, digests from the Cache (dataset: for an upload, contents
	// the store already had; for a download, files already in place).
	FilesCached int
}

// File is one hashed file.
type File struct {
	// Path is slash-separated and relative to the root hashed (HashFile:
	// the file's base name).
	Path string
	// Size is the file's length in bytes.
	Size int64
	// Mode holds the permission bits (fs.ModePerm) only.
	Mode fs.FileMode
	// Sum is the digest of the file's bytes.
	Sum Sum
}

// Options configures a Hasher.
type Options struct {
	// Algorithm of the digests. Default: SHA256.
	Algorithm Algorithm
	// Workers is the number of files hashed at once. Default:
	// runtime.GOMAXPROCS(0).
	Workers int
	// BufferSize is the read size per worker. Default: 1 MiB.
	BufferSize int
	// Cache remembers digests of unchanged files across runs. Default: nil,
	// every file is read. Open one with OpenCache and Save it when done.
	Cache *Cache
	// Progress, if set, is called after each file read, every 16 MiB of a
	// large file, and once for all the files served by the cache. Calls
	// are serialized; the last call of a HashDir or HashFS reports
	// FilesDone == FilesTotal. Default: nil.
	Progress func(Progress)
	// Symlinks says what to do with symbolic links. Default: SymlinkReject.
	Symlinks SymlinkPolicy
	// SkipSpecial leaves devices, named pipes and sockets out of the
	// result instead of failing with ErrSpecialFile. Default: false.
	SkipSpecial bool
	// Logger receives debug records of skipped entries. Default: discard.
	Logger *slog.Logger
}

// Hasher computes digests of files and trees. It is safe for concurrent
// use; each call runs its own bounded pool of workers.
type Hasher struct {
	opts Options
	alg  uint8
	bufs sync.Pool
}

const progressChunk = 16 << 20

// mapMin is the size from which a file is hashed through a memory map
// rather than read (where the platform allows): hashing straight from the
// page cache saves copying every byte into a buffer, about a tenth of the
// work on large files.
const mapMin = 8 << 20

// New returns a Hasher with opts (nil for the defaults). An Algorithm
// this package does not have fails with ErrUnknownAlgorithm.
func New(opts *Options) (*Hasher, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Algorithm == "" {
		o.Algorithm = SHA256
	}
	alg, ok := o.Algorithm.code()
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownAlgorithm, string(o.Algorithm))
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
	h := &Hasher{opts: o, alg: alg}
	h.bufs.New = func() any {
		b := make([]byte, o.BufferSize)
		return &b
	}
	return h, nil
}

// Algorithm is the algorithm of the digests h computes.
func (h *Hasher) Algorithm() Algorithm { return h.opts.Algorithm }

// HashReader digests everything r yields and counts its bytes.
func (h *Hasher) HashReader(ctx context.Context, r io.Reader) (Sum, int64, error) {
	sum, n, _, err := h.sum(ctx, r, nil)
	if err != nil {
		return Sum{}, n, err
	}
	return sum, n, nil
}

// HashFile digests one file (following a symbolic link given directly),
// through the cache when one is configured. The File's path is the file's
// base name.
func (h *Hasher) HashFile(ctx context.Context, path string) (File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return File{}, fmt.Errorf("treehash: hash %s: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return File{}, fmt.Errorf("treehash: hash: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return File{}, fmt.Errorf("%w: %s is not a regular file", ErrSpecialFile, path)
	}
	var open func() (io.ReadCloser, error) // nil: openFile(abs)
	if lfi, err := os.Lstat(abs); err != nil || !lfi.Mode().IsRegular() {
		open = func() (io.ReadCloser, error) { return os.Open(abs) }
	}
	j := job{rel: filepath.Base(abs), abs: abs, st: statOf(fi), open: open}
	if c := h.opts.Cache; c != nil {
		if sum, ok := c.lookup(h.alg, j.abs, j.st); ok {
			return File{Path: j.rel, Size: j.st.size, Mode: j.st.perm, Sum: sum}, nil
		}
	}
	return h.hashJob(ctx, &j, nil)
}

// HashDir hashes every regular file under root, in parallel, through the
// cache when one is configured, and returns them sorted by path
// (byte-wise). Directories are
// implied by the paths of their files (empty directories are not
// recorded). Symbolic links follow Options.Symlinks; devices, pipes and
// sockets fail with ErrSpecialFile unless Options.SkipSpecial is set. A file
// name that is not a valid path (ValidatePath) fails with ErrInvalidPath.
func (h *Hasher) HashDir(ctx context.Context, root string) ([]File, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("treehash: hash %s: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("treehash: hash: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("treehash: hash: %s is not a directory", root)
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
				h.opts.Logger.DebugContext(ctx, "treehash: skip symbolic link", "path", rel)
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
				jobs = append(jobs, job{rel: rel, abs: p, st: statOf(info), statted: true, open: func() (io.ReadCloser, error) { return r.Open(relOS) }})
			default:
				return fmt.Errorf("%w: %s (see SymlinkPolicy)", ErrSymlink, rel)
			}
		default:
			if h.opts.SkipSpecial {
				h.opts.Logger.DebugContext(ctx, "treehash: skip special file", "path", rel, "mode", t.String())
				return nil
			}
			return fmt.Errorf("%w: %s has mode %s", ErrSpecialFile, rel, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("treehash: hash %s: %w", root, err)
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
// The cache is not used (an fs.FS has no stable file identity). Under
// SymlinkFollow, links are resolved by fsys itself.
func (h *Hasher) HashFS(ctx context.Context, fsys fs.FS) ([]File, error) {
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
			jobs = append(jobs, job{rel: p, st: statOf(info), statted: true, open: open})
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
				jobs = append(jobs, job{rel: p, st: statOf(info), statted: true, open: open})
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
		return nil, fmt.Errorf("treehash: hash: %w", err)
	}
	return h.run(ctx, jobs)
}

// fileStat is what the cache keys a file on, and its permission bits.
type fileStat struct {
	size  int64
	mtime int64 // nanoseconds since the epoch
	ino   uint64
	perm  fs.FileMode
}

// statOf reads a fileStat out of fi.
func statOf(fi fs.FileInfo) fileStat {
	return fileStat{size: fi.Size(), mtime: fi.ModTime().UnixNano(), ino: inodeOf(fi), perm: fi.Mode().Perm()}
}

// job is one file to hash.
type job struct {
	rel     string
	abs     string // key in the cache; "" to bypass it
	st      fileStat
	statted bool                          // st is filled in
	open    func() (io.ReadCloser, error) // nil: openFile(abs)
}

// run hashes jobs with a bounded pool, largest files first so that one big
// file does not start last and run alone.
func (h *Hasher) run(ctx context.Context, jobs []job) ([]File, error) {
	pr := &progress{fn: h.opts.Progress}
	pr.state.Phase, pr.state.FilesTotal = "hash", len(jobs)
	files := make([]File, len(jobs))
	// Files the cache knows are done here, without the workers: on an
	// unchanged tree this loop is all the work after the status reads.
	var order []int
	var hits int
	var hitBytes int64
	c := h.opts.Cache
	view := c.view()
	defer view.release()
	for i := range jobs {
		j := &jobs[i]
		pr.state.BytesTotal += j.st.size
		if j.abs != "" {
			if sum, ok := view.lookup(h.alg, j.abs, j.st); ok {
				files[i] = File{Path: j.rel, Size: j.st.size, Mode: j.st.perm, Sum: sum}
				hits++
				hitBytes += j.st.size
				continue
			}
		}
		order = append(order, i)
	}
	view.release()
	if hits > 0 {
		pr.add(hits, hits, hitBytes)
	}
	slices.SortStableFunc(order, func(a, b int) int {
		sa, sb := jobs[a].st.size, jobs[b].st.size
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
		f, err := h.hashJob(ctx, &jobs[i], pr)
		files[i] = f
		return err
	})
	if err != nil {
		return nil, err
	}
	// Walk order is byte order but for names that sort below '/' ("a.b"
	// after "a/c"): most trees need no sort at all.
	byPath := func(a, b File) int { return strings.Compare(a.Path, b.Path) }
	if !slices.IsSortedFunc(files, byPath) {
		slices.SortFunc(files, byPath)
	}
	pr.report()
	return files, nil
}

// hashJob reads and hashes the file of j, which the caller has looked up
// in the cache already, and stores its sum there.
func (h *Hasher) hashJob(ctx context.Context, j *job, pr *progress) (File, error) {
	file := File{Path: j.rel, Size: j.st.size, Mode: j.st.perm}
	c := h.opts.Cache
	hashedAt := time.Now()
	var f io.ReadCloser
	var err error
	if j.open != nil {
		f, err = j.open()
	} else {
		f, err = openFile(j.abs)
	}
	if err != nil {
		return File{}, fmt.Errorf("treehash: hash %s: %w", j.rel, err)
	}
	var sum Sum
	var n, reported int64
	if data, unmap, ok := mapFile(f, j.st.size); ok {
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
		return File{}, fmt.Errorf("treehash: hash %s: %w", j.rel, err)
	}
	if n != j.st.size {
		return File{}, fmt.Errorf("%w: %s had %d bytes when listed, %d when read", ErrChanged, j.rel, j.st.size, n)
	}
	if c != nil && j.abs != "" {
		c.store(h.alg, j.abs, j.st, sum, hashedAt)
	}
	pr.add(1, 0, n-reported)
	file.Sum = sum
	return file, nil
}

// sum reads r to the end with a pooled buffer, reporting every
// progressChunk bytes to pr (which may be nil). It returns the sum, the
// number of bytes read and how many of them were reported.
func (h *Hasher) sum(ctx context.Context, r io.Reader, pr *progress) (sum Sum, n, reported int64, err error) {
	hh, err := h.opts.Algorithm.newHash()
	if err != nil {
		return Sum{}, 0, 0, err
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
					return Sum{}, n, reported, cerr
				}
				pr.add(0, 0, n-reported)
				reported = n
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Sum{}, n, reported, err
		}
	}
	return h.sumOf(hh), n, reported, nil
}

// sumOf is the Sum of hh, without allocating.
func (h *Hasher) sumOf(hh hash.Hash) Sum {
	s := Sum{alg: h.alg}
	hh.Sum(s.b[:0])
	return s
}

// sumMapped hashes a memory-mapped file. A fault on the mapping (the file
// was truncated meanwhile) is turned into an error instead of a crash.
func (h *Hasher) sumMapped(ctx context.Context, data []byte, pr *progress) (sum Sum, n, reported int64, err error) {
	hh, err := h.opts.Algorithm.newHash()
	if err != nil {
		return Sum{}, 0, 0, err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			sum, err = Sum{}, fmt.Errorf("%w: fault while reading the mapped file: %v", ErrChanged, r)
		}
	}()
	for off := 0; off < len(data); off += progressChunk {
		if err := ctx.Err(); err != nil {
			return Sum{}, int64(off), reported, err
		}
		end := min(off+progressChunk, len(data))
		hh.Write(data[off:end])
		if end < len(data) {
			pr.add(0, 0, int64(end-off))
			reported += int64(end - off)
		}
	}
	return h.sumOf(hh), int64(len(data)), reported, nil
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
