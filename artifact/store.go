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
	"sync"
	"time"

	"github.com/sextant-ml/sextant/rbac"
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
	// SpoolDir is where Open verifies plain content longer than one chunk
	// that has no usable chunk index (content stored before indexes
	// existed, or whose index is damaged): the content is copied into a
	// temporary file there while it is hashed, and released from it only
	// once it has matched its digest. The file is removed when the content
	// has been read or the Reader is closed. Default: os.TempDir().
	SpoolDir string
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
type Authorizer = rbac.Checker

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
	spoolDir   string
	// bufs recycles transfer buffers between calls; chunks recycles the
	// chunk buffers of Readers.
	bufs   bufPool
	chunks sync.Pool
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
	spool := o.SpoolDir
	if spool == "" {
		spool = os.TempDir()
	}
	return &Store{b: b, root: root, keeper: o.Keeper, seg: seg, progress: o.Progress, log: log, copyLimit: maxServerCopy, refreshAge: RefreshAge, authz: o.Authorizer, spoolDir: spool}, nil
}

// authorize asks the store's Authorizer, if any, whether verb may be
// applied to the artifact name.
func (s *Store) authorize(ctx context.Context, verb, name string) error {
	if s.authz == nil {
		return nil
	}
	if err := s.authz.Authorize(ctx, verb, rbac.ResourceArtifacts, name); err != nil {
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
// Key returns the key in the store's Bucket that content d is stored
// under, for tools and tests that reach objects directly. Bytes written
// there bypass Put, and a read of them fails with ErrDigestMismatch unless
// they are d's.
func (s *Store) Key(d Digest) (string, error) { return s.blobRel(d) }

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
// removed, or by GC if Put could not. Content already stored is read back
// and verified (its stored size, then its digest): an intact copy is not
// committed again, except to renew its modification time when it is older
// than RefreshAge (see GC); a damaged copy is replaced by the upload.
//
// On S3 content up to 5 GiB is committed by a server-side CopyObject;
// larger content is copied through this process, so PutKnown, which writes
// the final name directly, is cheaper for it when the digest is known.
//
// A source that is an io.ReadSeeker (an *os.File, a *bytes.Reader) is
// read twice instead on remote stores (S3, GCS, Azure, and any bucket
// given to NewBucket), and on mem:// when it holds at most 256 KiB:
// hashed first, then, unless intact content is already stored, rewound
// and uploaded once to its final name with a create-only write, verified
// again on the way, so that no temporary object and no server-side copy
// are needed. The source must not change meanwhile (if it does, Put fails
// with ErrDigestMismatch and stores nothing); Progress reports the upload
// pass. On file://, whose commit is a hard link, and for longer content
// on mem://, whose copy shares the bytes, it is read once as any reader
// is. Wrap a seekable source in a plain io.Reader to have it read once.
func (s *Store) Put(ctx context.Context, r io.Reader, opts *PutOptions) (Descriptor, error) {
	if r == nil {
		return Descriptor{}, errors.New("artifact: put: nil reader")
	}
	if err := s.authorize(ctx, rbac.VerbCreate, ""); err != nil {
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
	if rs, ok := r.(io.ReadSeeker); ok && s.hashFirst(rs, total) {
		d, err := s.putSeekable(ctx, rs, total, progress)
		if err != nil {
			return Descriptor{}, err
		}
		d.MediaType, d.Annotations = o.MediaType, o.Annotations
		return d, nil
	}
	tmp, err := s.uploadRel()
	if err != nil {
		return Descriptor{}, err
	}
	n, d, idx, err := s.upload(ctx, tmp, r, nil, total, progress, false)
	if err != nil {
		return Descriptor{}, err
	}
	defer s.removeUpload(ctx, tmp)
	if total >= 0 && n != total {
		return Descriptor{}, fmt.Errorf("%w: read %d bytes, expected %d", ErrSizeMismatch, n, total)
	}
	final, _ := s.blobRel(d)
	// The index goes first, so that a reader never finds the content
	// without it; one left behind by a failed commit is collected by GC.
	if err := s.writeIndex(ctx, final, idx); err != nil {
		return Descriptor{}, err
	}
	if err := s.commit(ctx, tmp, final, Descriptor{Digest: d, Size: n}); err != nil {
		return Descriptor{}, err
	}
	return Descriptor{MediaType: o.MediaType, Digest: d, Size: n, Annotations: o.Annotations}, nil
}

// hashFirst reports whether Put should read the seekable source r twice
// (putSeekable) rather than once. Twice spares a temporary object and a
// server-side copy, which on a remote store cost more than a second read
// of a local source; on file:// the commit is a hard link, so once is
// always cheaper; on mem://, whose copy shares the bytes, once is cheaper
// as soon as the content is longer than one pump buffer, where hashing
// and writing start to overlap. total is the size the caller gave, or -1.
func (s *Store) hashFirst(r io.Seeker, total int64) bool {
	switch {
	case s.b.localDir != "":
		return false
	case !s.b.inMemory:
		return true
	case total >= 0:
		return total <= pumpBufSize
	}
	// The length left, found without moving the source.
	switch r := r.(type) {
	case interface{ Len() int }: // *bytes.Reader, *strings.Reader
		return r.Len() <= pumpBufSize
	case *os.File:
		fi, err := r.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return true
		}
		cur, err := r.Seek(0, io.SeekCurrent)
		if err != nil {
			return true // putSeekable reports it
		}
		return fi.Size()-cur <= pumpBufSize
	}
	return true
}

// putSeekable is Put for a source that can be read twice, where hashFirst
// chooses it: it hashes r first, then, unless an intact
// copy is stored, rewinds it and uploads it once to its final name as
// PutKnown does, verifying it again on the way (a source that changed
// between the two passes fails with ErrDigestMismatch and stores nothing).
// That spares the temporary object and the server-side copy.
func (s *Store) putSeekable(ctx context.Context, r io.ReadSeeker, total int64, progress func(done, total int64)) (Descriptor, error) {
	start, err := r.Seek(0, io.SeekCurrent)
	if err != nil {
		return Descriptor{}, fmt.Errorf("artifact: put: %w", err)
	}
	bp := s.bufs.get()
	h := sha256.New()
	n, err := io.CopyBuffer(h, ctxReader{ctx, r}, *bp)
	s.bufs.put(bp)
	if err != nil {
		return Descriptor{}, fmt.Errorf("artifact: put: read content: %w", err)
	}
	if total >= 0 && n != total {
		return Descriptor{}, fmt.Errorf("%w: read %d bytes, expected %d", ErrSizeMismatch, n, total)
	}
	want := Descriptor{Digest: digestOf(h), Size: n}
	final, _ := s.blobRel(want.Digest)
	found, intact, mod, err := s.storedCopy(ctx, final, want)
	if err != nil {
		return Descriptor{}, err
	}
	replace := false
	if found {
		if intact && !s.stale(mod) {
			s.log.DebugContext(ctx, "artifact: already stored", "digest", want.Digest)
			return want, nil
		}
		// Damaged, or old enough that GC's grace period no longer covers
		// it: write it again, which also renews its modification time.
		replace = true
	}
	if _, err := r.Seek(start, io.SeekStart); err != nil {
		return Descriptor{}, fmt.Errorf("artifact: put: %w", err)
	}
	_, _, _, err = s.upload(ctx, final, r, &want, total, progress, replace)
	if errors.Is(err, ErrExist) {
		return want, nil // a concurrent writer stored the same content first
	}
	if errors.Is(err, ErrDigestMismatch) || errors.Is(err, ErrSizeMismatch) {
		return Descriptor{}, fmt.Errorf("artifact: put: the source changed while it was stored: %w", err)
	}
	if err != nil {
		return Descriptor{}, err
	}
	return want, nil
}

// PutKnown stores the content of r under want.Digest, writing the final
// name directly. It reads at most want.Size+1 bytes; if the content's size
// or digest differ from want, the write is aborted, nothing is stored, and
// the error matches ErrSizeMismatch or ErrDigestMismatch. When the digest
// is already stored, the stored copy is read back and verified (its size,
// then its digest): if it is intact, r is not read at all, and on file://
// the object's modification time is renewed if older than RefreshAge (see
// GC); if it is damaged, it is overwritten with the content of r, verified
// on the way as for a first write (a mismatch leaves the damaged copy).
func (s *Store) PutKnown(ctx context.Context, want Descriptor, r io.Reader) (Descriptor, error) {
	if err := want.Validate(); err != nil {
		return Descriptor{}, err
	}
	if err := s.authorize(ctx, rbac.VerbCreate, want.Digest.ResourceName()); err != nil {
		return Descriptor{}, err
	}
	final, _ := s.blobRel(want.Digest)
	found, intact, mod, err := s.storedCopy(ctx, final, want)
	if err != nil {
		return Descriptor{}, err
	}
	replace := false
	if found {
		if intact {
			s.log.DebugContext(ctx, "artifact: already stored", "digest", want.Digest)
			if s.b.localDir == "" || !s.stale(mod) {
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
		} else {
			s.log.WarnContext(ctx, "artifact: stored copy damaged or gone; writing it again", "digest", want.Digest)
			replace = true
		}
	}
	if r == nil {
		return Descriptor{}, errors.New("artifact: put: nil reader")
	}
	_, _, _, err = s.upload(ctx, final, r, &want, want.Size, s.progress, replace)
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
// the length and digest of the content, and for plain content longer than
// a chunk its encoded chunk index. With want set, the write is create-only
// and is aborted unless the content has exactly want's size and digest; at
// most want.Size+1 bytes are read; the index is written beside rel before
// the object is committed; replace drops the create-only condition, to
// overwrite a damaged copy. total is passed to progress.
func (s *Store) upload(ctx context.Context, rel string, r io.Reader, want *Descriptor, total int64, progress func(done, total int64), replace bool) (int64, Digest, []byte, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.b.NewWriter(wctx, rel, &blob.WriterOptions{ContentType: "application/octet-stream", IfNotExist: want != nil && !replace})
	if err != nil {
		return 0, "", nil, err
	}
	abort := func(err error) (int64, Digest, []byte, error) {
		cancel()
		w.Close()
		return 0, "", nil, err
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
	var ch *chainHasher
	var h hash.Hash
	if s.keeper == nil {
		ch = newChainHasher(chunkSize)
		h = ch
	}
	n, d, err := pump(ctx, dst, r, limit, report, &s.bufs, h, s.b.inMemory && seal == nil)
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
	var idx []byte
	if ch != nil {
		idx = ch.index(d)
	}
	if want != nil {
		if err := s.writeIndex(ctx, rel, idx); err != nil {
			return abort(err)
		}
	}
	if err := w.Close(); err != nil {
		if gcerrors.Code(err) == gcerrors.FailedPrecondition {
			return 0, "", nil, fmt.Errorf("%w: %s", ErrExist, rel)
		}
		return 0, "", nil, fmt.Errorf("artifact: upload %s: %w", rel, err)
	}
	s.log.DebugContext(ctx, "artifact: uploaded", "key", rel, "bytes", n, "digest", d)
	return n, d, idx, nil
}

// writeIndex stores idx, if any, as the chunk index of the content at rel,
// replacing any index there (an index is a function of the content, so
// every writer writes the same bytes).
func (s *Store) writeIndex(ctx context.Context, rel string, idx []byte) error {
	if idx == nil {
		return nil
	}
	if err := s.b.WriteAll(ctx, rel+indexSuffix, idx); err != nil {
		return fmt.Errorf("artifact: write chunk index: %w", err)
	}
	return nil
}

// readIndex returns the chunk index of the content d, of size bytes, at
// rel; ErrNotFound if it has none, errIndex if it is unusable.
func (s *Store) readIndex(ctx context.Context, rel string, d Digest, size int64) (*chunkIndex, error) {
	if !chainSupported() {
		return nil, fmt.Errorf("%w: this build's SHA-256 does not expose its state", errIndex)
	}
	r, err := s.b.NewReader(ctx, rel+indexSuffix)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	// An index of this content is a header, 32 bytes per boundary and a
	// checksum; refuse to read a larger object.
	limit := int64(indexHeader) + 32*(size/minChunkSize+1) + 32
	if r.Size() > limit {
		return nil, fmt.Errorf("%w for %s: %d bytes, more than %d", errIndex, d, r.Size(), limit)
	}
	b := make([]byte, r.Size())
	if _, err := io.ReadFull(checkedReader{r}, b); err != nil {
		return nil, fmt.Errorf("%w for %s: %w", errIndex, d, err)
	}
	return decodeIndex(b, d, size)
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

// commit makes the finished upload tmp, of the content want, visible as
// final: a hard link on a local directory, a server-side copy elsewhere,
// or for uploads larger than a server-side copy allows, a streamed copy
// through this process. When final exists, it is read back and verified
// (recheck): an intact copy is kept (its modification time renewed when
// older than RefreshAge), a damaged one is replaced by the upload.
func (s *Store) commit(ctx context.Context, tmp, final string, want Descriptor) error {
	exists, intact, mod, err := s.storedCopy(ctx, final, want)
	if err != nil {
		return err
	}
	if exists {
		if intact {
			s.log.DebugContext(ctx, "artifact: already stored", "key", final)
			if !s.stale(mod) {
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
			} else if want.Size > s.copyLimit {
				return nil
			}
		} else {
			s.log.WarnContext(ctx, "artifact: stored copy damaged; replacing it", "key", final)
			if s.b.localDir != "" {
				return s.renameLocal(tmp, final)
			}
		}
	}
	if !exists && s.b.localDir != "" {
		linked, err := s.linkLocal(tmp, final)
		if linked || err != nil {
			return err
		}
	}
	if want.Size > s.copyLimit {
		return s.streamCopy(ctx, tmp, final, exists)
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

// storedCopy reports whether an object is stored at final and, if so,
// whether it is an intact copy of want (see recheck) and when it was last
// written.
func (s *Store) storedCopy(ctx context.Context, final string, want Descriptor) (found, intact bool, mod time.Time, err error) {
	a, err := s.b.Attributes(ctx, final)
	if errors.Is(err, ErrNotFound) {
		return false, false, time.Time{}, nil
	}
	if err != nil {
		return false, false, time.Time{}, err
	}
	intact, err = s.recheck(ctx, final, want)
	return true, intact, a.ModTime, err
}

// recheck reads the stored object of want at rel back and reports whether
// it is intact: the stored size first, then the content's digest (and for
// encrypted objects every segment's authentication). A missing object is
// not intact. For intact plain content longer than a chunk it writes the
// chunk index if the stored one is missing or unusable. Errors other than
// integrity failures are returned.
func (s *Store) recheck(ctx context.Context, rel string, want Descriptor) (bool, error) {
	br, err := s.b.NewReader(ctx, rel)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer br.Close()
	damaged := func(err error) (bool, error) {
		if errors.Is(err, ErrDigestMismatch) || errors.Is(err, ErrSizeMismatch) {
			s.log.WarnContext(ctx, "artifact: stored copy fails verification", "key", rel, "err", err)
			return false, nil
		}
		return false, err
	}
	if s.keeper != nil {
		o, size, err := s.plaintext(ctx, checkedReader{br}, br.Size())
		if err != nil {
			return damaged(err)
		}
		if size != want.Size {
			return false, nil
		}
		src := &sealedSource{o: o, h: sha256.New(), want: want.Digest, size: size}
		for {
			if _, err := src.next(); err == io.EOF {
				return true, nil
			} else if err != nil {
				return damaged(err)
			}
		}
	}
	if br.Size() != want.Size {
		return false, nil
	}
	ch := newChainHasher(chunkSize)
	bp := s.bufs.get()
	defer s.bufs.put(bp)
	n, err := io.CopyBuffer(ch, io.LimitReader(ctxReader{ctx, checkedReader{br}}, want.Size+1), *bp)
	if err != nil {
		return damaged(err)
	}
	if n != want.Size || digestOf(ch) != want.Digest {
		return false, nil
	}
	if idx := ch.index(want.Digest); idx != nil {
		if _, err := s.readIndex(ctx, rel, want.Digest, want.Size); err != nil {
			if err := s.writeIndex(ctx, rel, idx); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// renameLocal replaces final with tmp on a local directory.
func (s *Store) renameLocal(tmp, final string) error {
	src, err := s.b.Key(tmp)
	if err != nil {
		return err
	}
	dst, err := s.b.Key(final)
	if err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(s.b.localDir, filepath.FromSlash(src)), filepath.Join(s.b.localDir, filepath.FromSlash(dst))); err != nil {
		return fmt.Errorf("artifact: commit %s: %w", dst, err)
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
// write (an overwrite with replace), aborting it on any error.
func (s *Store) streamCopy(ctx context.Context, tmp, final string, replace bool) error {
	r, err := s.b.NewReader(ctx, tmp)
	if err != nil {
		return err
	}
	defer r.Close()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := s.b.NewWriter(wctx, final, &blob.WriterOptions{ContentType: "application/octet-stream", IfNotExist: !replace})
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

// Open returns a reader of the content named d that releases no byte
// before it has been verified, and fails with an error matching
// ErrDigestMismatch (or ErrSizeMismatch) instead of returning bytes that
// are not the content of d:
//
//   - plain content of up to one chunk (1 MiB) is read and verified whole
//     before the first byte is released;
//   - longer plain content is verified chunk by chunk against its chunk
//     index, one chunk buffered, the last chunk released only once the
//     whole content has matched d;
//   - longer plain content without a usable index (stored before indexes
//     existed, or with a damaged index) is copied to a temporary file in
//     Options.SpoolDir while it is hashed and released from there once
//     it has matched d;
//   - encrypted content is released segment by segment, each only after
//     it has been authenticated, and the last one only once the whole
//     plaintext has matched d.
//
// Close the reader when done.
func (s *Store) Open(ctx context.Context, d Digest) (*Reader, error) {
	rel, err := s.blobRel(d)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, rbac.VerbGet, d.ResourceName()); err != nil {
		return nil, err
	}
	br, err := s.b.NewReader(ctx, rel)
	if err != nil {
		return nil, err
	}
	src, size, err := s.source(ctx, rel, d, checkedReader{br}, br.Size())
	if err != nil {
		br.Close()
		return nil, err
	}
	return &Reader{src: src, c: br, size: size, progress: s.progress}, nil
}

// source returns the verifying source for the object of d at rel, being
// read from r, and the content size, given the stored size.
func (s *Store) source(ctx context.Context, rel string, d Digest, r io.Reader, stored int64) (source, int64, error) {
	if s.keeper != nil {
		o, size, err := s.plaintext(ctx, r, stored)
		if err != nil {
			return nil, 0, err
		}
		return &sealedSource{o: o, h: sha256.New(), want: d, size: size}, size, nil
	}
	if stored <= chunkSize {
		return &wholeSource{r: r, want: d, size: stored}, stored, nil
	}
	idx, err := s.readIndex(ctx, rel, d, stored)
	if err == nil {
		buf := s.chunkBuf(idx.chunk + 1)
		return &chunkSource{r: r, idx: idx, want: d, size: stored, h: sha256.New(), buf: buf, release: s.putChunkBuf}, stored, nil
	}
	if !errors.Is(err, ErrNotFound) {
		s.log.WarnContext(ctx, "artifact: chunk index unusable; verifying the whole content before releasing it", "digest", d, "err", err)
	}
	return &spoolSource{r: r, dir: s.spoolDir, want: d, size: stored, buf: make([]byte, pumpBufSize)}, stored, nil
}

// chunkBuf returns a buffer of n bytes from the store's pool.
func (s *Store) chunkBuf(n int) []byte {
	if b, ok := s.chunks.Get().(*[]byte); ok && cap(*b) >= n {
		return (*b)[:n]
	}
	return make([]byte, n)
}

func (s *Store) putChunkBuf(b []byte) {
	if cap(b) == chunkSize+1 {
		s.chunks.Put(&b)
	}
}

// plaintext returns the decrypting reader for an encrypted object being
// read from r, and the content size, given the stored size.
func (s *Store) plaintext(ctx context.Context, r io.Reader, stored int64) (*opener, int64, error) {
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

// Reader reads content from a Store, releasing only verified bytes (see
// Store.Open). A Reader is not safe for concurrent use.
type Reader struct {
	src      source
	c        io.Closer
	size     int64
	n        int64
	cur      []byte
	progress func(done, total int64)
	err      error
}

// fill makes the next verified block current; false when there is none,
// with v.err set.
func (v *Reader) fill() bool {
	for len(v.cur) == 0 {
		if v.err != nil {
			return false
		}
		v.cur, v.err = v.src.next()
	}
	return true
}

// take marks n bytes of the current block as returned.
func (v *Reader) take(n int) {
	v.cur = v.cur[n:]
	v.n += int64(n)
	if n > 0 && v.progress != nil {
		v.progress(v.n, v.size)
	}
}

// Read reads verified content. At the end it returns io.EOF; if the
// stored bytes are not the content, it returns an error matching
// ErrDigestMismatch (or ErrSizeMismatch, or ErrDecrypt for encrypted
// objects) before releasing any byte that was not verified.
func (v *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !v.fill() {
		return 0, v.err
	}
	n := copy(p, v.cur)
	v.take(n)
	return n, nil
}

// WriteTo copies the verified content to w, a verified block at a time;
// io.Copy uses it instead of its own buffer.
func (v *Reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for v.fill() {
		m, err := w.Write(v.cur)
		total += int64(m)
		v.take(m)
		if err != nil {
			return total, err
		}
	}
	if v.err == io.EOF {
		return total, nil
	}
	return total, v.err
}

// Size returns the length of the content (the plaintext when encrypted).
func (v *Reader) Size() int64 { return v.size }

// Close releases the underlying bucket reader and any temporary file.
func (v *Reader) Close() error {
	if v.err == nil {
		v.err = errors.New("artifact: read after close")
	}
	v.cur = nil
	return errors.Join(v.src.close(), v.c.Close())
}

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
	if err := s.authorize(ctx, rbac.VerbGet, d.ResourceName()); err != nil {
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
	if err := s.authorize(ctx, rbac.VerbGet, d.ResourceName()); err != nil {
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
	if err := s.authorize(ctx, rbac.VerbDelete, d.ResourceName()); err != nil {
		return err
	}
	if err := s.b.Delete(ctx, rel); err != nil {
		return err
	}
	if err := s.b.Delete(ctx, rel+indexSuffix); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// Walk calls fn for every stored object in order of digest. Objects in the
// store's directory whose names are not digests are skipped. An error from
// fn stops the walk and is returned.
func (s *Store) Walk(ctx context.Context, fn func(Info) error) error {
	if err := s.authorize(ctx, rbac.VerbList, ""); err != nil {
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
	return s.walkAll(ctx, fn, nil)
}

// walkAll lists objects as walk does, and passes chunk indexes to index
// when it is not nil.
func (s *Store) walkAll(ctx context.Context, fn func(info Info, rel string) error, index func(rel string, obj *blob.ListObject)) error {
	dir := s.root + "sha256/"
	return s.b.List(ctx, dir, func(rel string, obj *blob.ListObject) error {
		name := strings.TrimPrefix(rel, dir)
		if strings.HasSuffix(name, indexSuffix) {
			if index != nil {
				index(rel, obj)
			}
			return nil
		}
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
