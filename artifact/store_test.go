package artifact

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
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"
)

// mode is a store configuration the suite runs under.
type mode struct {
	name      string
	encrypted bool
}

var modes = []mode{{"plain", false}, {"encrypted", true}}

// newTestStore returns a store of the given mode on a fresh bucket.
func newTestStore(t *testing.T, bk backend, m mode) *Store {
	t.Helper()
	return storeOn(t, bk.open(t), m)
}

// storeOn returns a store of the given mode on b.
func storeOn(t *testing.T, b *Bucket, m mode) *Store {
	t.Helper()
	opts := &Options{}
	if m.encrypted {
		opts.Keeper = testKeeper(t, 1)
		opts.SegmentSize = 1024 // small, so short contents have several segments
	}
	s, err := New(b, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestStore runs the behavioural suite on every backend, plain and
// encrypted.
func TestStore(t *testing.T) {
	t.Parallel()
	for _, bk := range backends {
		for _, m := range modes {
			t.Run(bk.name+"/"+m.name, func(t *testing.T) {
				t.Parallel()
				runSuite(t, func(t *testing.T) *Store { return newTestStore(t, bk, m) }, m)
			})
		}
	}
}

func runSuite(t *testing.T, newStore func(t *testing.T) *Store, m mode) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *Store, m mode)
	}{
		{"RoundTrip", testRoundTrip},
		{"Dedupe", testDedupe},
		{"PutKnown", testPutKnown},
		{"Corruption", testCorruption},
		{"FailedUpload", testFailedUpload},
		{"ConcurrentPut", testConcurrentPut},
		{"GC", testGC},
		{"Sentinels", testSentinels},
		{"Progress", testProgress},
		{"WalkAndLayout", testWalkAndLayout},
		{"StreamedCommit", testStreamedCommit},
		{"InvisibleUntilCommitted", testInvisibleUntilCommitted},
		{"Repair", testRepair},
		{"SeekablePut", testSeekablePut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel() // each behaviour has its own store
			tt.fn(t, newStore(t), m)
		})
	}
}

// content returns n deterministic, non-repeating-looking bytes.
func content(n int, seed byte) []byte {
	p := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range p {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		p[i] = byte(x)
	}
	return p
}

func mustPut(t *testing.T, s *Store, p []byte) Descriptor {
	t.Helper()
	d, err := s.Put(context.Background(), bytes.NewReader(p), nil)
	if err != nil {
		t.Fatalf("put %d bytes: %v", len(p), err)
	}
	return d
}

