package artifact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/sextant-ml/sextant/internal/s3test"
)

// newS3Store returns a store on a fresh gofakes3 server, and the server.
func newS3Store(t *testing.T, m mode) (*Store, *s3test.Server) {
	t.Helper()
	srv := s3test.New(t)
	b, err := NewBucket(srv.Bucket(t, "sextant"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return storeOn(t, b, m), srv
}

// TestS3ChecksumMismatchIsDigestMismatch has the S3 server send an
// object with one byte flipped under the CRC32 of the stored bytes, so
// that the AWS SDK's own checksum check fails the read: every read path
// must report it as ErrDigestMismatch.
func TestS3ChecksumMismatchIsDigestMismatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, m := range modes {
		for _, size := range []int{1000, 3<<20 + 17} {
			for _, where := range []string{"first", "last"} {
				t.Run(fmt.Sprintf("%s/%d/%s", m.name, size, where), func(t *testing.T) {
					t.Parallel()
					s, srv := newS3Store(t, m)
					p := content(size, byte(size))
					d := mustPut(t, s, p)
					a, err := s.b.Attributes(ctx, mustRel(t, s, d.Digest))
					if err != nil {
						t.Fatal(err)
					}
					off := int64(0)
					if where == "last" {
						off = a.Size - 1
					}
					srv.CorruptGets("sextant", rawKey(t, s, d.Digest), off)
					got, err := s.Get(ctx, d.Digest)
					if !errors.Is(err, ErrDigestMismatch) || got != nil {
						t.Fatalf("get: %d bytes, err = %v, want ErrDigestMismatch", len(got), err)
					}
					if err := s.Verify(ctx, d.Digest); !errors.Is(err, ErrDigestMismatch) {
						t.Fatalf("verify: err = %v, want ErrDigestMismatch", err)
					}
					r, err := s.Open(ctx, d.Digest)
					if err == nil {
						_, err = io.Copy(io.Discard, r)
						r.Close()
					}
					if !errors.Is(err, ErrDigestMismatch) {
						t.Fatalf("open and read: err = %v, want ErrDigestMismatch", err)
					}
					srv.CorruptGets("sextant", rawKey(t, s, d.Digest), -1)
					if got, err := s.Get(ctx, d.Digest); err != nil || !bytes.Equal(got, p) {
						t.Fatalf("get after the fault ends: %d bytes, %v", len(got), err)
					}
				})
			}
		}
	}
}

func mustRel(t *testing.T, s *Store, d Digest) string {
	t.Helper()
	rel, err := s.blobRel(d)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

// sdkLikeError stands for a checksum error of another type than the SDK's
// own, recognised by its message.
type sdkLikeError struct{}

func (sdkLikeError) Error() string {
	return "checksum did not match: algorithm CRC32, expect a, actual b"
}

func TestReadErrClassifies(t *testing.T) {
	other := errors.New("connection reset")
	tests := []struct {
		name     string
		err      error
		mismatch bool
	}{
		{"nil", nil, false},
		{"eof", io.EOF, false},
		{"other", other, false},
		{"message", sdkLikeError{}, true},
		{"wrapped message", fmt.Errorf("blob: %w", sdkLikeError{}), true},
		{"joined", errors.Join(other, fmt.Errorf("x: %w", sdkLikeError{})), true},
		{"message not innermost", fmt.Errorf("checksum did not match: %w", other), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readErr(tt.err)
			if errors.Is(got, ErrDigestMismatch) != tt.mismatch {
				t.Fatalf("readErr(%v) = %v, ErrDigestMismatch: %v, want %v", tt.err, got, !tt.mismatch, tt.mismatch)
			}
			if tt.err != nil && !errors.Is(got, tt.err) {
				t.Fatalf("readErr(%v) = %v lost the original", tt.err, got)
			}
		})
	}
}
