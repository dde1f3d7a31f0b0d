//go:build integration

package artifact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/sextant-ml/sextant/internal/s3test"
)

// These tests run against a real S3-compatible server: versitygw started
// from PATH, or the server SEXTANT_S3_ENDPOINT names.
//
//	go test -tags integration -run Versity ./artifact/

var versityBuckets atomic.Int64

// versityStore returns a store on a fresh bucket of srv.
func versityStore(t *testing.T, srv *s3test.External, m mode) (*Store, string) {
	t.Helper()
	name := fmt.Sprintf("sextant-%d-%d", os.Getpid(), versityBuckets.Add(1))
	b, err := NewBucket(srv.Bucket(t, name), nil)
	if err != nil {
		t.Fatal(err)
	}
	return storeOn(t, b, m), name
}

// TestVersitySuite runs the behavioural suite on versitygw.
func TestVersitySuite(t *testing.T) {
	srv := s3test.NewVersity(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			runSuite(t, func(t *testing.T) *Store { s, _ := versityStore(t, srv, m); return s }, m)
		})
	}
}

// flipOnDisk flips one byte of an object in versitygw's posix directory,
// under the checksum the server recorded at upload: bit rot.
func flipOnDisk(t *testing.T, srv *s3test.External, bucket, key string, off func(n int) int) {
	t.Helper()
	if srv.Dir == "" {
		t.Fatalf("the server at %s is not one this test started; it cannot alter its files", srv.Endpoint)
	}
	path := filepath.Join(srv.Dir, bucket, filepath.FromSlash(key))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[off(len(b))] ^= 0x04
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestVersityBitRot alters stored files on the server's disk and checks
// that every read reports ErrDigestMismatch and releases no altered byte,
// and that storing the content again repairs it.
func TestVersityBitRot(t *testing.T) {
	srv := s3test.NewVersity(t)
	ctx := context.Background()
	for _, m := range modes {
		for _, size := range []int{3000, 3*chunkSize + 11} {
			for _, where := range []string{"first", "middle", "last"} {
				t.Run(fmt.Sprintf("%s/%d/%s", m.name, size, where), func(t *testing.T) {
					s, bucket := versityStore(t, srv, m)
					p := content(size, byte(size))
					d := mustPut(t, s, p)
					flipOnDisk(t, srv, bucket, rawKey(t, s, d.Digest), func(n int) int {
						switch where {
						case "first":
							return 10
						case "middle":
							return n / 2
						}
						return n - 2
					})
					r, err := s.Open(ctx, d.Digest)
					var got []byte
					if err == nil {
						got, err = drain(r, 64<<10)
						r.Close()
					}
					if !errors.Is(err, ErrDigestMismatch) {
						t.Fatalf("read: err = %v, want ErrDigestMismatch", err)
					}
					if !bytes.HasPrefix(p, got) {
						t.Fatalf("released %d bytes, not all of them the content's", len(got))
					}
					t.Logf("detected by the storage client's checksum: %v", isTransportChecksumErr(err))
					if _, err := s.PutKnown(ctx, d, bytes.NewReader(p)); err != nil {
						t.Fatal(err)
					}
					if got, err := s.Get(ctx, d.Digest); err != nil || !bytes.Equal(got, p) {
						t.Fatalf("get after repair: %d bytes, %v", len(got), err)
					}
				})
			}
		}
	}
}

// TestVersityGCAbortsStaleMultipart leaves multipart uploads on versitygw
// and checks that GC aborts the stale ones under the store's directory.
func TestVersityGCAbortsStaleMultipart(t *testing.T) {
	srv := s3test.NewVersity(t)
	name := fmt.Sprintf("sextant-mp-%d", os.Getpid())
	b, err := NewBucket(srv.Bucket(t, name), nil)
	if err != nil {
		t.Fatal(err)
	}
	testGCAbortsMultipart(t, srv.Client(), b, name)
}

// TestVersityURL opens a store by an s3:// URL with the parameters
// doc.go lists for S3-compatible servers.
func TestVersityURL(t *testing.T) {
	srv := s3test.NewVersity(t)
	ctx := context.Background()
	name := fmt.Sprintf("sextant-url-%d", os.Getpid())
	srv.Bucket(t, name)
	s3test.SetEnv(t)
	s, err := Open(ctx, srv.URL(name), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := content(2*chunkSize+3, 5)
	d := mustPut(t, s, p)
	r, err := s.Open(ctx, d.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, p) {
		t.Fatalf("read: %d bytes, %v", len(got), err)
	}
}

// BenchmarkVersityPut puts 32 MiB on versitygw: a raw gocloud write of
// the bytes, Put of a streamed source (upload to a temporary name, then a
// server-side copy: how every Put stored content before seekable sources
// were hashed first), and Put of a seekable source (hashed, then uploaded
// once to its final name). Each iteration stores new content.
//
//	go test -tags integration -run '^$' -bench VersityPut -benchtime 5x ./artifact/
func BenchmarkVersityPut(b *testing.B) {
	const size = 32 << 20
	srv := s3test.NewVersity(b)
	ctx := context.Background()
	bk, err := NewBucket(srv.Bucket(b, fmt.Sprintf("sextant-bench-%d", os.Getpid())), nil)
	if err != nil {
		b.Fatal(err)
	}
	s, _ := New(bk, nil)
	seed := byte(0)
	next := func() []byte { seed++; return content(size, seed) }
	b.Run("raw", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			b.StopTimer()
			p := next()
			b.StartTimer()
			if err := bk.Blob().WriteAll(ctx, fmt.Sprintf("raw/%d", seed), p, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, name := range []string{"streamed", "seekable"} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				b.StopTimer()
				var r io.Reader = bytes.NewReader(next())
				if name == "streamed" {
					r = struct{ io.Reader }{r}
				}
				b.StartTimer()
				if _, err := s.Put(ctx, r, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
