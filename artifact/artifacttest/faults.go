package artifacttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

// ErrInjected is the error Fail and FailNth inject when given a nil error.
var ErrInjected = errors.New("artifacttest: injected fault")

// errHidden marks objects hidden by Faults.Hide; the driver reports it as
// gocloud's NotFound, which a Bucket turns into artifact.ErrNotFound.
var errHidden = errors.New("artifacttest: hidden object")

// Op names a bucket operation that faults can target.
type Op string

// The operations of a bucket. A Store's Get and Open read; Put writes (the
// failure shows when the upload is committed) and, on mem://, copies;
// Stat and Exists ask for attributes; Walk and GC list.
const (
	OpRead       Op = "read"
	OpWrite      Op = "write"
	OpAttributes Op = "attributes"
	OpList       Op = "list"
	OpCopy       Op = "copy"
	OpDelete     Op = "delete"
)

// Faults controls a fault-injecting bucket made by NewFaultyBucket or
// NewFaultyStore. It is safe for concurrent use; faults may be added and
// removed while the bucket is in use.
type Faults struct {
	mu    sync.Mutex
	calls map[Op]int
	rules []rule
}

type ruleKind int

const (
	kindFail ruleKind = iota
	kindHide
	kindCorrupt
	kindSlow
)

type rule struct {
	kind   ruleKind
	op     Op     // kindFail, kindSlow
	nth    int    // kindFail: only the nth call of op; 0 means every call
	suffix string // kindHide, kindCorrupt: key suffix naming the digest
	err    error
	delay  time.Duration
}

// FailNth makes the nth call of op (counting from 1 since the bucket was
// made or last Reset) fail with err, or ErrInjected if err is nil.
func (f *Faults) FailNth(op Op, n int, err error) {
	f.add(rule{kind: kindFail, op: op, nth: n, err: orInjected(err)})
}

// Fail makes every call of op fail with err, or ErrInjected if err is nil,
// until Reset.
func (f *Faults) Fail(op Op, err error) {
	f.add(rule{kind: kindFail, op: op, err: orInjected(err)})
}

// Hide makes the content named d look absent: reads and attributes report
// not found (artifact.ErrNotFound through a Store) and listings skip it.
func (f *Faults) Hide(d artifact.Digest) { f.add(rule{kind: kindHide, suffix: keySuffix(d)}) }

// Corrupt makes reads of the content named d return its stored bytes with
// one byte flipped (the middle one; empty objects read as one zero byte),
// as a failing disk or a buggy proxy would. A Store reports
// artifact.ErrDigestMismatch, or artifact.ErrDecrypt when encrypted.
func (f *Faults) Corrupt(d artifact.Digest) { f.add(rule{kind: kindCorrupt, suffix: keySuffix(d)}) }

// Slow delays every call of op by delay, returning early with the context's
// error if the caller's context ends first.
func (f *Faults) Slow(op Op, delay time.Duration) { f.add(rule{kind: kindSlow, op: op, delay: delay}) }

// Reset removes every fault and zeroes the call counts.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
	f.calls = map[Op]int{}
}

// Calls returns how many times op was called since the bucket was made or
// last Reset.
func (f *Faults) Calls(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *Faults) add(r rule) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, r)
}

func orInjected(err error) error {
	if err == nil {
		return ErrInjected
	}
	return err
}

// keySuffix is the end of every key under which a Store keeps d, whatever
// its prefix.
func keySuffix(d artifact.Digest) string {
	h := d.Hex()
	if h == "" {
		return "\x00never" // an invalid digest matches nothing
	}
	return "sha256/" + h[:2] + "/" + h[2:]
}

// enter counts a call of op on key and applies the faults that target it:
// it sleeps for Slow, and returns an injected or not-found error.
func (f *Faults) enter(ctx context.Context, op Op, key string) error {
	f.mu.Lock()
	f.calls[op]++
	n := f.calls[op]
	var delay time.Duration
	var err error
	for _, r := range f.rules {
		switch {
		case r.kind == kindSlow && r.op == op:
			delay += r.delay
		case r.kind == kindFail && r.op == op && (r.nth == 0 || r.nth == n) && err == nil:
			err = r.err
		case r.kind == kindHide && key != "" && strings.HasSuffix(key, r.suffix) && op != OpWrite && op != OpDelete && err == nil:
			err = fmt.Errorf("%w: %s", errHidden, key)
		}
	}
	f.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}

// matches reports whether a rule of kind targets key.
func (f *Faults) matches(kind ruleKind, key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rules {
		if r.kind == kind && strings.HasSuffix(key, r.suffix) {
			return true
		}
	}
	return false
}

// faultyBucket is a gocloud driver that forwards to a real bucket and
// applies Faults on the way.
type faultyBucket struct {
	inner *blob.Bucket
	f     *Faults
}

// newFaultyBlob returns a gocloud bucket backed by a fresh memblob bucket,
// with faults controlled by the returned Faults.
func newFaultyBlob() (*blob.Bucket, *Faults) {
	f := &Faults{calls: map[Op]int{}}
	return blob.NewBucket(&faultyBucket{inner: memblob.OpenBucket(nil), f: f}), f
}

func (b *faultyBucket) ErrorCode(err error) gcerrors.ErrorCode {
	if errors.Is(err, errHidden) {
		return gcerrors.NotFound
	}
	return gcerrors.Code(err)
}

func (b *faultyBucket) As(any) bool             { return false }
func (b *faultyBucket) ErrorAs(error, any) bool { return false }
func (b *faultyBucket) Close() error            { return b.inner.Close() }

