package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

const (
	pumpBuffers = 8
	pumpBufSize = 256 << 10
	// wholeWindow is the most pumpWindow reads ahead of a write.
	wholeWindow = 32 << 20
	// maxEmptyReads is how many reads in a row may return neither bytes
	// nor an error before pump gives up with io.ErrNoProgress, the bound
	// bufio uses. io.ReadFull calls such a source for ever.
	maxEmptyReads = 100
)

// errReadCount reports a source whose Read returned a byte count below
// zero or beyond the buffer it was given.
var errReadCount = errors.New("artifact: source returned an invalid byte count")

// fill reads from src into b until b is full, src returns an error, or ctx
// ends, and returns the bytes read. Unlike io.ReadFull it checks ctx
// before every read, so cancellation is seen within one Read call rather
// than one buffer, and it returns io.ErrNoProgress instead of spinning on
// a source that keeps returning (0, nil). A source's io.EOF is returned
// as is, whether or not bytes were read before it.
func fill(ctx context.Context, src io.Reader, b []byte) (int, error) {
	n, empty := 0, 0
	for n < len(b) {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, err := src.Read(b[n:])
		if m < 0 || m > len(b)-n {
			return n, errReadCount
		}
		n += m
		if err != nil {
			return n, err
		}
		if m > 0 {
			empty = 0
		} else if empty++; empty >= maxEmptyReads {
			return n, io.ErrNoProgress
		}
	}
	return n, nil
}

// bufPool recycles pump buffers between calls, so that a Put of a few
// bytes does not allocate (and the garbage collector does not clear) a
// window of buffers each time, and the windows of pumpWindow. The zero
// value is ready; each Store owns one.
type bufPool struct {
	p      sync.Pool
	window windowPool
}

// windowPool recycles pumpWindow's windows, up to wholeWindow each. A
// sync.Pool lets them go once unused for two collections, so a store that
// took in a large stream once does not hold its window for ever.
type windowPool struct{ p sync.Pool }

// get returns a window, empty, or nil when there is none to recycle.
func (wp *windowPool) get() []byte {
	if w, ok := wp.p.Get().(*[]byte); ok {
		return (*w)[:0]
	}
	return nil
}

func (wp *windowPool) put(w []byte) {
	if cap(w) > 0 && cap(w) <= wholeWindow {
		wp.p.Put(&w)
	}
}

func (bp *bufPool) get() *[]byte {
	if b, ok := bp.p.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, pumpBufSize)
	return &b
}

func (bp *bufPool) put(b *[]byte) {
	*b = (*b)[:cap(*b)]
	bp.p.Put(b)
}

// pump copies src to dst and returns the byte count and SHA-256 digest of
// what it copied. The calling goroutine reads each buffer; two goroutines
// owned by pump, finished before it returns, then hash it and write it
// side by side, so that reading, hashing and writing overlap and a large
// copy costs about the slowest of the three, not their sum. A buffer is
// read into again only once both have finished with it. Memory is at most
// pumpBuffers*pumpBufSize whatever the length; buffers are taken from bufs
// only as the content needs them and returned to it at the end. Content
// that ends within the first buffer is hashed and written by the calling
// goroutine alone: starting goroutines would cost more than they save.
//
// With whole set, dst collects everything written into one growing
// buffer (a mem:// bucket), which holds the whole content in memory
// anyway, and writing in pieces costs more than the pieces: each time
// that buffer doubles, the Write that made it copies everything so far.
// Content that src holds in memory (a *bytes.Reader, a *bytes.Buffer) is
// then handed to dst in one Write (see pumpMemory), and any other source
// is read into one contiguous window and written a window at a time (see
// pumpWindow), so that for content up to wholeWindow the buffer grows
// once, as it does for a raw write of the content in one piece.
//
// At most limit bytes are read when limit >= 0. report, when not nil, is
// called from the calling goroutine with the running byte count. h, when
// not nil, is the SHA-256 to hash with (a chainHasher); otherwise pump
// makes one.
func pump(ctx context.Context, dst io.Writer, src io.Reader, limit int64, report func(int64), bufs *bufPool, h hash.Hash, whole bool) (int64, Digest, error) {
	if h == nil {
		h = sha256.New()
	}
	if whole {
		switch src.(type) {
		case *bytes.Reader, *bytes.Buffer:
			return pumpMemory(ctx, dst, src.(io.WriterTo), limit, report, h)
		}
	}
	if whole {
		return pumpWindow(ctx, dst, src, limit, report, &bufs.window, h)
	}
	p := &piper{pumpSource: pumpSource{ctx: ctx, src: src, limit: limit}, h: h}
	first := bufs.get()
	b, end, err := p.read((*first)[:cap(*first)])
	if end {
		defer bufs.put(first)
		return pumpOne(dst, b, err, p.n, report, h)
	}
	p.start(dst)
	p.all = append(p.all, first)
	bp := first
	for {
		if err == nil && len(b) > 0 {
			p.send(b)
			if report != nil {
				report(p.n)
			}
		}
		if end {
			return p.finish(bufs, err)
		}
		if bp, err = p.free(bufs); bp == nil {
			return p.finish(bufs, err)
		}
		b, end, err = p.read((*bp)[:cap(*bp)])
	}
}

