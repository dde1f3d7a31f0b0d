package artifact

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
	"gocloud.dev/secrets"
)

// Options configure a Store. The zero value is usable: a plain store under
// "cas/" at the root of the bucket.
type Options struct {
	// Prefix places the store under "<Prefix>/cas/" inside the bucket. It
	// must be a valid key (see ValidateKey). Default: none, "cas/".
	Prefix string
	// Keeper turns on encryption at rest: every object gets a fresh 256-bit
	// data key, wrapped by Keeper and stored in the object's header. The
	// same Keeper (or one holding the same key) is needed to read.
	// Default: nil, objects are stored as plaintext.
	Keeper *secrets.Keeper
	// SegmentSize is the plaintext size of one encrypted segment, between
	// MinSegmentSize and MaxSegmentSize. Readers take it from each object's
	// header, so it may change between writers. Default: DefaultSegmentSize
	// (64 KiB). Ignored without a Keeper.
	SegmentSize int
	// Progress, when set, is called while content is transferred, from the
	// goroutine of the call, with the bytes done so far and the total
	// (-1 when it is not known). PutOptions.Progress overrides it for one
	// Put. Default: none.
	Progress func(done, total int64)
	// Logger receives debug records about uploads, deduplication and
	// garbage collection. Default: nothing is logged.
	Logger *slog.Logger
	// Authorizer, when set, is asked before every operation, on resource
	// "artifacts" with the digest's ResourceName ("sha256/<hex>") as name,
	// since authorization names may not hold the ':' of the digest
	// string: "get" for Open, Get,
	// Verify, Stat and Exists; "create" for PutKnown; "delete" for Delete.
	// Put asks "create" with an empty name, as its digest is not known
	// before the content is read; Walk asks "list" and GC "delete", both
	// with an empty name. A refusal is returned wrapped (errors.Is holds
	// for the authorizer's own errors) and nothing is read or written.
	// The subject travels in the context (see package rbac). Default:
	// nil, no checks.
	Authorizer Authorizer
}

// Authorizer decides whether the subject carried by ctx may apply verb to
// the named resource; nil means allowed. *rbac.Authorizer implements it.
type Authorizer interface {
	Authorize(ctx context.Context, verb, resource, name string) error
}

// PutOptions describe content given to Put. A nil *PutOptions is the zero
// value.
type PutOptions struct {
	// MediaType is copied into the returned Descriptor. Default: none.
	MediaType string
	// Annotations are copied into the returned Descriptor. Default: none.
	Annotations map[string]string
	// Size, when positive, is the expected length of the content: the total
	// reported to Progress, and checked (ErrSizeMismatch, nothing stored).
	// Default: 0, unknown.
	Size int64
	// Progress overrides Options.Progress for this call. Default: none.
	Progress func(done, total int64)
}

// Info describes a stored object.
type Info struct {
	Digest Digest
	// Size is the length of the content, the plaintext when encrypted.
	Size int64
	// StoredSize is the length of the object in the bucket.
	StoredSize int64
	// ModTime is when the object was last written.
	ModTime time.Time
}

// Store is a content-addressed store on a Bucket. Content is named by the
// SHA-256 of its bytes and kept at <prefix>/cas/sha256/<2 hex>/<62 hex>.
type Store struct {
	b        *Bucket
	owned    bool
	root     string // "cas/" or "<prefix>/cas/"
	keeper   *secrets.Keeper
	seg      int
	progress func(done, total int64)
	log      *slog.Logger
	// copyLimit is the largest upload committed by a server-side copy;
	// larger ones are streamed (S3's CopyObject stops at 5 GiB).
	copyLimit int64
	// refreshAge is the age beyond which content found already stored is
	// rewritten or touched, so that GC's grace period covers it again.
	refreshAge time.Duration
	authz      Authorizer
	// bufs recycles transfer buffers between calls.
	bufs bufPool
}

// RefreshAge is how old stored content must be for Put (and PutKnown on
// file://) to renew its modification time when asked to store it again.
const RefreshAge = 10 * time.Minute

// maxServerCopy is the largest object S3 copies in one CopyObject call.
const maxServerCopy = 5 << 30

