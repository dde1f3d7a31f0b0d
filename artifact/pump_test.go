package artifact

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// testWait bounds every wait in this file: a pump that spins or blocks
// fails its test after this long, with every goroutine's stack, instead
// of hanging until go test's own timeout ends the whole binary.
const testWait = 20 * time.Second

// within runs fn on a goroutine of its own and fails t if fn has not
// returned after testWait. fn must not call t.Fatal or t.FailNow.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	timer := time.NewTimer(testWait)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s did not return within %v; goroutines:\n%s", what, testWait, buf)
	}
}

// boundedPump is pump under within.
func boundedPump(t *testing.T, ctx context.Context, dst io.Writer, src io.Reader, limit int64) (n int64, d Digest, err error) {
	t.Helper()
	return boundedPumpWhole(t, ctx, dst, src, limit, false)
}

// boundedPumpWhole is pump under within, with its whole argument.
func boundedPumpWhole(t *testing.T, ctx context.Context, dst io.Writer, src io.Reader, limit int64, whole bool) (n int64, d Digest, err error) {
	t.Helper()
	within(t, "pump", func() { n, d, err = pump(ctx, dst, src, limit, nil, &bufPool{}, nil, whole) })
	return n, d, err
}

// pumpMode is a way pump reads a source.
type pumpMode struct {
	name  string
	whole bool // pump's whole argument
	hide  bool // the source is hidden behind an io.Reader
}

// pumpModes are the ways pump reads a source: through its buffers (whole
// unset); with whole set, handed over whole when it is in memory (see
// pumpMemory); and with whole set, through one window when it is not (see
// pumpWindow), which hide forces for every source.
var pumpModes = []pumpMode{{"buffered", false, false}, {"whole", true, false}, {"window", true, true}}

// source returns r as the mode reads it.
func (m pumpMode) source(r io.Reader) io.Reader {
	if m.hide {
		return struct{ io.Reader }{r}
	}
	return r
}

// countReader returns count bytes and no error from every Read, whatever
// it is asked for: with 0 it never makes progress, and with a count below
// zero or beyond the buffer it breaks the io.Reader contract.
type countReader struct{ count int }

func (r countReader) Read(p []byte) (int, error) { return r.count, nil }

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
		{"one byte at a time", nil, func() io.Writer { return new(bytes.Buffer) }, -1, 1000, nil},
		{"empty", bytes.NewReader(nil), func() io.Writer { return new(bytes.Buffer) }, -1, 0, nil},
		{"limit inside a buffer", bytes.NewReader(p), func() io.Writer { return new(bytes.Buffer) }, 1000, 1000, nil},
		{"limit on a buffer boundary", bytes.NewReader(p), func() io.Writer { return new(bytes.Buffer) }, 2 * pumpBufSize, 2 * pumpBufSize, nil},
		{"write fails", bytes.NewReader(p), func() io.Writer { return &failingWriter{n: pumpBufSize + 5, err: boom} }, -1, -1, boom},
		{"read fails", iotest.ErrReader(boom), func() io.Writer { return new(bytes.Buffer) }, -1, -1, boom},
		// io.ReadFull would call these sources for ever.
		{"no progress", countReader{0}, func() io.Writer { return new(bytes.Buffer) }, -1, -1, io.ErrNoProgress},
		{"negative count", countReader{-1}, func() io.Writer { return new(bytes.Buffer) }, -1, -1, errReadCount},
		{"count beyond the buffer", countReader{pumpBufSize + 1}, func() io.Writer { return new(bytes.Buffer) }, -1, -1, errReadCount},
	}
	for _, mode := range pumpModes {
		for _, tt := range tests {
			t.Run(mode.name+"/"+tt.name, func(t *testing.T) {
				if r, ok := tt.src.(*bytes.Reader); ok {
					r.Seek(0, io.SeekStart)
				}
				if tt.src == nil { // stateful: a fresh one each time
					tt.src = iotest.OneByteReader(bytes.NewReader(p[:1000]))
				}
				dst := tt.dst()
				n, d, err := boundedPumpWhole(t, ctx, dst, mode.source(tt.src), tt.limit, mode.whole)
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
	}
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	for _, mode := range pumpModes {
		if _, _, err := boundedPumpWhole(t, ctx, io.Discard, mode.source(bytes.NewReader(p)), -1, mode.whole); !errors.Is(err, context.Canceled) {
			t.Fatalf("%s, cancelled: err = %v", mode.name, err)
		}
	}
}

// TestPumpOverlapsWithoutMixingBuffers copies content of many buffers
// through a writer that is slower than reading and hashing, so that every
// buffer is reused while others are in flight, and checks the bytes
// written, their order and the digest, in both modes, for content handed
// over in one piece and in pieces of every size around a buffer.
func TestPumpOverlapsWithoutMixingBuffers(t *testing.T) {
	t.Parallel()
	for _, mode := range pumpModes {
		window := pumpBuffers
		if mode.whole {
			window = wholeWindow / pumpBufSize
		}
		p := content(3*window*pumpBufSize+12345, 8)
		for _, piece := range []int{len(p), pumpBufSize - 1, pumpBufSize, pumpBufSize + 1, 7 << 10} {
			var src io.Reader = bytes.NewReader(p)
			if piece != len(p) {
				src = &pieceReader{r: bytes.NewReader(p), piece: piece}
			}
			dst := &slowBuffer{}
			n, d, err := boundedPumpWhole(t, context.Background(), dst, mode.source(src), -1, mode.whole)
			if err != nil {
				t.Fatalf("%s, pieces of %d: %v", mode.name, piece, err)
			}
			if n != int64(len(p)) || d != FromBytes(p) || !bytes.Equal(dst.b.Bytes(), p) {
				t.Fatalf("%s, pieces of %d: copied %d bytes, digest %s, %d written; want the input", mode.name, piece, n, d, dst.b.Len())
			}
		}
	}
}

// TestPumpWindow checks how far pump reads ahead of a writer that has
// not finished its first write: at most pumpBuffers buffers, and with
// whole set (a destination that holds everything in memory) as far as
// wholeWindow, and no further.
func TestPumpWindow(t *testing.T) {
	t.Parallel()
	for _, mode := range pumpModes {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			window := pumpBuffers
			if mode.whole {
				window = wholeWindow / pumpBufSize
			}
			src := &zeroReader{}
			dst := &gateWriter{release: make(chan struct{})}
			var err error
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, _, err = pump(context.Background(), dst, src, int64(4*window*pumpBufSize), nil, &bufPool{}, nil, mode.whole)
			}()
			// The reader fills every buffer of the window, then waits for
			// the first to be written.
			want := int64(window * pumpBufSize)
			deadline := time.Now().Add(testWait)
			for src.n.Load() < want && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			// Give a pump that ignores its window time to read beyond it.
			time.Sleep(50 * time.Millisecond)
			got := src.n.Load()
			close(dst.release)
			<-done
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("read %d bytes ahead of a blocked write, want the window's %d (%d buffers)", got, want, window)
			}
		})
	}
}