// rawKey is the full key of d in the underlying gocloud bucket.
func rawKey(t *testing.T, s *Store, d Digest) string {
	t.Helper()
	rel, err := s.blobRel(d)
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.b.Key(rel)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// rewrite replaces the stored object of d behind the store's back.
func rewrite(t *testing.T, s *Store, d Digest, fn func([]byte) []byte) {
	t.Helper()
	ctx := context.Background()
	key := rawKey(t, s, d)
	old, err := s.b.Blob().ReadAll(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.b.Blob().WriteAll(ctx, key, fn(bytes.Clone(old)), nil); err != nil {
		t.Fatal(err)
	}
}

// digests lists what Walk reports.
func digests(t *testing.T, s *Store) []Digest {
	t.Helper()
	var ds []Digest
	if err := s.Walk(context.Background(), func(i Info) error { ds = append(ds, i.Digest); return nil }); err != nil {
		t.Fatal(err)
	}
	return ds
}

// uploads counts temporary uploads left in the bucket.
func uploads(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	err := s.b.List(context.Background(), s.root+"uploads/", func(string, *blob.ListObject) error { n++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func testRoundTrip(t *testing.T, s *Store, m mode) {
	ctx := context.Background()
	for _, n := range []int{0, 1, 1023, 1024, 1025, 5000, pumpBufSize + 7, 2*pumpBufSize + 1} {
		p := content(n, byte(n))
		d, err := s.Put(ctx, iotest.HalfReader(bytes.NewReader(p)), &PutOptions{MediaType: "application/x-test", Annotations: map[string]string{"n": fmt.Sprint(n)}})
		if err != nil {
			t.Fatalf("put %d: %v", n, err)
		}
		want := Descriptor{MediaType: "application/x-test", Digest: FromBytes(p), Size: int64(n), Annotations: map[string]string{"n": fmt.Sprint(n)}}
		if diff := cmp.Diff(want, d); diff != "" {
			t.Fatalf("put %d: descriptor (-want +got):\n%s", n, diff)
		}
		got, err := s.Get(ctx, d.Digest)
		if err != nil || !bytes.Equal(got, p) {
			t.Fatalf("get %d: %d bytes, %v", n, len(got), err)
		}
		if n <= 5000 { // iotest.TestReader re-reads a lot; small sizes suffice
			r, err := s.Open(ctx, d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			if r.Size() != int64(n) {
				t.Fatalf("open %d: Size() = %d", n, r.Size())
			}
			if err := iotest.TestReader(r, p); err != nil {
				t.Fatalf("open %d: %v", n, err)
			}
			r.Close()
		}
		info, err := s.Stat(ctx, d.Digest)
		if err != nil || info.Size != int64(n) || info.Digest != d.Digest || info.ModTime.IsZero() {
			t.Fatalf("stat %d: %+v, %v", n, info, err)
		}
		if !m.encrypted && info.StoredSize != int64(n) || m.encrypted && info.StoredSize <= int64(n) {
			t.Fatalf("stat %d: stored size %d", n, info.StoredSize)
		}
		if ok, err := s.Exists(ctx, d.Digest); !ok || err != nil {
			t.Fatalf("exists %d: %v, %v", n, ok, err)
		}
		if err := s.Verify(ctx, d.Digest); err != nil {
			t.Fatalf("verify %d: %v", n, err)
		}
	}
	if n := uploads(t, s); n != 0 {
		t.Fatalf("%d temporary uploads left behind", n)
	}
	// The stored bytes are the plaintext exactly when not encrypted.
	p := content(500, 9)
	d := mustPut(t, s, p)
	raw, err := s.b.Blob().ReadAll(ctx, rawKey(t, s, d.Digest))
	if err != nil {
		t.Fatal(err)
	}
	if plain := bytes.Equal(raw, p); plain == m.encrypted || m.encrypted && bytes.Contains(raw, p[:32]) {
		t.Fatalf("encrypted=%v but stored bytes equal plaintext: %v", m.encrypted, plain)
	}
}

func testDedupe(t *testing.T, s *Store, _ mode) {
	ctx := context.Background()
	p := content(5000, 1)
	d1 := mustPut(t, s, p)
	info1, err := s.Stat(ctx, d1.Digest)
	if err != nil {
		t.Fatal(err)
	}
	d2 := mustPut(t, s, p)
	if !cmp.Equal(d1, d2) {
		t.Fatalf("second put: %+v, first %+v", d2, d1)
	}
	info2, err := s.Stat(ctx, d1.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if !info1.ModTime.Equal(info2.ModTime) || info1.StoredSize != info2.StoredSize {
		t.Fatalf("existing object was rewritten: %+v then %+v", info1, info2)
	}
	if diff := cmp.Diff([]Digest{d1.Digest}, digests(t, s)); diff != "" {
		t.Fatalf("walk (-want +got):\n%s", diff)
	}
	if n := uploads(t, s); n != 0 {
		t.Fatalf("%d temporary uploads left behind", n)
	}
}

// unreadable fails the test if read.
type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Error("reader of already stored content was read")
	return 0, io.EOF
}

func testPutKnown(t *testing.T, s *Store, _ mode) {
	ctx := context.Background()
	p := content(3000, 2)
	want := Descriptor{MediaType: "m", Digest: FromBytes(p), Size: int64(len(p))}
	other := content(3000, 3)
	tests := []struct {
		name string
		desc Descriptor
		in   []byte
		err  error
	}{
		{"wrong digest", want, other, ErrDigestMismatch},
		{"short", want, p[:len(p)-1], ErrSizeMismatch},
		{"long", want, append(bytes.Clone(p), 'x'), ErrSizeMismatch},
		{"empty", want, nil, ErrSizeMismatch},
		{"invalid digest", Descriptor{Digest: "sha256:abc", Size: 3}, p, ErrInvalidDigest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.PutKnown(ctx, tt.desc, bytes.NewReader(tt.in))
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if ds := digests(t, s); len(ds) != 0 {
				t.Fatalf("failed PutKnown left objects: %v", ds)
			}
		})
	}
	got, err := s.PutKnown(ctx, want, iotest.OneByteReader(bytes.NewReader(p)))
	if err != nil || got.Digest != want.Digest || got.Size != want.Size || got.MediaType != "m" {
		t.Fatalf("PutKnown = %+v, %v", got, err)
	}
	if b, err := s.Get(ctx, want.Digest); err != nil || !bytes.Equal(b, p) {
		t.Fatalf("get after PutKnown: %v", err)
	}
	// Already stored: the reader is not touched.
	if _, err := s.PutKnown(ctx, want, unreadable{t}); err != nil {
		t.Fatal(err)
	}
	// Empty content with its true descriptor.
	empty := Descriptor{Digest: FromBytes(nil)}
	if _, err := s.PutKnown(ctx, empty, strings.NewReader("")); err != nil {
		t.Fatal(err)
	}
	if b, err := s.Get(ctx, empty.Digest); err != nil || len(b) != 0 {
		t.Fatalf("get empty: %q, %v", b, err)
	}
}

func testCorruption(t *testing.T, s *Store, m mode) {
	ctx := context.Background()
	// Integrity failures: a digest mismatch for plain objects, an
	// authentication failure for encrypted ones.
	wantErr := ErrDigestMismatch
	if m.encrypted {
		wantErr = ErrDecrypt
	}
	seg := s.seg
	if !m.encrypted {
		seg = 1024 // plain objects have no segments; keep the content small
	}
	tests := []struct {
		name   string
		mutate func([]byte) []byte
		only   bool // only meaningful for encrypted objects
	}{
		{"flip a byte", func(b []byte) []byte { b[len(b)/2] ^= 1; return b }, false},
		{"flip the last byte", func(b []byte) []byte { b[len(b)-1] ^= 0x80; return b }, false},
		{"truncate", func(b []byte) []byte { return b[:len(b)-1] }, false},
		{"truncate to half", func(b []byte) []byte { return b[:len(b)/2] }, false},
		{"append", func(b []byte) []byte { return append(b, 0) }, false},
		{"drop the final segment", func(b []byte) []byte { return b[:len(b)-(10+aeadTagLen)] }, true},
		{"swap two segments", func(b []byte) []byte {
			sealed := seg + aeadTagLen
			body := b[len(b)-(10+aeadTagLen)-4*sealed:]
			first := bytes.Clone(body[:sealed])
			copy(body[:sealed], body[sealed:2*sealed])
			copy(body[sealed:2*sealed], first)
			return b
		}, true},
	}
	for i, tt := range tests {
		if tt.only && !m.encrypted {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			p := content(4*seg+10, byte(40+i)) // four full segments and a short one
			d := mustPut(t, s, p)
			rewrite(t, s, d.Digest, tt.mutate)
			got, err := s.Get(ctx, d.Digest)
			if !errors.Is(err, wantErr) || got != nil {
				t.Fatalf("get: %d bytes, err = %v, want %v", len(got), err, wantErr)
			}
			if !errors.Is(err, ErrDigestMismatch) {
				t.Fatalf("get: err = %v, want it to match ErrDigestMismatch too", err)
			}
			if err := s.Verify(ctx, d.Digest); !errors.Is(err, wantErr) {
				t.Fatalf("verify: err = %v, want %v", err, wantErr)
			}
			r, err := s.Open(ctx, d.Digest)
			if err != nil {
				// An encrypted object can be so damaged that its header
				// fails already.
				if !errors.Is(err, wantErr) {
					t.Fatalf("open: %v", err)
				}
				return
			}
			defer r.Close()
			if _, err := io.Copy(io.Discard, r); !errors.Is(err, wantErr) {
				t.Fatalf("read: err = %v, want %v", err, wantErr)
			}
		})
	}
}

// failingReader returns n bytes of content, then err.
type failingReader struct {
	r   io.Reader
	n   int
	err error
	hit func()
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		if f.hit != nil {
			f.hit()
		}
		return 0, f.err
	}
	p = p[:min(len(p), f.n)]
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

func testFailedUpload(t *testing.T, s *Store, _ mode) {
	boom := errors.New("disk on fire")
	p := content(2*pumpBufSize+100, 5)
	d := Descriptor{Digest: FromBytes(p), Size: int64(len(p))}
	t.Run("reader fails", func(t *testing.T) {
		_, err := s.Put(context.Background(), &failingReader{r: bytes.NewReader(p), n: pumpBufSize + 10, err: boom}, nil)
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want %v", err, boom)
		}
		_, err = s.PutKnown(context.Background(), d, &failingReader{r: bytes.NewReader(p), n: pumpBufSize + 10, err: boom})
		if !errors.Is(err, boom) {
			t.Fatalf("PutKnown err = %v, want %v", err, boom)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		_, err := s.Put(ctx, &failingReader{r: bytes.NewReader(p), n: pumpBufSize + 10, err: io.EOF, hit: cancel}, nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		ctx, cancel = context.WithCancel(context.Background())
		defer cancel()
		_, err = s.PutKnown(ctx, d, &failingReader{r: bytes.NewReader(p), n: len(p), err: io.EOF, hit: cancel})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("PutKnown err = %v, want context.Canceled", err)
		}
	})
	t.Run("size hint wrong", func(t *testing.T) {
		_, err := s.Put(context.Background(), bytes.NewReader(p), &PutOptions{Size: int64(len(p)) + 1})
		if !errors.Is(err, ErrSizeMismatch) {
			t.Fatalf("err = %v, want ErrSizeMismatch", err)
		}
	})
	if ok, err := s.Exists(context.Background(), d.Digest); ok || err != nil {
		t.Fatalf("failed uploads left the final object: %v, %v", ok, err)
	}
	if ds := digests(t, s); len(ds) != 0 {
		t.Fatalf("failed uploads left objects: %v", ds)
	}
	if n := uploads(t, s); n != 0 {
		t.Fatalf("failed uploads left %d temporary objects", n)
	}
}

func testConcurrentPut(t *testing.T, s *Store, _ mode) {
	ctx := context.Background()
	p := content(pumpBufSize+999, 6)
	const writers = 12
	descs := make([]Descriptor, writers)
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			if i%2 == 0 {
				descs[i], errs[i] = s.Put(ctx, bytes.NewReader(p), nil)
			} else {
				descs[i], errs[i] = s.PutKnown(ctx, Descriptor{Digest: FromBytes(p), Size: int64(len(p))}, bytes.NewReader(p))
			}
		})
	}
	wg.Wait()
	want := Descriptor{Digest: FromBytes(p), Size: int64(len(p))}
	for i := range writers {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v", i, errs[i])
		}
		if diff := cmp.Diff(want, descs[i]); diff != "" {
			t.Fatalf("writer %d (-want +got):\n%s", i, diff)
		}
	}
	if diff := cmp.Diff([]Digest{want.Digest}, digests(t, s)); diff != "" {
		t.Fatalf("walk (-want +got):\n%s", diff)
	}
	if got, err := s.Get(ctx, want.Digest); err != nil || !bytes.Equal(got, p) {
		t.Fatalf("get: %v", err)
	}
	if n := uploads(t, s); n != 0 {
		t.Fatalf("%d temporary uploads left behind", n)
	}
}