// Open opens the bucket at urlstr (see OpenBucket) and a store on it.
// Close releases the bucket.
func Open(ctx context.Context, urlstr string, opts *Options) (*Store, error) {
	b, err := OpenBucket(ctx, urlstr)
	if err != nil {
		return nil, err
	}
	s, err := New(b, opts)
	if err != nil {
		b.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New returns a store on b. The caller keeps ownership of b. A nil opts is
// the zero Options.
func New(b *Bucket, opts *Options) (*Store, error) {
	if b == nil {
		return nil, errors.New("artifact: nil bucket")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	root := "cas/"
	if p := strings.TrimSuffix(o.Prefix, "/"); p != "" {
		if err := ValidateKey(p); err != nil {
			return nil, fmt.Errorf("artifact: store prefix: %w", err)
		}
		root = p + "/cas/"
	}
	seg := o.SegmentSize
	if seg == 0 {
		seg = DefaultSegmentSize
	}
	if seg < MinSegmentSize || seg > MaxSegmentSize {
		return nil, fmt.Errorf("artifact: segment size %d outside [%d, %d]", seg, MinSegmentSize, MaxSegmentSize)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{b: b, root: root, keeper: o.Keeper, seg: seg, progress: o.Progress, log: log, copyLimit: maxServerCopy, refreshAge: RefreshAge, authz: o.Authorizer}, nil
}

// authorize asks the store's Authorizer, if any, whether verb may be
// applied to the artifact name.
func (s *Store) authorize(ctx context.Context, verb, name string) error {
	if s.authz == nil {
		return nil
	}
	if err := s.authz.Authorize(ctx, verb, "artifacts", name); err != nil {
		if name == "" {
			return fmt.Errorf("artifact: %s artifacts: %w", verb, err)
		}
		return fmt.Errorf("artifact: %s artifacts %s: %w", verb, name, err)
	}
	return nil
}

// Bucket returns the bucket the store lives on.
func (s *Store) Bucket() *Bucket { return s.b }

// Close closes the bucket if the store opened it (Open); a store made with
// New leaves its bucket open.
func (s *Store) Close() error {
	if s.owned {
		return s.b.Close()
	}
	return nil
}

// blobRel returns the key of d relative to the bucket.
func (s *Store) blobRel(d Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", err
	}
	h := d.Hex()
	return s.root + "sha256/" + h[:2] + "/" + h[2:], nil
}

// uploadRel returns a fresh key for an upload in flight.
func (s *Store) uploadRel() (string, error) {
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", fmt.Errorf("artifact: upload name: %w", err)
	}
	return fmt.Sprintf("%suploads/%016x-%s", s.root, time.Now().UnixNano(), hex.EncodeToString(r[:])), nil
}

// Put stores the content of r and returns its descriptor. It reads r once,
// in constant memory whatever its size, computing the SHA-256 on the way
// while an upload to a temporary name runs beside it. Only when r is
// exhausted and the digest known is the object committed under its final
// name (a hard link on file:// buckets, a server-side copy elsewhere), so a
// failed or cancelled Put leaves nothing there; the temporary object is
// removed, or by GC if Put could not. Content already stored is not
// committed again, except to renew its modification time when it is older
// than RefreshAge (see GC).
//
// On S3 content up to 5 GiB is committed by a server-side CopyObject;
// larger content is copied through this process, so PutKnown, which writes
// the final name directly, is cheaper for it when the digest is known.
func (s *Store) Put(ctx context.Context, r io.Reader, opts *PutOptions) (Descriptor, error) {
	if r == nil {
		return Descriptor{}, errors.New("artifact: put: nil reader")
	}
	if err := s.authorize(ctx, "create", ""); err != nil {
		return Descriptor{}, err
	}
	var o PutOptions
	if opts != nil {
		o = *opts
	}
	progress := o.Progress
	if progress == nil {
		progress = s.progress
	}
	total := int64(-1)
	if o.Size > 0 {
		total = o.Size
	}
	tmp, err := s.uploadRel()
	if err != nil {
		return Descriptor{}, err
	}
	n, d, err := s.upload(ctx, tmp, r, nil, total, progress)
	if err != nil {
		return Descriptor{}, err
	}
	defer s.removeUpload(ctx, tmp)
	if total >= 0 && n != total {
		return Descriptor{}, fmt.Errorf("%w: read %d bytes, expected %d", ErrSizeMismatch, n, total)
	}
	final, _ := s.blobRel(d)
	if err := s.commit(ctx, tmp, final, n); err != nil {
		return Descriptor{}, err
	}
	return Descriptor{MediaType: o.MediaType, Digest: d, Size: n, Annotations: o.Annotations}, nil
}

// PutKnown stores the content of r under want.Digest, writing the final
// name directly. It reads at most want.Size+1 bytes; if the content's size
// or digest differ from want, the write is aborted, nothing is stored, and
// the error matches ErrSizeMismatch or ErrDigestMismatch. When the digest
// is already stored, r is not read at all; on file:// the object's
// modification time is renewed if older than RefreshAge (see GC).
func (s *Store) PutKnown(ctx context.Context, want Descriptor, r io.Reader) (Descriptor, error) {
	if err := want.Validate(); err != nil {
		return Descriptor{}, err
	}
	if err := s.authorize(ctx, "create", want.Digest.ResourceName()); err != nil {
		return Descriptor{}, err
	}
	final, _ := s.blobRel(want.Digest)
	a, err := s.b.Attributes(ctx, final)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Descriptor{}, err
	}
	if err == nil {
		s.log.DebugContext(ctx, "artifact: already stored", "digest", want.Digest)
		if s.b.localDir == "" || !s.stale(a.ModTime) {
			return want, nil
		}
		err := s.touchLocal(final)
		if !errors.Is(err, fs.ErrNotExist) {
			if err != nil {
				return Descriptor{}, err
			}
			return want, nil
		}
		// Collected meanwhile: store it again.
	}
	if r == nil {
		return Descriptor{}, errors.New("artifact: put: nil reader")
	}
	_, _, err = s.upload(ctx, final, r, &want, want.Size, s.progress)
	if errors.Is(err, ErrExist) {
		// A concurrent writer stored the same content first.
		return want, nil
	}
	if err != nil {
		return Descriptor{}, err
	}
	return want, nil
}

// upload copies r to rel, encrypting if the store has a Keeper, and returns
// the length and digest of the content. With want set, the write is
// create-only and is aborted unless the content has exactly want's size and
// digest; at most want.Size+1 bytes are read. total is passed to progress.
func (s *Store) upload(ctx context.Context, rel string, r io.Reader, want *Descriptor, total int64, progress func(done, total int64)) (int64, Digest, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.b.NewWriter(wctx, rel, &blob.WriterOptions{ContentType: "application/octet-stream", IfNotExist: want != nil})
	if err != nil {
		return 0, "", err
	}
	abort := func(err error) (int64, Digest, error) {
		cancel()
		w.Close()
		return 0, "", err
	}
	var dst io.Writer = w
	var seal *sealer
	if s.keeper != nil {
		if seal, err = s.newSealer(ctx, w); err != nil {
			return abort(err)
		}
		dst = seal
	}
	limit := int64(-1)
	if want != nil {
		limit = want.Size + 1 // one byte more than expected reveals longer content
	}
	var report func(int64)
	if progress != nil {
		report = func(done int64) { progress(done, total) }
	}
	n, d, err := pump(ctx, dst, r, limit, report, &s.bufs)
	if err != nil {
		return abort(fmt.Errorf("artifact: upload %s: %w", rel, err))
	}
	if want != nil {
		if n != want.Size {
			return abort(fmt.Errorf("%w: content has %s bytes, descriptor says %d", ErrSizeMismatch, atLeast(n, limit), want.Size))
		}
		if d != want.Digest {
			return abort(fmt.Errorf("%w: content is %s, descriptor says %s", ErrDigestMismatch, d, want.Digest))
		}
	}
	if seal != nil {
		if err := seal.Close(); err != nil {
			return abort(fmt.Errorf("artifact: encrypt: %w", err))
		}
	}
	if err := w.Close(); err != nil {
		if gcerrors.Code(err) == gcerrors.FailedPrecondition {
			return 0, "", fmt.Errorf("%w: %s", ErrExist, rel)
		}
		return 0, "", fmt.Errorf("artifact: upload %s: %w", rel, err)
	}
	s.log.DebugContext(ctx, "artifact: uploaded", "key", rel, "bytes", n, "digest", d)
	return n, d, nil
}

// atLeast formats a byte count that may have been cut off at limit.
func atLeast(n, limit int64) string {
	if limit >= 0 && n >= limit {
		return fmt.Sprintf("at least %d", n)
	}
	return fmt.Sprint(n)
}

// newSealer makes a fresh data key, wraps it and starts an encrypted
// stream on w.
func (s *Store) newSealer(ctx context.Context, w io.Writer) (*sealer, error) {
	key := make([]byte, aeadKeyLen)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("artifact: data key: %w", err)
	}
	wrapped, err := s.keeper.Encrypt(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("artifact: wrap data key: %w", err)
	}
	return newSealer(w, key, wrapped, s.seg)
}

