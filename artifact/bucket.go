package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sextant-ml/sextant/internal/errkind"
	"github.com/sextant-ml/sextant/internal/relpath"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/fileblob" // file:// URLs
	_ "gocloud.dev/blob/memblob"  // mem:// URLs
	_ "gocloud.dev/blob/s3blob"   // s3:// URLs
	"gocloud.dev/gcerrors"
)

// Errors returned by Bucket and Store. Check them with errors.Is.
var (
	// ErrNotFound reports that no object exists under the key or digest.
	ErrNotFound = errkind.New("artifact: not found", fs.ErrNotExist)
	// ErrExist reports that a create-only write found the key already taken.
	ErrExist = errkind.New("artifact: already exists", fs.ErrExist)
	// ErrInvalidKey reports a key that could escape its prefix or be
	// interpreted differently by different backends.
	ErrInvalidKey = errkind.New("artifact: invalid key", fs.ErrInvalid)
)

// maxKeyLen bounds a key's length in bytes; S3 allows 1024.
const maxKeyLen = 1024

// ValidateKey reports whether key is safe to hand to any backend. It is the
// one place where object keys are checked; every Bucket method calls it.
//
// A valid key is a non-empty, slash-separated relative path of printable
// UTF-8 segments. Rejected: a leading slash, empty, "." or ".." segments,
// backslashes, NUL and control characters, '%' (so no percent-encoded
// separators and no double decoding), ':' (drive letters, URL schemes) and
// keys longer than 1024 bytes. The rule shared with dataset paths (segments,
// backslashes, control characters including C1, the replacement character)
// lives in internal/relpath. Errors match ErrInvalidKey.
func ValidateKey(key string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, why)
	}
	if len(key) > maxKeyLen {
		return bad("longer than 1024 bytes")
	}
	if why := relpath.Problem(key); why != "" {
		return bad(why)
	}
	for _, r := range key {
		switch r {
		case '%':
			return bad("percent sign (encoded characters are not accepted)")
		case ':':
			return bad("colon")
		}
	}
	return nil
}

// BucketOptions configure NewBucket. The zero value is usable.
type BucketOptions struct {
	// Prefix is prepended to every key, as a directory: "team/a" stores
	// "x" at "team/a/x". It must itself be a valid key. Default: none.
	Prefix string
	// LocalDir is the root directory of b when b is a fileblob bucket. When
	// set, CreateOnly uses an exclusive create on the local file system,
	// which is atomic across processes; fileblob's own IfNotExist is a stat
	// followed by a rename and is not. OpenBucket sets it for file:// URLs.
	// Default: none.
	LocalDir string
	// Owned makes Close close b. Default: false, the caller keeps b.
	Owned bool
	// Timeout bounds each whole-object call (CreateOnly, WriteAll,
	// ReadAll, Attributes, Exists, Delete) and each page of a List, one
	// try at a time, so a stalled store fails the call instead of
	// blocking it. Default DefaultTimeout; negative for none. Streams
	// (NewReader, NewWriter) are bounded by the caller's context only.
	Timeout time.Duration
	// Retries is how many times a call that is safe to repeat (every
	// whole-object call but CreateOnly, whose repeat after a lost reply
	// could not tell its own write from another's) is tried again after
	// an error that may pass: a timeout of one try, an unavailable or
	// internal error of the store. Pauses are jittered and grow from
	// 50 ms to 1 s. Default DefaultRetries; negative for none.
	Retries int
	// SingleWriter is the way out for a store that ignores create-only
	// writes (If-None-Match: *), which the first CreateOnly detects and
	// refuses with ErrNotCreateOnly: the caller promises that only one
	// process writes the logs under this prefix at a time, and CreateOnly
	// becomes a check followed by a write. Concurrent writers on such a
	// store lose updates; nothing here can prevent that. Default false.
	SingleWriter bool
}

// Defaults of BucketOptions.
const (
	DefaultTimeout = time.Minute
	DefaultRetries = 3
)

