package dvc

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/sextant-ml/sextant/dataset/internal/atomicfile"
	"github.com/sextant-ml/sextant/dataset/treehash"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
	"golang.org/x/sync/errgroup"
)

// Options configures a Remote.
type Options struct {
	// Workers is the number of objects transferred at once. Default: 8.
	Workers int
	// Cache, if set, lets Push and Pull skip reading unchanged local files
	// when computing their MD5. Default: nil.
	Cache *treehash.Cache
	// Logger receives debug records of skipped and transferred objects.
	// Default: discard.
	Logger *slog.Logger
	// MaxListingBytes bounds a directory listing (.dir object), which Pull
	// reads into memory whole: a larger one fails with ErrListingTooLarge
	// before more than MaxListingBytes+1 bytes are read. A listing entry
	// takes about 70 bytes plus its path, so the default fits some
	// 500,000 files. Default: DefaultMaxListingBytes (64 MiB).
	MaxListingBytes int64
}

// DefaultMaxListingBytes is the listing limit used when
// Options.MaxListingBytes is zero or negative.
const DefaultMaxListingBytes = 64 << 20

// Remote is a DVC 3 remote on a gocloud bucket: objects at
// files/md5/<first two hex digits>/<remaining thirty>, directory listings
// under their hash with the ".dir" suffix. It is safe for concurrent use.
type Remote struct {
	bucket *blob.Bucket
	opts   Options
	hasher *treehash.Hasher
}

// NewRemote returns a Remote on b (not closed by the Remote; use
// blob.PrefixedBucket for a remote under a prefix).
func NewRemote(b *blob.Bucket, opts *Options) *Remote {
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
	if o.MaxListingBytes <= 0 {
		o.MaxListingBytes = DefaultMaxListingBytes
	}
	h, _ := treehash.New(&treehash.Options{Algorithm: treehash.MD5, Cache: o.Cache, Logger: o.Logger})
	return &Remote{bucket: b, opts: o, hasher: h}
}

// ObjectKey is the key of the object with hash h (a file MD5 or a
// directory hash ending in ".dir") in a DVC 3 remote.
func ObjectKey(h string) string {
	if len(h) < 3 {
		return "files/md5/" + h
	}
	return "files/md5/" + h[:2] + "/" + h[2:]
}

// Pull fetches every output of f into dir, the directory of the .dvc
// file. See PullOut.
func (r *Remote) Pull(ctx context.Context, f *File, dir string) error {
	for _, o := range f.Outs {
		if err := r.PullOut(ctx, o, dir); err != nil {
			return err
		}
	}
	return nil
}

