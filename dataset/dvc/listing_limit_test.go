package dvc

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sextant-ml/sextant/internal/memtest"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
)

// TestPullOversizedListing serves a listing four times the default limit
// from a file:// remote (a sparse file, so it costs no disk).
func TestPullOversizedListing(t *testing.T) {
	const size = 4 * DefaultMaxListingBytes
	remote := t.TempDir()
	h := md5hex("not the listing") + DirSuffix
	obj := filepath.Join(remote, filepath.FromSlash(ObjectKey(h)))
	if err := os.MkdirAll(filepath.Dir(obj), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(obj, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(obj, size); err != nil {
		t.Fatal(err)
	}
	b, err := fileblob.OpenBucket(remote, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	dest := t.TempDir()
	n := memtest.Allocated(func() {
		err = NewRemote(b, nil).PullOut(t.Context(), Out{MD5: h, Hash: "md5", Path: "d"}, dest)
	})
	if !errors.Is(err, ErrListingTooLarge) {
		t.Fatalf("pull of a %d-byte listing: %v, want ErrListingTooLarge", int64(size), err)
	}
	if n > 8<<20 {
		t.Errorf("allocated %d bytes refusing a %d-byte listing", n, int64(size))
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 0 {
		t.Errorf("pull left %d entries in the destination", len(entries))
	}
}

// endless claims to be small and never ends, as a lying remote would.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '['
	}
	return len(p), nil
}

func TestReadListingLimit(t *testing.T) {
	const limit = 4 << 20
	var err error
	n := memtest.Allocated(func() { _, err = readListing(endless{}, 10, limit) })
	if !errors.Is(err, ErrListingTooLarge) {
		t.Fatalf("endless listing: %v, want ErrListingTooLarge", err)
	}
	if n > 4*limit { // growing buffers add up to about 2.5x the limit
		t.Errorf("allocated %d bytes with a limit of %d", n, limit)
	}
	tests := []struct {
		name      string
		data      string
		size      int64
		limit     int64
		wantError bool
	}{
		{"at the limit", "[1234]", 6, 6, false},
		{"unknown size at the limit", "[1234]", -1, 6, false},
		{"claims more than the limit", "[1234]", 7, 6, true},
		{"holds more than it claims", "[12345]", 6, 6, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readListing(strings.NewReader(tt.data), tt.size, tt.limit)
			if tt.wantError {
				if !errors.Is(err, ErrListingTooLarge) {
					t.Fatalf("err = %v, want ErrListingTooLarge", err)
				}
				return
			}
			if err != nil || string(got) != tt.data {
				t.Fatalf("got %q, %v; want %q", got, err, tt.data)
			}
		})
	}
	if _, err := readListing(io.MultiReader(strings.NewReader("["), errReader{}), -1, 10); !errors.Is(err, errBroken) {
		t.Errorf("read error: %v", err)
	}
}

var errBroken = errors.New("broken")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBroken }

func TestMaxListingBytesOption(t *testing.T) {
	l := EncodeListing([]DirEntry{{md5hex("a"), "a"}})
	h := md5hex(string(l)) + DirSuffix
	for _, tt := range []struct {
		limit int64
		want  error
	}{{int64(len(l)), nil}, {int64(len(l)) - 1, ErrListingTooLarge}} {
		b := memblob.OpenBucket(nil)
		defer b.Close()
		if err := b.WriteAll(t.Context(), ObjectKey(h), l, nil); err != nil {
			t.Fatal(err)
		}
		if err := b.WriteAll(t.Context(), ObjectKey(md5hex("a")), []byte("a"), nil); err != nil {
			t.Fatal(err)
		}
		err := NewRemote(b, &Options{MaxListingBytes: tt.limit}).PullOut(t.Context(), Out{MD5: h, Hash: "md5", Path: "d"}, t.TempDir())
		if !errors.Is(err, tt.want) {
			t.Errorf("limit %d for a %d-byte listing: err = %v, want %v", tt.limit, len(l), err, tt.want)
		}
	}
}