func (b *faultyBucket) SignedURL(context.Context, string, *driver.SignedURLOptions) (string, error) {
	return "", errors.New("artifacttest: signed URLs are not supported")
}

func (b *faultyBucket) Attributes(ctx context.Context, key string) (*driver.Attributes, error) {
	if err := b.f.enter(ctx, OpAttributes, key); err != nil {
		return nil, err
	}
	a, err := b.inner.Attributes(ctx, key)
	if err != nil {
		return nil, err
	}
	return &driver.Attributes{
		CacheControl: a.CacheControl, ContentDisposition: a.ContentDisposition,
		ContentEncoding: a.ContentEncoding, ContentLanguage: a.ContentLanguage,
		ContentType: a.ContentType, Metadata: a.Metadata, CreateTime: a.CreateTime,
		ModTime: a.ModTime, Size: a.Size, MD5: a.MD5, ETag: a.ETag,
	}, nil
}

func (b *faultyBucket) ListPaged(ctx context.Context, opts *driver.ListOptions) (*driver.ListPage, error) {
	if err := b.f.enter(ctx, OpList, ""); err != nil {
		return nil, err
	}
	token := opts.PageToken
	if len(token) == 0 {
		token = blob.FirstPageToken
	}
	size := opts.PageSize
	if size <= 0 {
		size = 1000
	}
	objs, next, err := b.inner.ListPage(ctx, token, size, &blob.ListOptions{Prefix: opts.Prefix, Delimiter: opts.Delimiter})
	if err == io.EOF {
		return &driver.ListPage{}, nil
	}
	if err != nil {
		return nil, err
	}
	page := &driver.ListPage{NextPageToken: next}
	for _, o := range objs {
		if b.f.matches(kindHide, o.Key) {
			continue
		}
		page.Objects = append(page.Objects, &driver.ListObject{Key: o.Key, ModTime: o.ModTime, Size: o.Size, MD5: o.MD5, IsDir: o.IsDir})
	}
	return page, nil
}

func (b *faultyBucket) NewRangeReader(ctx context.Context, key string, offset, length int64, _ *driver.ReaderOptions) (driver.Reader, error) {
	if err := b.f.enter(ctx, OpRead, key); err != nil {
		return nil, err
	}
	r, err := b.inner.NewRangeReader(ctx, key, offset, length, nil)
	if err != nil {
		return nil, err
	}
	fr := &faultyReader{r: r, pos: offset, flip: -1, attrs: driver.ReaderAttributes{ContentType: r.ContentType(), ModTime: r.ModTime(), Size: r.Size()}}
	if b.f.matches(kindCorrupt, key) {
		if r.Size() == 0 {
			fr.extra = true
		} else {
			fr.flip = r.Size() / 2
		}
	}
	return fr, nil
}

// faultyReader flips the byte at offset flip, or adds a zero byte at the
// end of an empty object.
type faultyReader struct {
	r     *blob.Reader
	pos   int64
	flip  int64
	extra bool
	attrs driver.ReaderAttributes
}

func (r *faultyReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if r.flip >= r.pos && r.flip < r.pos+int64(n) {
		p[r.flip-r.pos] ^= 0x01
	}
	r.pos += int64(n)
	if err == io.EOF && r.extra && len(p) > n {
		r.extra = false
		p[n] = 0
		return n + 1, nil
	}
	return n, err
}

func (r *faultyReader) Close() error                         { return r.r.Close() }
func (r *faultyReader) Attributes() *driver.ReaderAttributes { return &r.attrs }
func (r *faultyReader) As(any) bool                          { return false }

func (b *faultyBucket) NewTypedWriter(ctx context.Context, key, contentType string, opts *driver.WriterOptions) (driver.Writer, error) {
	wctx, cancel := context.WithCancel(ctx)
	w, err := b.inner.NewWriter(wctx, key, &blob.WriterOptions{
		ContentType: contentType, CacheControl: opts.CacheControl, ContentDisposition: opts.ContentDisposition,
		ContentEncoding: opts.ContentEncoding, ContentLanguage: opts.ContentLanguage, Metadata: opts.Metadata,
		IfNotExist: opts.IfNotExist,
	})
	if err != nil {
		cancel()
		return nil, err
	}
	return &faultyWriter{ctx: ctx, w: w, cancel: cancel, key: key, f: b.f}, nil
}

// faultyWriter applies write faults when the upload is committed, so a
// failure looks like an upload that broke: the object is not written.
type faultyWriter struct {
	ctx    context.Context
	w      *blob.Writer
	cancel context.CancelFunc
	key    string
	f      *Faults
}

func (w *faultyWriter) Write(p []byte) (int, error) { return w.w.Write(p) }

func (w *faultyWriter) Close() error {
	defer w.cancel()
	if err := w.f.enter(w.ctx, OpWrite, w.key); err != nil {
		w.cancel()
		w.w.Close()
		return err
	}
	return w.w.Close()
}

func (b *faultyBucket) Copy(ctx context.Context, dst, src string, _ *driver.CopyOptions) error {
	if err := b.f.enter(ctx, OpCopy, src); err != nil {
		return err
	}
	return b.inner.Copy(ctx, dst, src, nil)
}

func (b *faultyBucket) Delete(ctx context.Context, key string, _ *driver.DeleteOptions) error {
	if err := b.f.enter(ctx, OpDelete, key); err != nil {
		return err
	}
	return b.inner.Delete(ctx, key)
}