// commit makes the finished upload tmp, of n content bytes, visible as
// final, unless final already exists: a hard link on a local directory, a
// server-side copy elsewhere, or for uploads larger than a server-side copy
// allows, a streamed create-only copy through this process.
func (s *Store) commit(ctx context.Context, tmp, final string, n int64) error {
	a, err := s.b.Attributes(ctx, final)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	exists := err == nil
	if exists {
		s.log.DebugContext(ctx, "artifact: already stored", "key", final)
		if !s.stale(a.ModTime) {
			return nil
		}
		// Renew the modification time so that GC's grace period covers
		// the content the caller is about to reference: touch the file, or
		// copy the upload over the object (same content).
		if s.b.localDir != "" {
			terr := s.touchLocal(final)
			if !errors.Is(terr, fs.ErrNotExist) {
				return terr
			}
			exists = false // collected meanwhile: store it again
		} else if n > s.copyLimit {
			return nil
		}
	}
	if !exists && s.b.localDir != "" {
		linked, err := s.linkLocal(tmp, final)
		if linked || err != nil {
			return err
		}
	}
	if n > s.copyLimit {
		return s.streamCopy(ctx, tmp, final)
	}
	src, err := s.b.Key(tmp)
	if err != nil {
		return err
	}
	dst, err := s.b.Key(final)
	if err != nil {
		return err
	}
	if err := s.b.Blob().Copy(ctx, dst, src, nil); err != nil {
		return mapErr("commit", dst, err)
	}
	return nil
}