func testGC(t *testing.T, s *Store, _ mode) {
	ctx := context.Background()
	a, b, c := mustPut(t, s, []byte("a")), mustPut(t, s, []byte("bb")), mustPut(t, s, []byte("ccc"))
	// An upload abandoned by a crashed writer.
	stale := s.root + "uploads/0000000000000001-deadbeefdeadbeef"
	if err := s.b.WriteAll(ctx, stale, []byte("partial")); err != nil {
		t.Fatal(err)
	}
	isA := func(d Digest) bool { return d == a.Digest }

	// Everything is fresh: nothing is deleted, whatever is live.
	st, err := s.GC(ctx, func(Digest) bool { return false }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(GCStats{Scanned: 3, Young: 3}, st); diff != "" {
		t.Fatalf("gc within grace (-want +got):\n%s", diff)
	}

	later := time.Now().Add(2 * time.Hour)
	now := func() time.Time { return later }
	var garbageBytes int64 // what b and c take in the bucket
	for _, d := range []Digest{b.Digest, c.Digest} {
		info, err := s.Stat(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		garbageBytes += info.StoredSize
	}
	wantStats := GCStats{Scanned: 3, Live: 1, Deleted: 2, DeletedBytes: garbageBytes, Uploads: 1}
	st, err = s.GC(ctx, isA, &GCOptions{DryRun: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantStats, st); diff != "" {
		t.Fatalf("dry run stats (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sortedDigests([]Digest{a.Digest, b.Digest, c.Digest}), digests(t, s)); diff != "" {
		t.Fatalf("dry run deleted (-want +got):\n%s", diff)
	}

	st, err = s.GC(ctx, isA, &GCOptions{Now: now, Grace: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantStats, st); diff != "" {
		t.Fatalf("gc stats (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Digest{a.Digest}, digests(t, s)); diff != "" {
		t.Fatalf("after gc (-want +got):\n%s", diff)
	}
	if _, err := s.Get(ctx, b.Digest); !errors.Is(err, ErrNotFound) {
		t.Fatalf("collected object: err = %v", err)
	}
	if got, err := s.Get(ctx, a.Digest); err != nil || string(got) != "a" {
		t.Fatalf("live object: %q, %v", got, err)
	}
	if n := uploads(t, s); n != 0 {
		t.Fatalf("%d stale uploads survived gc", n)
	}
	// A longer grace period keeps objects that a shorter one deletes.
	d := mustPut(t, s, []byte("dd"))
	st, err = s.GC(ctx, isA, &GCOptions{Now: func() time.Time { return time.Now().Add(time.Minute) }, Grace: 2 * time.Minute})
	if err != nil || st.Young != 1 || st.Deleted != 0 {
		t.Fatalf("young object: %+v, %v", st, err)
	}
	if ok, _ := s.Exists(ctx, d.Digest); !ok {
		t.Fatal("gc deleted an object inside the grace period")
	}
	// Another collector deletes garbage between this one's mark and sweep:
	// not an error, and not counted.
	mustPut(t, s, []byte("eee"))
	f := mustPut(t, s, []byte("ffff"))
	fKey, _ := s.blobRel(f.Digest)
	st, err = s.GC(ctx, func(x Digest) bool {
		if x == f.Digest { // f is listed: the other collector deletes it now
			if err := s.b.Delete(ctx, fKey); err != nil {
				t.Error(err)
			}
		}
		return x == a.Digest
	}, &GCOptions{Now: func() time.Time { return time.Now().Add(2 * time.Hour) }})
	if err != nil {
		t.Fatalf("gc racing another collector: %v", err)
	}
	if st.Scanned != 4 || st.Deleted != 2 { // d and e; f was gone
		t.Fatalf("gc racing another collector: %+v", st)
	}
	if diff := cmp.Diff([]Digest{a.Digest}, digests(t, s)); diff != "" {
		t.Fatalf("after racing gc (-want +got):\n%s", diff)
	}
	if _, err := s.GC(ctx, isA, &GCOptions{Grace: -time.Second}); err == nil {
		t.Fatal("negative grace accepted")
	}
	if _, err := s.GC(ctx, nil, nil); err == nil {
		t.Fatal("nil live set accepted")
	}
}

func sortedDigests(ds []Digest) []Digest {
	slices.Sort(ds)
	return ds
}

func testSentinels(t *testing.T, s *Store, _ mode) {
	ctx := context.Background()
	missing := FromBytes([]byte("never stored"))
	notFound := map[string]func() error{
		"Get":    func() error { _, err := s.Get(ctx, missing); return err },
		"Open":   func() error { _, err := s.Open(ctx, missing); return err },
		"Stat":   func() error { _, err := s.Stat(ctx, missing); return err },
		"Delete": func() error { return s.Delete(ctx, missing) },
		"Verify": func() error { return s.Verify(ctx, missing) },
	}
	for name, fn := range notFound {
		if err := fn(); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s of a missing digest: err = %v, want ErrNotFound", name, err)
		}
	}
	if ok, err := s.Exists(ctx, missing); ok || err != nil {
		t.Errorf("Exists of a missing digest: %v, %v", ok, err)
	}
	bad := Digest("sha256:../../etc/passwd")
	invalid := map[string]func() error{
		"Get":      func() error { _, err := s.Get(ctx, bad); return err },
		"Open":     func() error { _, err := s.Open(ctx, bad); return err },
		"Stat":     func() error { _, err := s.Stat(ctx, bad); return err },
		"Exists":   func() error { _, err := s.Exists(ctx, bad); return err },
		"Delete":   func() error { return s.Delete(ctx, bad) },
		"PutKnown": func() error { _, err := s.PutKnown(ctx, Descriptor{Digest: bad}, strings.NewReader("")); return err },
	}
	for name, fn := range invalid {
		if err := fn(); !errors.Is(err, ErrInvalidDigest) {
			t.Errorf("%s of an invalid digest: err = %v, want ErrInvalidDigest", name, err)
		}
	}
	d := mustPut(t, s, []byte("to delete"))
	if err := s.Delete(ctx, d.Digest); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, d.Digest); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Delete: err = %v, want ErrNotFound", err)
	}
}

func testProgress(t *testing.T, s *Store, _ mode) {
	ctx := context.Background()
	p := content(2*pumpBufSize+5, 7)
	var calls [][2]int64
	var d Descriptor
	// A seekable source, and a stream (which takes the window on mem://).
	for i, src := range []func(p []byte) io.Reader{
		func(p []byte) io.Reader { return bytes.NewReader(p) },
		func(p []byte) io.Reader { return struct{ io.Reader }{bytes.NewReader(p)} },
	} {
		p := content(2*pumpBufSize+5, byte(7+i))
		calls = nil
		got, err := s.Put(ctx, src(p), &PutOptions{Size: int64(len(p)), Progress: func(done, total int64) {
			calls = append(calls, [2]int64{done, total})
		}})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			d = got
		}
		if len(calls) < 2 {
			t.Fatalf("source %d: progress called %d times", i, len(calls))
		}
		for j, c := range calls {
			if c[1] != int64(len(p)) || j > 0 && c[0] <= calls[j-1][0] {
				t.Fatalf("source %d: progress calls not increasing towards the total: %v", i, calls)
			}
		}
		if last := calls[len(calls)-1]; last[0] != int64(len(p)) {
			t.Fatalf("source %d: last progress %v, want done = %d", i, last, len(p))
		}
	}
	// Unknown size reports -1; reads report the stored size as total.
	calls = nil
	if _, err := s.Put(ctx, bytes.NewReader(p[:10]), &PutOptions{Progress: func(done, total int64) {
		calls = append(calls, [2]int64{done, total})
	}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][2]int64{{10, -1}}, calls); diff != "" {
		t.Fatalf("unknown size progress (-want +got):\n%s", diff)
	}
	var last [2]int64
	rs, err := New(s.b, &Options{Prefix: strings.TrimSuffix(strings.TrimSuffix(s.root, "cas/"), "/"), Keeper: s.keeper,
		Progress: func(done, total int64) { last = [2]int64{done, total} }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Get(ctx, d.Digest); err != nil {
		t.Fatal(err)
	}
	if want := [2]int64{int64(len(p)), int64(len(p))}; last != want {
		t.Fatalf("read progress ended at %v, want %v", last, want)
	}
	q := content(pumpBufSize+3, 70)
	if _, err := rs.PutKnown(ctx, Descriptor{Digest: FromBytes(q), Size: int64(len(q))}, bytes.NewReader(q)); err != nil {
		t.Fatal(err)
	}
	if want := [2]int64{int64(len(q)), int64(len(q))}; last != want {
		t.Fatalf("PutKnown progress ended at %v, want %v", last, want)
	}
}

func testWalkAndLayout(t *testing.T, s *Store, m mode) {
	ctx := context.Background()
	sizes := map[Digest]int64{}
	for i := range 5 {
		p := content(100*i+1, byte(i))
		sizes[mustPut(t, s, p).Digest] = int64(len(p))
	}
	// Foreign objects inside the store's directory are ignored.
	for _, rel := range []string{"cas/sha256/zz/not-a-digest", "cas/sha256/README", s.root + "uploads/x"} {
		if err := s.b.WriteAll(ctx, rel, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	var prev Digest
	got := map[Digest]int64{}
	err := s.Walk(ctx, func(i Info) error {
		if i.Digest <= prev {
			t.Errorf("walk out of order: %s after %s", i.Digest, prev)
		}
		prev = i.Digest
		got[i.Digest] = i.Size
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sizes, got); diff != "" {
		t.Fatalf("walk sizes (-want +got):\n%s", diff)
	}
	stop := errors.New("stop")
	if err := s.Walk(ctx, func(Info) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("walk did not return fn's error: %v", err)
	}
	// The documented layout: cas/sha256/<2 hex>/<62 hex>, under a prefix.
	ps, err := New(s.b, &Options{Prefix: "team/a", Keeper: s.keeper})
	if err != nil {
		t.Fatal(err)
	}
	d := mustPut(t, ps, []byte("layout"))
	key := "team/a/cas/sha256/" + d.Digest.Hex()[:2] + "/" + d.Digest.Hex()[2:]
	if ok, err := s.b.Exists(ctx, key); !ok || err != nil {
		t.Fatalf("object not at %s: %v", key, err)
	}
	if ok, _ := s.Exists(ctx, d.Digest); ok {
		t.Fatal("stores with different prefixes share objects")
	}
	for _, p := range []string{"../x", "/abs", "a//b", `a\b`} {
		if _, err := New(s.b, &Options{Prefix: p}); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("prefix %q: err = %v, want ErrInvalidKey", p, err)
		}
	}
	if _, err := New(s.b, &Options{SegmentSize: MinSegmentSize - 1}); err == nil {
		t.Error("segment size below the minimum accepted")
	}
	if _, err := New(nil, nil); err == nil {
		t.Error("nil bucket accepted")
	}
}

// TestEncryptionModes checks what happens when a store reads objects that
// were not written in its own mode or under its key.
func TestEncryptionModes(t *testing.T) {
	ctx := context.Background()
	b := openBucketURL(t, "mem://")
	enc, err := New(b, &Options{Keeper: testKeeper(t, 1)})
	if err != nil {
		t.Fatal(err)
	}
	d := mustPut(t, enc, []byte("secret weights"))

	otherKey, _ := New(b, &Options{Keeper: testKeeper(t, 2)})
	if _, err := otherKey.Get(ctx, d.Digest); !errors.Is(err, ErrDecrypt) {
		t.Errorf("other key: err = %v, want ErrDecrypt", err)
	}
	plain, _ := New(b, nil)
	if _, err := plain.Get(ctx, d.Digest); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("plain store reading an encrypted object: err = %v, want ErrDigestMismatch", err)
	}
	pd := mustPut(t, plain, []byte("plain weights"))
	if _, err := enc.Get(ctx, pd.Digest); !errors.Is(err, ErrDecrypt) {
		t.Errorf("encrypted store reading a plain object: err = %v, want ErrDecrypt", err)
	}
	if _, err := enc.Stat(ctx, pd.Digest); !errors.Is(err, ErrDecrypt) {
		t.Errorf("encrypted stat of a plain object: err = %v, want ErrDecrypt", err)
	}
	if _, err := plain.Put(ctx, nil, nil); err == nil {
		t.Error("nil reader accepted")
	}
	if _, err := plain.PutKnown(ctx, Descriptor{Digest: FromBytes([]byte("x")), Size: 1}, nil); err == nil {
		t.Error("nil reader accepted by PutKnown")
	}
}

// TestOpenFileKeepsTempFilesLocal checks that Open on a file:// URL writes
// fileblob's temporary files inside the bucket directory, so uploads work
// when TMPDIR is on another file system, and that none are left behind.
func TestOpenFileKeepsTempFilesLocal(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "does-not-exist"))
	s, err := Open(context.Background(), "file://"+dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := mustPut(t, s, []byte("local temp files"))
	if _, err := s.PutKnown(context.Background(), Descriptor{Digest: FromBytes([]byte("x")), Size: 1}, strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(context.Background(), d.Digest); err != nil || string(got) != "local temp files" {
		t.Fatalf("get: %q, %v", got, err)
	}
	err = filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".tmp") {
			t.Errorf("temporary file left: %s", path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// probeReader serves r and, once it has handed out after bytes, calls
// probe once, while the upload is in flight.
type probeReader struct {
	r     io.Reader
	after int
	probe func()
}

func (p *probeReader) Read(b []byte) (int, error) {
	if p.after <= 0 && p.probe != nil {
		p.probe()
		p.probe = nil
	}
	if p.after > 0 {
		b = b[:min(len(b), p.after)]
	}
	n, err := p.r.Read(b)
	p.after -= n
	return n, err
}

// testInvisibleUntilCommitted checks that while Put and PutKnown are still
// reading (a buffer of content already written to the bucket), nothing is
// visible under the final name, and that it is there once they return.
func testInvisibleUntilCommitted(t *testing.T, s *Store, _ mode) {
	ctx := context.Background()
	for i, known := range []bool{false, true} {
		p := content(2*pumpBufSize+11, byte(60+i))
		d := Descriptor{Digest: FromBytes(p), Size: int64(len(p))}
		probed := false
		r := &probeReader{r: bytes.NewReader(p), after: pumpBufSize + 1, probe: func() {
			probed = true
			if ok, err := s.Exists(ctx, d.Digest); ok || err != nil {
				t.Errorf("known=%v: final name visible mid-upload: %v, %v", known, ok, err)
			}
			if ds := digests(t, s); len(ds) != 0 {
				t.Errorf("known=%v: walk lists %v mid-upload", known, ds)
			}
		}}
		var err error
		if known {
			_, err = s.PutKnown(ctx, d, r)
		} else {
			_, err = s.Put(ctx, r, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !probed {
			t.Fatalf("known=%v: probe never ran", known)
		}
		if err := s.Verify(ctx, d.Digest); err != nil {
			t.Fatalf("known=%v: after upload: %v", known, err)
		}
		if err := s.Delete(ctx, d.Digest); err != nil {
			t.Fatal(err)
		}
	}
}

// testStreamedCommit forces the commit path used for content too large for
// a server-side copy.
func testStreamedCommit(t *testing.T, s *Store, _ mode) {
	ctx := context.Background()
	s.copyLimit = 0
	p := content(pumpBufSize+17, 8)
	d := mustPut(t, s, p)
	if again := mustPut(t, s, p); again.Digest != d.Digest {
		t.Fatalf("second put: %s, first %s", again.Digest, d.Digest)
	}
	if got, err := s.Get(ctx, d.Digest); err != nil || !bytes.Equal(got, p) {
		t.Fatalf("get: %v", err)
	}
	if diff := cmp.Diff([]Digest{d.Digest}, digests(t, s)); diff != "" {
		t.Fatalf("walk (-want +got):\n%s", diff)
	}
	if n := uploads(t, s); n != 0 {
		t.Fatalf("%d temporary uploads left behind", n)
	}
}

// TestLogger checks that the store reports to the Logger it is given.
func TestLogger(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(openBucketURL(t, "mem://"), &Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, []byte("logged"))
	mustPut(t, s, []byte("logged"))
	if _, err := s.GC(context.Background(), func(Digest) bool { return true }, nil); err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"artifact: uploaded", "artifact: already stored", "artifact: gc done"} {
		if !strings.Contains(buf.String(), msg) {
			t.Errorf("log lacks %q:\n%s", msg, buf.String())
		}
	}
}

// TestGCRemovesLocalTempFiles checks that GC on a file:// store removes the
// temporary files of uploads whose process died, once they are older than
// the grace period, and leaves younger ones and the content alone.
func TestGCRemovesLocalTempFiles(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), "file://"+dir+"?prefix=team", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d := mustPut(t, s, []byte("kept"))
	shard := filepath.Join(dir, "team", "cas", "sha256", d.Digest.Hex()[:2])
	old := filepath.Join(shard, d.Digest.Hex()[2:]+".18ec2c8d6e3016c9.tmp")
	young := filepath.Join(dir, "team", "cas", "uploads", "x.18ec2c8d6e3016ca.tmp")
	for _, p := range []string{old, young} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	twoHoursAgo := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(old, twoHoursAgo, twoHoursAgo); err != nil {
		t.Fatal(err)
	}
	st, err := s.GC(context.Background(), func(Digest) bool { return true }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Uploads != 1 || st.Live != 1 {
		t.Fatalf("gc stats %+v", st)
	}
	if _, err := os.Stat(old); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary file survived: %v", err)
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("young temporary file removed: %v", err)
	}
	if got, err := s.Get(context.Background(), d.Digest); err != nil || string(got) != "kept" {
		t.Fatalf("get: %q, %v", got, err)
	}
}

// TestRefreshOnDedupe checks that storing content again renews the
// modification time of an old object, so GC's grace period covers it.
func TestRefreshOnDedupe(t *testing.T) {
	ctx := context.Background()
	t.Run("file", func(t *testing.T) {
		dir := t.TempDir()
		s, err := Open(ctx, "file://"+dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for _, known := range []bool{false, true} {
			p := []byte(fmt.Sprintf("re-used content, known=%v", known))
			d := mustPut(t, s, p)
			key := rawKey(t, s, d.Digest)
			old := time.Now().Add(-2 * time.Hour)
			if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(key)), old, old); err != nil {
				t.Fatal(err)
			}
			if known {
				_, err = s.PutKnown(ctx, d, unreadable{t})
			} else {
				_, err = s.Put(ctx, bytes.NewReader(p), nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			info, err := s.Stat(ctx, d.Digest)
			if err != nil || time.Since(info.ModTime) > time.Minute {
				t.Fatalf("known=%v: modification time %v not renewed (%v)", known, info.ModTime, err)
			}
			st, err := s.GC(ctx, func(Digest) bool { return false }, &GCOptions{Grace: time.Hour})
			if err != nil || st.Deleted != 0 {
				t.Fatalf("known=%v: gc deleted re-used content: %+v, %v", known, st, err)
			}
		}
	})
	for _, bk := range []backend{backends[0], backends[2]} { // mem, s3
		t.Run(bk.name, func(t *testing.T) {
			s := newTestStore(t, bk, mode{})
			s.refreshAge = 0 // every re-use renews
			p := []byte("re-used content")
			d := mustPut(t, s, p)
			before, err := s.Stat(ctx, d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond) // S3 times have one-second resolution
			mustPut(t, s, p)
			after, err := s.Stat(ctx, d.Digest)
			if err != nil {
				t.Fatal(err)
			}
			if !after.ModTime.After(before.ModTime) {
				t.Fatalf("modification time not renewed: %v then %v", before.ModTime, after.ModTime)
			}
			if got, err := s.Get(ctx, d.Digest); err != nil || !bytes.Equal(got, p) {
				t.Fatalf("get after refresh: %q, %v", got, err)
			}
			if n := uploads(t, s); n != 0 {
				t.Fatalf("%d temporary uploads left", n)
			}
		})
	}
}

// TestS3Multipart stores content large enough for the AWS SDK to upload it
// in several parts, where the create-only condition travels with the
// completion of the multipart upload.
func TestS3Multipart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newTestStore(t, backends[2], mode{})
	p := content(5<<20+5, 3)
	d, err := s.PutKnown(ctx, Descriptor{Digest: FromBytes(p), Size: int64(len(p))}, bytes.NewReader(p))
	if err != nil {
		t.Fatal(err)
	}
	rel, _ := s.blobRel(d.Digest)
	if _, _, _, err := s.upload(ctx, rel, bytes.NewReader(p), &d, d.Size, nil, false); !errors.Is(err, ErrExist) {
		t.Fatalf("second create-only upload: err = %v, want ErrExist", err)
	}
	if got, err := s.Get(ctx, d.Digest); err != nil || !bytes.Equal(got, p) {
		t.Fatalf("get: %v", err)
	}
}
