package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
)

const (
	pumpBuffers = 8
	pumpBufSize = 256 << 10
	// wholeBuffers is the window for a destination that collects
	// everything in one growing buffer (see pump): 32 MiB.
	wholeBuffers = 128
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
// window of buffers each time. The zero value is ready; each
// Store owns one.
type bufPool struct{ p sync.Pool }

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
// pumpBuffers*pumpBufSize whatever the length (wholeBuffers*pumpBufSize
// with whole set, below); buffers are taken from bufs
// only as the content needs them and returned to it at the end. Content
// that ends within the first buffer is hashed and written by the calling
// goroutine alone: starting goroutines would cost more than they save.
//
// With whole set, dst collects everything written into one growing
// buffer (a mem:// bucket), which holds the whole content in memory
// anyway. Content that src holds in memory (a *bytes.Reader, a
// *bytes.Buffer) is then handed to dst in one Write (see pumpMemory), so
// that the buffer grows once instead of by doubling. Any other source is
// pumped with a window of wholeBuffers buffers instead of pumpBuffers:
// each time the buffer doubles, one Write copies everything so far, and
// with a window of 2 MiB hashing stops and waits for it. In alternated
// runs of BenchmarkTransfer's mem:// put-stream/bar (-benchtime 40x), a
// window of pumpBuffers gave 0.56-0.68 and one of wholeBuffers 0.91; set
// wholeBuffers to pumpBuffers to see it again. Buffers are still taken
// only as the content needs them.
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
	p := &piper{ctx: ctx, src: src, limit: limit, h: h, window: pumpBuffers}
	if whole {
		p.window = wholeBuffers
	}
	first := bufs.get()
	b, end, err := p.read(first)
	if end {
		if err == nil && len(b) > 0 {
			h.Write(b)
			_, err = dst.Write(b)
			if report != nil {
				report(p.n)
			}
		}
		bufs.put(first)
		if err != nil {
			return p.n, "", err
		}
		return p.n, digestOf(h), nil
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
		b, end, err = p.read(bp)
	}
}

// piper is the state of one pump past its first buffer. Every buffer in
// flight is on both queues, and each goroutine answers on its own channel,
// in order, once done with one; so the oldest buffer in flight is free
// once an answer of each has come. No send blocks: at most window
// buffers are in flight.
type piper struct {
	ctx    context.Context
	src    io.Reader
	limit  int64
	h      hash.Hash
	n      int64
	window int // buffers in flight at most

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

// read fills *bp with the next piece of content and returns it, and
// whether the copy ends with it (the content ended, the limit was reached,
// or err).
func (p *piper) read(bp *[]byte) ([]byte, bool, error) {
	b := (*bp)[:cap(*bp)]
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
	p.all = make([]*[]byte, 0, p.window)
	p.hashq, p.writeq = make(chan []byte, p.window), make(chan []byte, p.window)
	p.hashed, p.written = make(chan struct{}, p.window), make(chan struct{}, p.window)
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
// window have been taken, else the oldest in flight once it has been
// hashed and written. It returns nil when the copy must stop: with the
// context's error, or with none after a failed write.
func (p *piper) free(bufs *bufPool) (*[]byte, error) {
	var bp *[]byte
	if len(p.all) < p.window {
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
		p.next = (p.next + 1) % p.window
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