// Bucket is a view of a gocloud bucket under an optional prefix, whose keys
// are validated in one place, and which offers an atomic create-only write
// on every backend. The registry and dataset logs live on it, beside the
// content-addressed objects of a Store.
//
// A Bucket is safe for concurrent use by multiple goroutines.
type Bucket struct {
	b        *blob.Bucket
	prefix   string // "" or ends with "/"
	localDir string
	// inMemory is set for memblob buckets (mem:// URLs): a server-side
	// copy shares the source's bytes instead of copying them, and an
	// object being written is one buffer that grows by doubling.
	inMemory bool
	owned    bool
	timeout  time.Duration // <= 0: none
	retries  int
	single   bool

	probeMu sync.Mutex
	probed  bool  // the store's create-only write was checked
	probeOK error // nil, or why CreateOnly is refused
}

// optionalDriver returns the gocloud driver package for a URL scheme this
// package does not import itself, so that OpenBucket can name the import a
// URL needs.
func optionalDriver(scheme string) (string, bool) {
	switch scheme {
	case "gs":
		return "gocloud.dev/blob/gcsblob", true
	case "azblob":
		return "gocloud.dev/blob/azureblob", true
	}
	return "", false
}

// OpenBucket opens the bucket at urlstr: mem://, file:///abs/path (the
// directory is created if missing), s3://bucket?region=..., or any scheme
// whose gocloud driver the program imports (gs:// with gocloud.dev/blob/gcsblob,
// azblob:// with gocloud.dev/blob/azureblob). A prefix=dir query parameter
// is removed from the URL and used as the key prefix. mem:// buckets are
// opened without memblob's MD5 of every object (its nomd5 parameter),
// which nothing here reads; wrap memblob.OpenBucket with NewBucket to keep
// it.
func OpenBucket(ctx context.Context, urlstr string) (*Bucket, error) {
	u, err := url.Parse(urlstr)
	if err != nil {
		return nil, fmt.Errorf("artifact: parse bucket url: %w", err)
	}
	q := u.Query()
	prefix := q.Get("prefix")
	q.Del("prefix")
	var localDir string
	if u.Scheme == "file" {
		localDir = filepath.FromSlash(u.Path)
		if (u.Host != "" && u.Host != "localhost") || localDir == "" || !filepath.IsAbs(localDir) {
			return nil, fmt.Errorf("artifact: file url %q needs an absolute path", urlstr)
		}
		if err := os.MkdirAll(localDir, 0o755); err != nil {
			return nil, fmt.Errorf("artifact: create bucket directory: %w", err)
		}
		// Objects carry no metadata we rely on; skip fileblob's sidecar files
		// so that objects written by CreateOnly and by fileblob look alike.
		if !q.Has("metadata") {
			q.Set("metadata", "skip")
		}
		// Write fileblob's temporary files beside their final names, not
		// in os.TempDir, which may be another file system (a tmpfs /tmp)
		// where the final rename would fail.
		if !q.Has("no_tmp_dir") {
			q.Set("no_tmp_dir", "true")
		}
	}
	// memblob computes an MD5 of every object for its attributes, which
	// nothing here reads: skip it.
	if u.Scheme == "mem" && !q.Has("nomd5") {
		q.Set("nomd5", "")
	}
	u.RawQuery = q.Encode()
	if drv, ok := optionalDriver(u.Scheme); ok && !blob.DefaultURLMux().ValidBucketScheme(u.Scheme) {
		return nil, fmt.Errorf("artifact: open bucket: no driver for %s:// in this program; add import _ %q", u.Scheme, drv)
	}
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("artifact: open bucket: %w", err)
	}
	bk, err := NewBucket(b, &BucketOptions{Prefix: prefix, LocalDir: localDir, Owned: true})
	if err != nil {
		b.Close()
		return nil, err
	}
	bk.inMemory = u.Scheme == "mem"
	return bk, nil
}

// NewBucket wraps b. A nil opts is the zero BucketOptions.
func NewBucket(b *blob.Bucket, opts *BucketOptions) (*Bucket, error) {
	if b == nil {
		return nil, errors.New("artifact: nil bucket")
	}
	var o BucketOptions
	if opts != nil {
		o = *opts
	}
	prefix := strings.TrimSuffix(o.Prefix, "/")
	if prefix != "" {
		if err := ValidateKey(prefix); err != nil {
			return nil, fmt.Errorf("artifact: prefix: %w", err)
		}
		prefix += "/"
	}
	nb := &Bucket{b: b, prefix: prefix, localDir: o.LocalDir, owned: o.Owned, single: o.SingleWriter,
		timeout: o.Timeout, retries: o.Retries}
	if nb.timeout == 0 {
		nb.timeout = DefaultTimeout
	}
	if nb.retries == 0 {
		nb.retries = DefaultRetries
	}
	nb.retries = max(nb.retries, 0)
	return nb, nil
}

