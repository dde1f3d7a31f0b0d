package artifact

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
)

const (
	pumpBuffers = 4
	pumpBufSize = 256 << 10
)

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
// called from the calling goroutine with the running byte count.
func pump(ctx context.Context, dst io.Writer, src io.Reader, limit int64, report func(int64), bufs *bufPool) (int64, Digest, error) {
	h := sha256.New()
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
		m, err := io.ReadFull(src, b)
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
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			if err := ctx.Err(); err != nil {
				return finish(err)
			}
			return finish(nil)
		case err != nil:
			return finish(fmt.Errorf("read content: %w", err))
		}
	}
}
