package artifact

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
)

const (
	pumpBuffers = 4
	pumpBufSize = 256 << 10
)

// pump copies src to dst and returns the byte count and SHA-256 digest of
// what it copied. The calling goroutine reads and hashes while a second
// goroutine, owned by pump and finished before it returns, writes the
// previous buffers, so hashing overlaps with the (often CPU-bound) write to
// the bucket. Memory is pumpBuffers*pumpBufSize whatever the length.
//
// At most limit bytes are read when limit >= 0. report, when not nil, is
// called from the calling goroutine with the running byte count.
func pump(ctx context.Context, dst io.Writer, src io.Reader, limit int64, report func(int64)) (int64, Digest, error) {
	h := sha256.New()
	free := make(chan []byte, pumpBuffers)
	full := make(chan []byte, pumpBuffers)
	failed := make(chan struct{}) // closed when a write fails
	done := make(chan struct{})   // closed when the writer has exited
	var werr error
	for range pumpBuffers {
		free <- make([]byte, pumpBufSize)
	}
	go func() {
		defer close(done)
		for b := range full {
			if werr == nil {
				if _, werr = dst.Write(b); werr != nil {
					close(failed)
				}
			}
			free <- b[:cap(b)]
		}
	}()
	var n int64
	finish := func(err error) (int64, Digest, error) {
		close(full)
		<-done
		if err == nil {
			err = werr
		}
		if err != nil {
			return n, "", err
		}
		return n, digestOf(h), nil
	}
	for {
		var b []byte
		select {
		case b = <-free:
		case <-failed:
			return finish(nil)
		case <-ctx.Done():
			return finish(ctx.Err())
		}
		if limit >= 0 && int64(len(b)) > limit-n {
			b = b[:limit-n]
		}
		if len(b) == 0 {
			free <- b[:cap(b)]
			return finish(nil)
		}
		m, err := io.ReadFull(src, b)
		if m > 0 {
			h.Write(b[:m])
			n += int64(m)
			full <- b[:m]
			if report != nil {
				report(n)
			}
		} else {
			free <- b[:cap(b)]
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
