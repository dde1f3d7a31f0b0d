package artifact

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
)

// failingWriter accepts n bytes, then fails.
type failingWriter struct {
	n   int
	err error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, w.err
	}
	w.n -= len(p)
	return len(p), nil
}

func TestPump(t *testing.T) {
	ctx := context.Background()
	p := content(5*pumpBufSize+3, 1)
	boom := errors.New("bucket full")
	tests := []struct {
		name    string
		src     io.Reader
		dst     func() io.Writer
		limit   int64
		wantN   int64
		wantErr error
	}{
		{"everything", bytes.NewReader(p), func() io.Writer { return new(bytes.Buffer) }, -1, int64(len(p)), nil},
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(p[:1000])), func() io.Writer { return new(bytes.Buffer) }, -1, 1000, nil},
		{"empty", bytes.NewReader(nil), func() io.Writer { return new(bytes.Buffer) }, -1, 0, nil},
		{"limit inside a buffer", bytes.NewReader(p), func() io.Writer { return new(bytes.Buffer) }, 1000, 1000, nil},
		{"limit on a buffer boundary", bytes.NewReader(p), func() io.Writer { return new(bytes.Buffer) }, 2 * pumpBufSize, 2 * pumpBufSize, nil},
		{"write fails", bytes.NewReader(p), func() io.Writer { return &failingWriter{n: pumpBufSize + 5, err: boom} }, -1, -1, boom},
		{"read fails", iotest.ErrReader(boom), func() io.Writer { return new(bytes.Buffer) }, -1, -1, boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := tt.dst()
			n, d, err := pump(ctx, dst, tt.src, tt.limit, nil, &bufPool{})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if n != tt.wantN || d != FromBytes(p[:n]) {
				t.Fatalf("n = %d, digest %s; want %d bytes of the input", n, d, tt.wantN)
			}
			if got := dst.(*bytes.Buffer).Bytes(); !bytes.Equal(got, p[:n]) {
				t.Fatalf("wrote %d bytes, not the input", len(got))
			}
		})
	}
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := pump(ctx, io.Discard, bytes.NewReader(p), -1, nil, &bufPool{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
}

// TestSmallPutAllocatesLittle checks that storing a few bytes does not
// allocate buffers sized for large transfers: Put once took about 1 MiB
// per call whatever the content. Not parallel, so that no other test's
// allocations are counted. The limit leaves room for the race detector,
// under which sync.Pool drops a share of what it is given; it is still a
// quarter of what one Put used to take.
func TestSmallPutAllocatesLittle(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "mem://", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := content(1<<10, 3)
	const puts, limit = 50, 384 << 10
	if _, err := s.Put(ctx, bytes.NewReader(p), nil); err != nil { // warm the pool
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range puts {
		if _, err := s.Put(ctx, bytes.NewReader(p), nil); err != nil {
			t.Fatal(err)
		}
		var sink bytes.Buffer
		r, err := s.Open(ctx, FromBytes(p))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(&sink, r); err != nil { // through Reader.WriteTo
			t.Fatal(err)
		}
		r.Close()
	}
	runtime.ReadMemStats(&after)
	per := (after.TotalAlloc - before.TotalAlloc) / puts
	t.Logf("%d bytes allocated per 1 KiB Put and read", per)
	if per > limit {
		t.Errorf("a 1 KiB Put and read allocated %d bytes each, want at most %d", per, limit)
	}
}