// pumpOne ends a pump whose content ended within its first piece b, read
// with err, n bytes in all: the calling goroutine hashes and writes it.
func pumpOne(dst io.Writer, b []byte, err error, n int64, report func(int64), h hash.Hash) (int64, Digest, error) {
	if err == nil && len(b) > 0 {
		h.Write(b)
		_, err = dst.Write(b)
		if report != nil {
			report(n)
		}
	}
	if err != nil {
		return n, "", err
	}
	return n, digestOf(h), nil
}

// piper is the state of one pump past its first buffer. Every buffer in
// flight is on both queues, and each goroutine answers on its own channel,
// in order, once done with one; so the oldest buffer in flight is free
// once an answer of each has come. No send blocks: at most pumpBuffers
// buffers are in flight.
type piper struct {
	pumpSource
	h hash.Hash

	hashq, writeq   chan []byte
	hashed, written chan struct{}
	failed          chan struct{} // closed when a write fails
	hdone, wdone    chan struct{} // closed when each goroutine has exited
	werr            error         // the writer's, read after wdone

	// all holds every buffer taken from the pool. Buffers are sent in the
	// order they were taken and reused oldest first, so once the window
	// is full the oldest in flight is always all[next].
	all  []*[]byte
	next int
}

// pumpSource is what a pump reads from, and how much it has read.
type pumpSource struct {
	ctx   context.Context
	src   io.Reader
	limit int64
	n     int64
}

// read fills b with the next piece of content and returns it, and
// whether the copy ends with it (the content ended, the limit was reached,
// or err).
func (p *pumpSource) read(b []byte) ([]byte, bool, error) {
	if p.limit >= 0 && int64(len(b)) > p.limit-p.n {
		b = b[:p.limit-p.n]
	}
	if len(b) == 0 {
		return nil, true, nil
	}
	m, err := fill(p.ctx, p.src, b)
	p.n += int64(m)
	switch {
	case err == nil:
		return b, false, nil
	case errors.Is(err, io.EOF):
		return b[:m], true, p.ctx.Err()
	case err == p.ctx.Err():
		return nil, true, err
	default:
		return nil, true, fmt.Errorf("read content: %w", err)
	}
}

// start starts the hashing and the writing goroutines.
func (p *piper) start(dst io.Writer) {
	p.all = make([]*[]byte, 0, pumpBuffers)
	p.hashq, p.writeq = make(chan []byte, pumpBuffers), make(chan []byte, pumpBuffers)
	p.hashed, p.written = make(chan struct{}, pumpBuffers), make(chan struct{}, pumpBuffers)
	p.failed, p.hdone, p.wdone = make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.hdone)
		for b := range p.hashq {
			p.h.Write(b)
			p.hashed <- struct{}{}
		}
	}()
	go func() {
		defer close(p.wdone)
		for b := range p.writeq {
			if p.werr == nil {
				if _, p.werr = dst.Write(b); p.werr != nil {
					close(p.failed)
				}
			}
			p.written <- struct{}{}
		}
	}()
}

// send hands b, read into the next buffer in order, to both goroutines.
func (p *piper) send(b []byte) {
	p.hashq <- b
	p.writeq <- b
}