// zeroReader returns zeros and counts them; it is not an in-memory
// source, so pump reads it through its buffers in either mode.
type zeroReader struct{ n atomic.Int64 }

func (r *zeroReader) Read(p []byte) (int, error) {
	clear(p)
	r.n.Add(int64(len(p)))
	return len(p), nil
}

// gateWriter blocks every write until release is closed.
type gateWriter struct{ release chan struct{} }

func (w *gateWriter) Write(p []byte) (int, error) {
	<-w.release
	return len(p), nil
}

// pieceReader reads at most piece bytes per Read.
type pieceReader struct {
	r     io.Reader
	piece int
}

func (r *pieceReader) Read(p []byte) (int, error) { return r.r.Read(p[:min(len(p), r.piece)]) }

// slowBuffer is a bytes.Buffer whose writes yield first, so that pump's
// reads and hashes run ahead of them.
type slowBuffer struct{ b bytes.Buffer }

func (w *slowBuffer) Write(p []byte) (int, error) {
	runtime.Gosched()
	time.Sleep(50 * time.Microsecond)
	return w.b.Write(p)
}

// trickleReader returns at most 1 KiB per Read and cancels its context
// on the first one.
type trickleReader struct {
	cancel func()
	r      io.Reader
	reads  int
}

func (c *trickleReader) Read(p []byte) (int, error) {
	c.reads++
	c.cancel()
	return c.r.Read(p[:min(len(p), 1<<10)])
}

// TestPumpSeesCancelBetweenReads checks that pump notices cancellation
// after the Read during which it happened, not once a whole buffer (256
// reads of this source) has been filled.
func TestPumpSeesCancelBetweenReads(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := &trickleReader{cancel: cancel, r: bytes.NewReader(content(2*pumpBufSize, 5))}
	_, _, err := boundedPump(t, ctx, io.Discard, src, -1)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want %v", err, context.Canceled)
	}
	if src.reads != 1 {
		t.Fatalf("pump read %d times, want 1: it went on reading after the context ended", src.reads)
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
	within(t, "puts and reads", func() {
		runtime.ReadMemStats(&before)
		for range puts {
			if _, err = s.Put(ctx, bytes.NewReader(p), nil); err != nil {
				return
			}
			var sink bytes.Buffer
			var r *Reader
			if r, err = s.Open(ctx, FromBytes(p)); err != nil {
				return
			}
			_, err = io.Copy(&sink, r) // through Reader.WriteTo
			r.Close()
			if err != nil {
				return
			}
		}
		runtime.ReadMemStats(&after)
	})
	if err != nil {
		t.Fatal(err)
	}
	per := (after.TotalAlloc - before.TotalAlloc) / puts
	t.Logf("%d bytes allocated per 1 KiB Put and read", per)
	if per > limit {
		t.Errorf("a 1 KiB Put and read allocated %d bytes each, want at most %d", per, limit)
	}
}