// Blob returns the underlying gocloud bucket. Keys in it include the prefix.
func (b *Bucket) Blob() *blob.Bucket { return b.b }

// Prefix returns the key prefix, "" or ending in "/".
func (b *Bucket) Prefix() string { return b.prefix }

// Key validates rel and returns the full key in the underlying bucket.
func (b *Bucket) Key(rel string) (string, error) {
	if err := ValidateKey(rel); err != nil {
		return "", err
	}
	return b.prefix + rel, nil
}

// Close closes the underlying bucket if the Bucket owns it.
func (b *Bucket) Close() error {
	if b.owned {
		return b.b.Close()
	}
	return nil
}

// mapErr turns gocloud's error codes into this package's sentinels, keeping
// the original error in the chain.
func mapErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return fmt.Errorf("%w: %s %s: %w", ErrNotFound, op, key, err)
	case gcerrors.FailedPrecondition:
		return fmt.Errorf("%w: %s %s: %w", ErrExist, op, key, err)
	}
	return fmt.Errorf("artifact: %s %s: %w", op, key, err)
}

// CreateOnly writes data under rel only if nothing is there yet; otherwise it
// returns an error matching ErrExist and leaves the existing object alone.
// On file:// buckets (LocalDir set) it is atomic across processes; on S3,
// GCS, Azure and mem:// it uses the store's conditional write.
func (b *Bucket) CreateOnly(ctx context.Context, rel string, data []byte) error {
	key, err := b.Key(rel)
	if err != nil {
		return err
	}
	if b.localDir != "" {
		return b.createLocal(ctx, key, data)
	}
	if b.single {
		return b.createChecked(ctx, key, data)
	}
	if err := b.checkCreateOnly(ctx); err != nil {
		return err
	}
	return b.createRemote(ctx, key, data)
}

// createRemote is one conditional write, bounded by the timeout.
func (b *Bucket) createRemote(ctx context.Context, key string, data []byte) error {
	return b.once(ctx, func(ctx context.Context) error {
		return mapErr("create", key, b.b.WriteAll(ctx, key, data, &blob.WriterOptions{IfNotExist: true, ContentType: contentType(key)}))
	})
}

// createChecked is CreateOnly for a store without conditional writes and
// one writer: a check, then a write.
func (b *Bucket) createChecked(ctx context.Context, key string, data []byte) error {
	var ok bool
	err := b.retry(ctx, func(ctx context.Context) (err error) {
		ok, err = b.b.Exists(ctx, key)
		return mapErr("create", key, err)
	})
	if err != nil {
		return err
	}
	if ok {
		return fmt.Errorf("%w: create %s", ErrExist, key)
	}
	return b.once(ctx, func(ctx context.Context) error {
		return mapErr("create", key, b.b.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: contentType(key)}))
	})
}

// createLocal writes data to a temporary file beside the target and links it
// to the final name. link(2) fails with EEXIST when the name is taken, so of
// several processes racing for one key exactly one wins, and a reader never
// sees a partly written file.
func (b *Bucket) createLocal(ctx context.Context, key string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	final := filepath.Join(b.localDir, filepath.FromSlash(key))
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("artifact: create %s: %w", key, err)
	}
	tmp, err := os.CreateTemp(dir, ".create-*.tmp")
	if err != nil {
		return fmt.Errorf("artifact: create %s: %w", key, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("artifact: create %s: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("artifact: create %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("artifact: create %s: %w", key, err)
	}
	if err := os.Link(tmp.Name(), final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: create %s", ErrExist, key)
		}
		return fmt.Errorf("artifact: create %s: %w", key, err)
	}
	return nil
}