// stale reports whether content last written at mod should be refreshed.
func (s *Store) stale(mod time.Time) bool {
	return time.Since(mod) > s.refreshAge
}

// touchLocal sets the modification time of final, on a local directory, to
// now.
func (s *Store) touchLocal(final string) error {
	key, err := s.b.Key(final)
	if err != nil {
		return err
	}
	now := time.Now()
	if err := os.Chtimes(filepath.Join(s.b.localDir, filepath.FromSlash(key)), now, now); err != nil {
		return fmt.Errorf("artifact: refresh %s: %w", key, err)
	}
	return nil
}

// streamCopy copies the stored bytes of tmp to final with a create-only
// write, aborting it on any error.
func (s *Store) streamCopy(ctx context.Context, tmp, final string) error {
	r, err := s.b.NewReader(ctx, tmp)
	if err != nil {
		return err
	}
	defer r.Close()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.b.NewWriter(wctx, final, &blob.WriterOptions{ContentType: "application/octet-stream", IfNotExist: true})
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, checkedReader{r}); err != nil {
		cancel()
		w.Close()
		return fmt.Errorf("artifact: commit %s: %w", final, err)
	}
	if err := w.Close(); err != nil {
		if gcerrors.Code(err) == gcerrors.FailedPrecondition {
			return nil // stored meanwhile by another writer
		}
		return fmt.Errorf("artifact: commit %s: %w", final, err)
	}
	return nil
}

// linkLocal commits on a local directory with link(2), which is atomic and
// fails if final exists (then the content is already there). It reports
// false when hard links are not available, for the caller to copy instead.
func (s *Store) linkLocal(tmp, final string) (bool, error) {
	src, err := s.b.Key(tmp)
	if err != nil {
		return false, err
	}
	dst, err := s.b.Key(final)
	if err != nil {
		return false, err
	}
	srcPath := filepath.Join(s.b.localDir, filepath.FromSlash(src))
	dstPath := filepath.Join(s.b.localDir, filepath.FromSlash(dst))
	if err := os.MkdirAll(filepath.Dir(dstPath), 0o755); err != nil {
		return false, fmt.Errorf("artifact: commit %s: %w", dst, err)
	}
	err = os.Link(srcPath, dstPath)
	switch {
	case err == nil, errors.Is(err, fs.ErrExist):
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("artifact: commit %s: %w", dst, err)
	}
	return false, nil
}