// free returns a buffer to read into: a new one while fewer than
// pumpBuffers have been taken, else the oldest in flight once it has been
// hashed and written. It returns nil when the copy must stop: with the
// context's error, or with none after a failed write.
func (p *piper) free(bufs *bufPool) (*[]byte, error) {
	var bp *[]byte
	if len(p.all) < pumpBuffers {
		bp = bufs.get()
		p.all = append(p.all, bp)
	} else {
		select {
		case <-p.written:
		case <-p.ctx.Done():
			return nil, p.ctx.Err()
		}
		<-p.hashed
		bp = p.all[p.next]
		p.next = (p.next + 1) % pumpBuffers
	}
	select {
	case <-p.failed:
		return nil, nil
	case <-p.ctx.Done():
		return nil, p.ctx.Err()
	default:
		return bp, nil
	}
}

// finish stops both goroutines, returns every buffer to bufs and reports
// the outcome: err, else the writer's error, else the digest.
func (p *piper) finish(bufs *bufPool, err error) (int64, Digest, error) {
	close(p.hashq)
	close(p.writeq)
	<-p.hdone
	<-p.wdone
	for _, bp := range p.all {
		bufs.put(bp)
	}
	if err == nil {
		err = p.werr
	}
	if err != nil {
		return p.n, "", err
	}
	return p.n, digestOf(p.h), nil
}

// pumpWindow is pump for a destination that collects everything in one
// growing buffer and a source that is not in memory. Content is read into
// one contiguous window, taken from pool, and each time the window is
// full it is written in one Write, the rest at the end. For content up to
// wholeWindow, dst's buffer is thus allocated once, at the content's
// size, as for a raw write of the content in one piece. Written in
// pieces, it would double again and again, allocating about twice the
// content, copying it once more, and for a size just past a power of two
// holding twice the content for the object's life (BenchmarkMemHeld).
// A window starts at one piece of pumpBufSize and doubles as the content
// needs, up to wholeWindow, so a small Put takes little; a recycled one
// is grown already.
//
// The calling goroutine reads the first piece; content that ends there
// is hashed and written by it alone. Otherwise a goroutine reads the rest
// and writes it, and the calling goroutine hashes each piece as it comes
// and reports progress, so that hashing, the slowest of the three, starts
// at once and waits for a write only past wholeWindow, where the reader
// writes a full window and waits for the hashing to catch up before it
// reads into it again. For content up to wholeWindow, progress thus
// reaches the end before the one Write is made. The reader yields after each
// piece: until another CPU takes it up, it shares the caller's, and a
// reader that kept it would read the whole window before hashing began.
// Idle CPUs can take milliseconds to wake (a virtual machine's halted
// vCPU), longer than reading the window; a yield costs about a
// microsecond.
func pumpWindow(ctx context.Context, dst io.Writer, src io.Reader, limit int64, report func(int64), pool *windowPool, h hash.Hash) (int64, Digest, error) {
	s := &pumpSource{ctx: ctx, src: src, limit: limit}
	w := pool.get()
	if w == nil {
		w = make([]byte, 0, pumpBufSize)
	}
	b, end, err := s.read(w[:min(cap(w), pumpBufSize)])
	if end {
		defer pool.put(w)
		return pumpOne(dst, b, err, s.n, report, h)
	}
	r := &windowReader{pumpSource: s, dst: dst, w: w[:len(b)],
		// At most a window of pieces and its marker are unhashed.
		pieces: make(chan []byte, wholeWindow/pumpBufSize+1), caught: make(chan struct{})}
	go r.run()
	// Should report panic, the reader stops at its next piece and is
	// answered until it has, so that it neither blocks for ever nor
	// outlives the call.
	defer func() {
		r.stop.Store(true)
		for p := range r.pieces {
			if p == nil {
				r.caught <- struct{}{}
			}
		}
	}()
	var hashed int64
	h.Write(b)
	hashed += int64(len(b))
	if report != nil {
		report(hashed)
	}
	for p := range r.pieces {
		if p == nil { // the window was written; the reader waits to reuse it
			r.caught <- struct{}{}
			continue
		}
		h.Write(p)
		hashed += int64(len(p))
		if report != nil {
			report(hashed)
		}
	}
	if r.panicked != nil {
		panic(r.panicked) // the source's or the destination's, on the caller's goroutine
	}
	pool.put(r.w)
	if r.err != nil {
		return s.n, "", r.err
	}
	return s.n, digestOf(h), nil
}