// WriteAll writes data under rel, replacing any existing object. The object
// appears whole or not at all.
func (b *Bucket) WriteAll(ctx context.Context, rel string, data []byte) error {
	key, err := b.Key(rel)
	if err != nil {
		return err
	}
	return b.retry(ctx, func(ctx context.Context) error {
		return mapErr("write", key, b.b.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: contentType(rel)}))
	})
}

// ReadAll returns the object under rel; ErrNotFound if there is none.
func (b *Bucket) ReadAll(ctx context.Context, rel string) ([]byte, error) {
	key, err := b.Key(rel)
	if err != nil {
		return nil, err
	}
	var data []byte
	err = b.retry(ctx, func(ctx context.Context) (err error) {
		data, err = b.b.ReadAll(ctx, key)
		return mapErr("read", key, err)
	})
	return data, err
}

// NewReader opens the object under rel for reading; ErrNotFound if absent.
func (b *Bucket) NewReader(ctx context.Context, rel string) (*blob.Reader, error) {
	key, err := b.Key(rel)
	if err != nil {
		return nil, err
	}
	r, err := b.b.NewReader(ctx, key, nil)
	return r, mapErr("open", key, err)
}

// NewWriter opens a writer for rel. The object is committed by a Close that
// returns nil; cancelling ctx before that aborts the write.
func (b *Bucket) NewWriter(ctx context.Context, rel string, opts *blob.WriterOptions) (*blob.Writer, error) {
	key, err := b.Key(rel)
	if err != nil {
		return nil, err
	}
	w, err := b.b.NewWriter(ctx, key, opts)
	return w, mapErr("write", key, err)
}

// Attributes returns the object's attributes; ErrNotFound if absent.
func (b *Bucket) Attributes(ctx context.Context, rel string) (*blob.Attributes, error) {
	key, err := b.Key(rel)
	if err != nil {
		return nil, err
	}
	var a *blob.Attributes
	err = b.retry(ctx, func(ctx context.Context) (err error) {
		a, err = b.b.Attributes(ctx, key)
		return mapErr("stat", key, err)
	})
	return a, err
}

// Exists reports whether an object is stored under rel.
func (b *Bucket) Exists(ctx context.Context, rel string) (bool, error) {
	key, err := b.Key(rel)
	if err != nil {
		return false, err
	}
	var ok bool
	err = b.retry(ctx, func(ctx context.Context) (err error) {
		ok, err = b.b.Exists(ctx, key)
		return mapErr("stat", key, err)
	})
	return ok, err
}

// Delete removes the object under rel; ErrNotFound if absent.
func (b *Bucket) Delete(ctx context.Context, rel string) error {
	key, err := b.Key(rel)
	if err != nil {
		return err
	}
	return b.retry(ctx, func(ctx context.Context) error {
		return mapErr("delete", key, b.b.Delete(ctx, key))
	})
}

// List calls fn for every object whose key (relative to the prefix) starts
// with relPrefix, in lexical order of keys. relPrefix may be "" for all
// objects, or end in "/" for a directory. Keys that fail ValidateKey (put
// there by something else) are skipped. An error from fn stops the walk and
// is returned.
func (b *Bucket) List(ctx context.Context, relPrefix string, fn func(rel string, obj *blob.ListObject) error) error {
	if relPrefix != "" {
		if err := ValidateKey(strings.TrimSuffix(relPrefix, "/")); err != nil {
			return err
		}
	}
	it := b.b.List(&blob.ListOptions{Prefix: b.prefix + relPrefix})
	for {
		obj, err := b.listNext(ctx, it)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return mapErr("list", b.prefix+relPrefix, err)
		}
		rel := strings.TrimPrefix(obj.Key, b.prefix)
		if obj.IsDir || ValidateKey(rel) != nil || isTempName(rel) {
			continue
		}
		if err := fn(rel, obj); err != nil {
			return err
		}
	}
}

// isTempName reports names of in-flight local creates and fileblob temp files.
func isTempName(rel string) bool {
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	return strings.HasPrefix(base, ".create-") || strings.HasSuffix(base, ".tmp")
}

func contentType(rel string) string {
	if strings.HasSuffix(rel, ".json") {
		return "application/json"
	}
	return "application/octet-stream"
}