// removeUpload deletes a finished temporary upload, also when ctx has been
// cancelled meanwhile; GC removes any that this misses.
func (s *Store) removeUpload(ctx context.Context, tmp string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := s.b.Delete(ctx, tmp); err != nil && !errors.Is(err, ErrNotFound) {
		s.log.WarnContext(ctx, "artifact: remove temporary upload", "key", tmp, "err", err)
	}
}

// Open returns a reader of the content named d that verifies what it
// returns: the Read that reaches the end fails with an error matching
// ErrDigestMismatch (or ErrSizeMismatch) if the bytes were not the content
// of d, instead of returning io.EOF. Encrypted objects are also
// authenticated segment by segment, failing with ErrDecrypt before any
// altered byte is returned. Close the reader when done.
func (s *Store) Open(ctx context.Context, d Digest) (*Reader, error) {
	rel, err := s.blobRel(d)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, "get", d.ResourceName()); err != nil {
		return nil, err
	}
	br, err := s.b.NewReader(ctx, rel)
	if err != nil {
		return nil, err
	}
	src, size, err := s.plaintext(ctx, checkedReader{br}, br.Size())
	if err != nil {
		br.Close()
		return nil, err
	}
	return &Reader{r: src, c: br, h: sha256.New(), want: d, size: size, progress: s.progress, bufs: &s.bufs}, nil
}

// plaintext returns the content reader for an object being read from r,
// and the content size, given the stored size.
func (s *Store) plaintext(ctx context.Context, r io.Reader, stored int64) (io.Reader, int64, error) {
	if s.keeper == nil {
		return r, stored, nil
	}
	hdr, err := readHeader(r)
	if err != nil {
		return nil, 0, err
	}
	size, err := plainSize(stored, len(hdr.raw), hdr.segSize)
	if err != nil {
		return nil, 0, err
	}
	key, err := s.keeper.Decrypt(ctx, hdr.wrapped)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: unwrap data key: %w", ErrDecrypt, err)
	}
	o, err := newOpener(r, hdr, key)
	if err != nil {
		return nil, 0, err
	}
	return o, size, nil
}

// Reader reads content from a Store and verifies it: it hashes what it
// returns and checks digest and size when the content ends. A Reader is
// not safe for concurrent use.
type Reader struct {
	r        io.Reader
	c        io.Closer
	h        hash.Hash
	want     Digest
	size     int64
	n        int64
	progress func(done, total int64)
	bufs     *bufPool
	err      error
}

// Read reads content. At the end it returns io.EOF only if the content
// matched its digest and size; otherwise the error matches
// ErrDigestMismatch (or ErrSizeMismatch, or ErrDecrypt for encrypted
// objects).
func (v *Reader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if n > 0 && v.progress != nil {
		v.progress(v.n, v.size)
	}
	switch {
	case v.n > v.size:
		v.err = fmt.Errorf("%w: %w: %s has more than its %d bytes", ErrDigestMismatch, ErrSizeMismatch, v.want, v.size)
	case err == io.EOF:
		v.err = io.EOF
		if got := digestOf(v.h); got != v.want {
			v.err = fmt.Errorf("%w: stored object for %s has content %s", ErrDigestMismatch, v.want, got)
		} else if v.n != v.size {
			v.err = fmt.Errorf("%w: %s ended after %d of %d bytes", ErrSizeMismatch, v.want, v.n, v.size)
		}
	case err != nil:
		v.err = err
	}
	return n, v.err
}