// lateWriter is slow and records whether it is still called after
// returned is set.
type lateWriter struct {
	mu       sync.Mutex
	returned bool
	late     int
	fail     bool
}

func (w *lateWriter) Write(p []byte) (int, error) {
	time.Sleep(2 * time.Millisecond)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.returned {
		w.late++
	}
	if w.fail {
		return 0, errors.New("write failed")
	}
	return len(p), nil
}

// TestPumpWriterEndsBeforeReturn checks the documented ownership of pump's
// writing goroutine: whether pump succeeds, its reader fails, its writer
// fails or its context ends, the goroutine has stopped writing before
// pump returns.
func TestPumpWriterEndsBeforeReturn(t *testing.T) {
	t.Parallel()
	// Past two windows, so that in window mode the writer is called
	// before the end in every case.
	p := content(2*wholeWindow+3*pumpBufSize, 4)
	tests := []struct {
		name   string
		src    func(cancel func()) io.Reader
		fail   bool
		cancel bool
	}{
		{"success", func(func()) io.Reader { return bytes.NewReader(p) }, false, false},
		{"reader fails", func(func()) io.Reader {
			return io.MultiReader(bytes.NewReader(p[:wholeWindow+3*pumpBufSize]), iotest.ErrReader(errors.New("read failed")))
		}, false, false},
		{"writer fails", func(func()) io.Reader { return bytes.NewReader(p) }, true, false},
		{"cancelled", func(cancel func()) io.Reader {
			return io.MultiReader(bytes.NewReader(p[:wholeWindow+3*pumpBufSize]), &cancelReader{cancel: cancel, r: bytes.NewReader(p)})
		}, false, true},
	}
	for _, mode := range pumpModes {
		for _, tt := range tests {
			t.Run(mode.name+"/"+tt.name, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				w := &lateWriter{fail: tt.fail}
				_, _, err := boundedPumpWhole(t, ctx, w, mode.source(tt.src(cancel)), -1, mode.whole)
				w.mu.Lock()
				w.returned = true
				w.mu.Unlock()
				if (err == nil) != (tt.name == "success") {
					t.Fatalf("pump: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
				w.mu.Lock()
				defer w.mu.Unlock()
				if w.late != 0 {
					t.Fatalf("%d writes after pump returned", w.late)
				}
			})
		}
	}
}

// cancelReader cancels its context on the first read, then reads r.
type cancelReader struct {
	cancel func()
	r      io.Reader
}

func (c *cancelReader) Read(p []byte) (int, error) {
	c.cancel()
	return c.r.Read(p)
}

// writeSizes records the length of every Write.
type writeSizes struct {
	bytes.Buffer
	sizes []int
}

func (w *writeSizes) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return w.Buffer.Write(p)
}

// TestPumpWindowWritesWholeWindows checks what pumpWindow promises a
// destination that grows one buffer: content up to wholeWindow arrives
// in one Write, and longer content one full window at a time, then the
// rest.
func TestPumpWindowWritesWholeWindows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		size      int
		wantSizes []int
	}{
		{1, []int{1}},
		{pumpBufSize, []int{pumpBufSize}},
		{pumpBufSize + 1, []int{pumpBufSize + 1}},
		{5<<20 + 7, []int{5<<20 + 7}},
		{wholeWindow, []int{wholeWindow}},
		{2*wholeWindow + 3, []int{wholeWindow, wholeWindow, 3}},
	}
	for _, tt := range tests {
		p := content(tt.size, 12)
		dst := &writeSizes{}
		_, d, err := boundedPumpWhole(t, context.Background(), dst, struct{ io.Reader }{bytes.NewReader(p)}, -1, true)
		if err != nil {
			t.Fatalf("%d bytes: %v", tt.size, err)
		}
		if d != FromBytes(p) || !bytes.Equal(dst.Bytes(), p) {
			t.Fatalf("%d bytes: digest %s, %d bytes written; want the input", tt.size, d, dst.Len())
		}
		if !slices.Equal(dst.sizes, tt.wantSizes) {
			t.Fatalf("%d bytes: writes of %v, want %v", tt.size, dst.sizes, tt.wantSizes)
		}
	}
}