// windowReader is the reading and writing goroutine of pumpWindow. w
// holds the first piece, already hashed by the caller, when run starts.
type windowReader struct {
	*pumpSource
	dst    io.Writer
	w      []byte        // the window; its length is what it holds
	pieces chan []byte   // each piece read, then nil after each full window written
	caught chan struct{} // the caller's answer to nil: every piece before it is hashed
	err    error         // the read's or the write's, read once pieces is closed
	// panicked is what the source's Read or the destination's Write
	// panicked with, read once pieces is closed: pumpWindow panics with it
	// on the calling goroutine, where a recover (net/http's) can see it.
	panicked any
	stop     atomic.Bool // set when the caller has stopped reading pieces
}

func (r *windowReader) run() {
	defer close(r.pieces)
	defer func() {
		if v := recover(); v != nil {
			r.panicked = v
		}
	}()
	for !r.stop.Load() {
		if len(r.w) == cap(r.w) {
			if r.limit >= 0 && r.n == r.limit {
				// The limit is reached: write what there is rather than
				// grow the window to learn nothing more.
				break
			}
			if cap(r.w) < wholeWindow {
				r.w = append(make([]byte, 0, min(2*cap(r.w), wholeWindow)), r.w...)
			} else {
				if _, r.err = r.dst.Write(r.w); r.err != nil {
					return
				}
				r.pieces <- nil
				<-r.caught
				r.w = r.w[:0]
			}
		}
		b, end, err := r.read(r.w[len(r.w):min(cap(r.w), len(r.w)+pumpBufSize)])
		r.w = r.w[:len(r.w)+len(b)]
		if len(b) > 0 {
			r.pieces <- b
			runtime.Gosched()
		}
		if end {
			if r.err = err; err == nil && len(r.w) > 0 {
				_, r.err = r.dst.Write(r.w)
			}
			return
		}
	}
	if !r.stop.Load() && len(r.w) > 0 {
		_, r.err = r.dst.Write(r.w)
	}
}

// errLimitReached stops an in-memory source's WriteTo at pump's limit.
var errLimitReached = errors.New("artifact: limit reached")

// pumpMemory is pump for a source that holds its content in memory and
// hands it over whole to WriteTo (a *bytes.Reader, a *bytes.Buffer): no
// byte is copied into pump's buffers. Each slice the source hands over is
// written by a goroutine in one Write, as a raw copy of the source would
// write it, while the calling goroutine hashes it beside it, reporting
// progress every hashStep bytes; the goroutine has finished before the
// slice is let go. Slices shorter than a pump buffer are hashed and
// written by the calling goroutine alone.
func pumpMemory(ctx context.Context, dst io.Writer, src io.WriterTo, limit int64, report func(int64), h hash.Hash) (int64, Digest, error) {
	mw := &memoryWriter{ctx: ctx, dst: dst, limit: limit, report: report, h: h}
	_, err := src.WriteTo(mw)
	switch {
	case mw.werr != nil:
		return mw.n, "", mw.werr
	case err == nil, errors.Is(err, errLimitReached):
	case err == ctx.Err():
		return mw.n, "", err
	default:
		return mw.n, "", fmt.Errorf("read content: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return mw.n, "", err
	}
	return mw.n, digestOf(h), nil
}

// hashStep is how many bytes pumpMemory hashes between progress reports.
const hashStep = pumpBufSize

// memoryWriter is the io.Writer pumpMemory gives an in-memory source.
type memoryWriter struct {
	ctx    context.Context
	dst    io.Writer
	limit  int64
	report func(int64)
	h      hash.Hash
	n      int64
	werr   error // the destination's
}

func (w *memoryWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	var stop error
	if w.limit >= 0 && int64(len(p)) > w.limit-w.n {
		p, stop = p[:w.limit-w.n], errLimitReached
	}
	if len(p) < pumpBufSize {
		w.h.Write(p)
		if _, w.werr = w.dst.Write(p); w.werr != nil {
			return 0, w.werr
		}
		w.n += int64(len(p))
		if w.report != nil && len(p) > 0 {
			w.report(w.n)
		}
		return len(p), stop
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, w.werr = w.dst.Write(p)
	}()
	for off := 0; off < len(p); off += hashStep {
		w.h.Write(p[off:min(off+hashStep, len(p))])
		if w.report != nil {
			w.report(w.n + int64(min(off+hashStep, len(p))))
		}
	}
	<-done
	if w.werr != nil {
		return 0, w.werr
	}
	w.n += int64(len(p))
	return len(p), stop
}