// WriteTo copies the verified content to w in large reads; io.Copy uses
// it instead of its own small buffer.
func (v *Reader) WriteTo(w io.Writer) (int64, error) {
	bp := v.bufs.get()
	defer v.bufs.put(bp)
	buf := *bp
	if v.size < int64(len(buf)) {
		buf = buf[:v.size+1] // room to see the end, or content beyond the size
	}
	var total int64
	for {
		n, err := v.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Size returns the length of the content (the plaintext when encrypted).
func (v *Reader) Size() int64 { return v.size }

// Close releases the underlying bucket reader.
func (v *Reader) Close() error { return v.c.Close() }

// Get returns the content named d, verified as Open does. It holds the
// whole content in memory; use Open for large content.
func (s *Store) Get(ctx context.Context, d Digest) ([]byte, error) {
	r, err := s.Open(ctx, d)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	size := r.Size()
	buf := make([]byte, 0, min(size, 1<<30)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// Verify reads the content named d to its end and reports whether it is
// intact: nil, or an error matching ErrDigestMismatch, ErrSizeMismatch,
// ErrDecrypt or ErrNotFound.
func (s *Store) Verify(ctx context.Context, d Digest) error {
	r, err := s.Open(ctx, d)
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	return err
}

// Exists reports whether content named d is stored.
func (s *Store) Exists(ctx context.Context, d Digest) (bool, error) {
	rel, err := s.blobRel(d)
	if err != nil {
		return false, err
	}
	if err := s.authorize(ctx, "get", d.ResourceName()); err != nil {
		return false, err
	}
	return s.b.Exists(ctx, rel)
}

// Stat describes the object named d; ErrNotFound if there is none. For an
// encrypted object it reads the header to compute the content size.
func (s *Store) Stat(ctx context.Context, d Digest) (Info, error) {
	rel, err := s.blobRel(d)
	if err != nil {
		return Info{}, err
	}
	if err := s.authorize(ctx, "get", d.ResourceName()); err != nil {
		return Info{}, err
	}
	a, err := s.b.Attributes(ctx, rel)
	if err != nil {
		return Info{}, err
	}
	info := Info{Digest: d, Size: a.Size, StoredSize: a.Size, ModTime: a.ModTime}
	if s.keeper != nil {
		if info.Size, err = s.encryptedSize(ctx, rel, a.Size); err != nil {
			return Info{}, err
		}
	}
	return info, nil
}

// encryptedSize reads the header of the encrypted object rel to compute
// its content size.
func (s *Store) encryptedSize(ctx context.Context, rel string, stored int64) (int64, error) {
	key, err := s.b.Key(rel)
	if err != nil {
		return 0, err
	}
	r, err := s.b.Blob().NewRangeReader(ctx, key, 0, int64(aeadFixedHeader+maxWrappedKey), nil)
	if err != nil {
		return 0, mapErr("stat", key, err)
	}
	defer r.Close()
	hdr, err := readHeader(r)
	if err != nil {
		return 0, fmt.Errorf("artifact: %s: %w", key, err)
	}
	return plainSize(stored, len(hdr.raw), hdr.segSize)
}

// Delete removes the content named d; ErrNotFound if it is not stored.
func (s *Store) Delete(ctx context.Context, d Digest) error {
	rel, err := s.blobRel(d)
	if err != nil {
		return err
	}
	if err := s.authorize(ctx, "delete", d.ResourceName()); err != nil {
		return err
	}
	return s.b.Delete(ctx, rel)
}

// Walk calls fn for every stored object in order of digest. Objects in the
// store's directory whose names are not digests are skipped. An error from
// fn stops the walk and is returned.
func (s *Store) Walk(ctx context.Context, fn func(Info) error) error {
	if err := s.authorize(ctx, "list", ""); err != nil {
		return err
	}
	return s.walk(ctx, func(info Info, rel string) error {
		if s.keeper != nil {
			size, err := s.encryptedSize(ctx, rel, info.StoredSize)
			if err != nil {
				return err
			}
			info.Size = size
		}
		return fn(info)
	})
}

// walk lists objects with their stored sizes only.
func (s *Store) walk(ctx context.Context, fn func(info Info, rel string) error) error {
	dir := s.root + "sha256/"
	return s.b.List(ctx, dir, func(rel string, obj *blob.ListObject) error {
		name := strings.TrimPrefix(rel, dir)
		if len(name) != 2*sha256.Size+1 || name[2] != '/' {
			s.log.DebugContext(ctx, "artifact: skipping foreign object", "key", rel)
			return nil
		}
		d := Digest(digestPrefix + name[:2] + name[3:])
		if d.Validate() != nil {
			s.log.DebugContext(ctx, "artifact: skipping foreign object", "key", rel)
			return nil
		}
		return fn(Info{Digest: d, Size: obj.Size, StoredSize: obj.Size, ModTime: obj.ModTime}, rel)
	})
}