// TestPumpWindowFlush checks what happens at a full window's Write: a
// failure there is the pump's error after that one Write, a context that
// ends during it stops the pump, and a source or a progress report that
// panics panics on the calling goroutine, with the reading goroutine
// stopped before the panic leaves pump.
func TestPumpWindowFlush(t *testing.T) {
	t.Parallel()
	p := content(2*wholeWindow+3, 13)
	stream := func() io.Reader { return struct{ io.Reader }{bytes.NewReader(p)} }
	t.Run("write fails", func(t *testing.T) {
		boom := errors.New("bucket full")
		w := &countingFailWriter{err: boom}
		if _, _, err := boundedPumpWhole(t, context.Background(), w, stream(), -1, true); !errors.Is(err, boom) {
			t.Fatalf("err = %v, want the write's", err)
		}
		if w.calls != 1 {
			t.Fatalf("%d writes after the first failed", w.calls-1)
		}
	})
	t.Run("cancelled in the write", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		w := &cancelWriter{cancel: cancel}
		if _, _, err := boundedPumpWhole(t, ctx, w, stream(), -1, true); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("source panics", func(t *testing.T) {
		src := &panicReader{r: bytes.NewReader(p), after: 3 * pumpBufSize}
		v := recoverPump(t, func() { pump(context.Background(), io.Discard, src, -1, nil, &bufPool{}, nil, true) })
		if v != "source broke" {
			t.Fatalf("recovered %v, want the source's panic", v)
		}
	})
	t.Run("report panics", func(t *testing.T) {
		src := &countingReader{r: bytes.NewReader(p)}
		report := func(n int64) {
			if n > wholeWindow/2 {
				panic("report broke")
			}
		}
		v := recoverPump(t, func() { pump(context.Background(), io.Discard, src, -1, report, &bufPool{}, nil, true) })
		if v != "report broke" {
			t.Fatalf("recovered %v, want the report's panic", v)
		}
		reads := src.reads.Load()
		time.Sleep(20 * time.Millisecond)
		if later := src.reads.Load(); later != reads {
			t.Fatalf("the reader read %d more times after pump panicked", later-reads)
		}
		if src.n.Load() == int64(len(p)) {
			t.Fatal("the reader read everything after the report panicked, instead of stopping")
		}
	})
}

// TestPumpWindowRecycled pumps streams of several sizes through one pool,
// so that each takes the window the one before left, grown or not.
func TestPumpWindowRecycled(t *testing.T) {
	t.Parallel()
	var bufs bufPool
	for i, size := range []int{20 << 20, 3 << 20, wholeWindow + 5, 1, 7 << 20, 0, 2 << 20} {
		p := content(size, byte(30+i))
		var dst bytes.Buffer
		var n int64
		var d Digest
		var err error
		within(t, "pump", func() {
			n, d, err = pump(context.Background(), &dst, struct{ io.Reader }{bytes.NewReader(p)}, -1, nil, &bufs, nil, true)
		})
		if err != nil || n != int64(size) || d != FromBytes(p) || !bytes.Equal(dst.Bytes(), p) {
			t.Fatalf("pump %d of %d bytes: n %d, %v, digest ok %v, bytes ok %v", i, size, n, err, d == FromBytes(p), bytes.Equal(dst.Bytes(), p))
		}
	}
}

// recoverPump runs f under within and returns what it panicked with.
func recoverPump(t *testing.T, f func()) (v any) {
	t.Helper()
	within(t, "pump", func() {
		defer func() { v = recover() }()
		f()
	})
	return v
}

type countingFailWriter struct {
	calls int
	err   error
}

func (w *countingFailWriter) Write(p []byte) (int, error) {
	w.calls++
	return 0, w.err
}

// cancelWriter cancels its context in its first Write, which succeeds.
type cancelWriter struct{ cancel func() }

func (w *cancelWriter) Write(p []byte) (int, error) {
	w.cancel()
	return len(p), nil
}

// panicReader reads r until after bytes, then panics.
type panicReader struct {
	r     io.Reader
	after int
	n     int
}

func (r *panicReader) Read(p []byte) (int, error) {
	if r.n >= r.after {
		panic("source broke")
	}
	m, err := r.r.Read(p)
	r.n += m
	return m, err
}

// countingReader counts its reads and bytes; it is safe to read the
// counts from another goroutine.
type countingReader struct {
	r     io.Reader
	reads atomic.Int64
	n     atomic.Int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	r.reads.Add(1)
	m, err := r.r.Read(p)
	r.n.Add(int64(m))
	return m, err
}