// PullOut fetches one output into dir/o.Path. Every object is verified
// against its MD5 while it streams to a temporary file, which is renamed
// into place only when it matches: a corrupt object fails with
// ErrDigestMismatch and an interrupted pull leaves no partial file under a
// final name. Files already present with the right MD5 are kept. Files in
// the directory that the listing does not name are left alone.
func (r *Remote) PullOut(ctx context.Context, o Out, dir string) error {
	if err := o.validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dvc: pull: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("dvc: pull: %w", err)
	}
	defer root.Close()
	outPath := strings.TrimSuffix(o.Path, "/")
	type item struct{ md5, rel string }
	var items []item
	if o.IsDir() {
		listing, err := r.fetchBytes(ctx, o.MD5)
		if err != nil {
			return err
		}
		entries, err := ParseListing(listing)
		if err != nil {
			return fmt.Errorf("dvc: pull %s: %w", o.Path, err)
		}
		if o.NFiles != nil && len(entries) != *o.NFiles {
			return fmt.Errorf("%w: %s lists %d files, the .dvc file says %d", ErrInvalidListing, o.Path, len(entries), *o.NFiles)
		}
		for _, e := range entries {
			items = append(items, item{e.MD5, outPath + "/" + e.RelPath})
		}
	} else {
		items = append(items, item{o.MD5, outPath})
	}
	perm := fs.FileMode(0o644)
	if o.IsExec {
		perm = 0o755
	}
	var total atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.Workers)
	for _, it := range items {
		g.Go(func() error {
			if e, err := r.hasher.HashFile(gctx, filepath.Join(dir, filepath.FromSlash(it.rel))); err == nil && e.Sum.Hex() == it.md5 {
				total.Add(e.Size)
				r.opts.Logger.DebugContext(gctx, "dvc: keep present file", "path", it.rel)
				return nil
			}
			n, err := r.download(gctx, root, it.rel, it.md5, perm)
			total.Add(n)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if o.Size != nil && total.Load() != *o.Size {
		return fmt.Errorf("%w: %s has %d bytes, the .dvc file says %d", ErrDigestMismatch, o.Path, total.Load(), *o.Size)
	}
	return nil
}

// download streams object h to rel under root, verifying its MD5.
func (r *Remote) download(ctx context.Context, root *os.Root, rel, h string, perm fs.FileMode) (int64, error) {
	var n int64
	err := atomicfile.Write(root, rel, perm, func(w io.Writer) error {
		rd, err := r.open(ctx, h)
		if err != nil {
			return err
		}
		defer rd.Close()
		sum := md5.New()
		n, err = io.CopyBuffer(io.MultiWriter(w, sum), rd, make([]byte, 1<<20))
		if err != nil {
			return fmt.Errorf("dvc: pull %s: %w", rel, err)
		}
		if got := hex.EncodeToString(sum.Sum(nil)); got != h {
			return fmt.Errorf("%w: %s: object %s has md5 %s", ErrDigestMismatch, rel, ObjectKey(h), got)
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("dvc: pull %s: %w", rel, err)
	}
	r.opts.Logger.DebugContext(ctx, "dvc: pulled", "path", rel, "bytes", n)
	return n, nil
}

func (r *Remote) open(ctx context.Context, h string) (*blob.Reader, error) {
	rd, err := r.bucket.NewReader(ctx, ObjectKey(h), nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, ObjectKey(h))
	}
	if err != nil {
		return nil, fmt.Errorf("dvc: open %s: %w", ObjectKey(h), err)
	}
	return rd, nil
}

// fetchBytes reads a whole object (a directory listing), at most
// MaxListingBytes of it, and verifies it.
func (r *Remote) fetchBytes(ctx context.Context, h string) ([]byte, error) {
	rd, err := r.open(ctx, h)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	data, err := readListing(rd, rd.Size(), r.opts.MaxListingBytes)
	if err != nil {
		return nil, fmt.Errorf("dvc: read %s: %w", ObjectKey(h), err)
	}
	sum := md5.Sum(data)
	if got := hex.EncodeToString(sum[:]); got != strings.TrimSuffix(h, DirSuffix) {
		return nil, fmt.Errorf("%w: object %s has md5 %s", ErrDigestMismatch, ObjectKey(h), got)
	}
	return data, nil
}

// readListing reads all of rd, which claims to hold size bytes (negative:
// unknown), if that is at most limit bytes. A claimed size over the limit
// fails at once; a reader holding more than it claims is cut off after
// limit+1 bytes, so memory stays within about twice the limit.
func readListing(rd io.Reader, size, limit int64) ([]byte, error) {
	if size > limit {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrListingTooLarge, size, limit)
	}
	// One byte of room past the claimed size finds a reader that lies.
	buf := make([]byte, 0, max(size, 0)+1)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(int64(2*cap(buf)), limit+1))-len(buf))
		}
		n, err := rd.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrListingTooLarge, limit)
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Push uploads the file or directory at src to the remote in DVC 3 layout
// and returns its output entry, path set to the base name of src, ready
// for a .dvc file beside src. Objects the remote already has are not
// uploaded again; a directory's listing is uploaded last, so a listing on
// the remote never names a missing object. Uploads carry their MD5 so the
// bucket rejects bytes changed in flight.
func (r *Remote) Push(ctx context.Context, src string) (Out, error) {
	fi, err := os.Stat(src)
	if err != nil {
		return Out{}, fmt.Errorf("dvc: push: %w", err)
	}
	out := Out{Hash: "md5", Path: filepath.Base(src)}
	if !fi.IsDir() {
		e, err := r.hasher.HashFile(ctx, src)
		if err != nil {
			return Out{}, err
		}
		out.MD5, out.Size = e.Sum.Hex(), new(e.Size)
		if err := r.upload(ctx, src, out.MD5); err != nil {
			return Out{}, err
		}
		return out, nil
	}
	files, err := r.hasher.HashDir(ctx, src)
	if err != nil {
		return Out{}, fmt.Errorf("dvc: push: %w", err)
	}
	entries := make([]DirEntry, len(files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.opts.Workers)
	var size int64
	for i, e := range files {
		size += e.Size
		entries[i] = DirEntry{MD5: e.Sum.Hex(), RelPath: e.Path}
		g.Go(func() error {
			return r.upload(gctx, filepath.Join(src, filepath.FromSlash(e.Path)), entries[i].MD5)
		})
	}
	if err := g.Wait(); err != nil {
		return Out{}, err
	}
	listing := EncodeListing(entries)
	out.MD5 = listingHash(listing)
	if err := r.put(ctx, out.MD5, bytes.NewReader(listing)); err != nil {
		return Out{}, err
	}
	out.Size, out.NFiles = new(size), new(len(files))
	return out, nil
}

// upload sends the file at p as object h unless the remote has it.
func (r *Remote) upload(ctx context.Context, p, h string) error {
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("dvc: push: %w", err)
	}
	defer f.Close()
	return r.put(ctx, h, f)
}

func (r *Remote) put(ctx context.Context, h string, src io.Reader) error {
	key := ObjectKey(h)
	ok, err := r.bucket.Exists(ctx, key)
	if err != nil {
		return fmt.Errorf("dvc: push %s: %w", key, err)
	}
	if ok {
		r.opts.Logger.DebugContext(ctx, "dvc: remote has object", "key", key)
		return nil
	}
	sum, err := hex.DecodeString(strings.TrimSuffix(h, DirSuffix))
	if err != nil {
		return fmt.Errorf("dvc: push %s: %w", key, err)
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := r.bucket.NewWriter(wctx, key, &blob.WriterOptions{ContentMD5: sum})
	if err != nil {
		return fmt.Errorf("dvc: push %s: %w", key, err)
	}
	if _, err := io.CopyBuffer(w, src, make([]byte, 1<<20)); err != nil {
		cancel()
		w.Close()
		return fmt.Errorf("dvc: push %s: %w", key, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("dvc: push %s: %w", key, err)
	}
	return nil
}
