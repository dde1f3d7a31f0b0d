package artifact

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
)

const (
	pumpBuffers = 4
	pumpBufSize = 256 << 10
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
// bytes does not allocate (and the garbage collector does not clear)
// pumpBuffers*pumpBufSize bytes each time. The zero value is ready; each
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
// what it copied. The calling goroutine reads and hashes while a second
// goroutine, owned by pump and finished before it returns, writes the
// previous buffers, so hashing overlaps with the (often CPU-bound) write to
// the bucket. Memory is at most pumpBuffers*pumpBufSize whatever the
// length; buffers are taken from bufs only as the content needs them (one
// for content shorter than pumpBufSize) and returned to it at the end.
//
// At most limit bytes are read when limit >= 0. report, when not nil, is
// called from the calling goroutine with the running byte count. h, when
// not nil, is the SHA-256 to hash with (a chainHasher); otherwise pump
// makes one.
func pump(ctx context.Context, dst io.Writer, src io.Reader, limit int64, report func(int64), bufs *bufPool, h hash.Hash) (int64, Digest, error) {
	if h == nil {
		h = sha256.New()
	}
	free := make(chan *[]byte, pumpBuffers)
	full := make(chan *[]byte, pumpBuffers)
	failed := make(chan struct{}) // closed when a write fails
	done := make(chan struct{})   // closed when the writer has exited
	var werr error
	allocated := 0
	go func() {
		defer close(done)
		for b := range full {
			if werr == nil {
				if _, werr = dst.Write(*b); werr != nil {
					close(failed)
				}
			}
			free <- b
		}
	}()
	var n int64
	finish := func(err error) (int64, Digest, error) {
		close(full)
		<-done
		// Every buffer taken is back in free now.
		for range allocated {
			bufs.put(<-free)
		}
		if err == nil {
			err = werr
		}
		if err != nil {
			return n, "", err
		}
		return n, digestOf(h), nil
	}
	for {
		var bp *[]byte
		select {
		case bp = <-free:
		default:
			if allocated < pumpBuffers {
				bp = bufs.get()
				allocated++
				break
			}
			select {
			case bp = <-free:
			case <-failed:
				return finish(nil)
			case <-ctx.Done():
				return finish(ctx.Err())
			}
		}
		select {
		case <-failed:
			free <- bp
			return finish(nil)
		case <-ctx.Done():
			free <- bp
			return finish(ctx.Err())
		default:
		}
		b := (*bp)[:cap(*bp)]
		if limit >= 0 && int64(len(b)) > limit-n {
			b = b[:limit-n]
		}
		if len(b) == 0 {
			free <- bp
			return finish(nil)
		}
		m, err := fill(ctx, src, b)
		if m > 0 {
			h.Write(b[:m])
			n += int64(m)
			*bp = b[:m]
			full <- bp
			if report != nil {
				report(n)
			}
		} else {
			free <- bp
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			if err := ctx.Err(); err != nil {
				return finish(err)
			}
			return finish(nil)
		case err == ctx.Err():
			return finish(err)
		default:
			return finish(fmt.Errorf("read content: %w", err))
		}
	}
}
