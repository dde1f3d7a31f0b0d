package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
)

// Plain content longer than one chunk gets a chunk index beside it, so
// that Open can verify it chunk by chunk and release no byte before it is
// verified, holding one chunk in memory.
//
// The index records the SHA-256 chaining value at every chunk boundary:
// the eight 32-bit words of SHA-256's internal state after the content's
// first i chunks (i = 1 .. N-1), which SHA-256 computes anyway on its way
// to the content digest. A reader runs one SHA-256 over the bytes it
// receives, from SHA-256's fixed initial state, and compares its state at
// each boundary with the recorded one before it releases the chunk; the
// last chunk is released only when the finished hash equals the content
// digest. So reading costs one SHA-256 pass, as without an index.
//
// The index object, <blob key>.chunks, is
//
//	magic "SXTC" | version 1 | chunk size (uint32, big endian) |
//	content size (uint64) | content digest (32 bytes) |
//	N-1 chaining values (32 bytes each) | SHA-256 of all the preceding bytes
//
// with N = ceil(content size / chunk size).
const (
	chunkSize    = 1 << 20
	minChunkSize = 64 << 10
	maxChunkSize = 16 << 20

	indexMagic   = "SXTC"
	indexVersion = 1
	indexHeader  = len(indexMagic) + 1 + 4 + 8 + sha256.Size
	indexSuffix  = ".chunks"

	// sha256 state as encoding.BinaryAppender writes it: magic "sha\x03",
	// eight big-endian words, the 64-byte block buffer, the length.
	shaStateMagic = "sha\x03"
	shaStateLen   = len(shaStateMagic) + 32 + 64 + 8
)

// errIndex reports an index object that cannot be used; Open then
// verifies the whole content before releasing it.
var errIndex = errors.New("artifact: unusable chunk index")

// chainValue appends the chaining value of h, which has hashed exactly n
// bytes (a multiple of 64), to dst, using scratch for the state.
func chainValue(dst []byte, h hash.Hash, n int64, scratch *[]byte) ([]byte, bool) {
	a, ok := h.(encoding.BinaryAppender)
	if !ok {
		return dst, false
	}
	st, err := a.AppendBinary((*scratch)[:0])
	*scratch = st
	if err != nil || len(st) != shaStateLen || string(st[:4]) != shaStateMagic ||
		binary.BigEndian.Uint64(st[shaStateLen-8:]) != uint64(n) {
		return dst, false
	}
	return append(dst, st[4:4+32]...), true
}

// chainSupported reports whether this build's SHA-256 exposes its state
// in the layout chainValue reads; without it no index is written and
// indexes are not used.
var chainSupported = sync.OnceValue(func() bool {
	h := sha256.New()
	h.Write(make([]byte, 64))
	var scratch []byte
	v, ok := chainValue(nil, h, 64, &scratch)
	// The state after one zero block, from the standard's initial value.
	return ok && hex.EncodeToString(v) == "da5698be17b9b46962335799779fbeca8ce5d491c0d26243bafef9ea1837a9d8"
})

// chainHasher is a SHA-256 that records the chaining value at every
// chunk boundary of what is written to it.
type chainHasher struct {
	hash.Hash
	chunk   int64
	n       int64
	chain   []byte
	scratch []byte
	broken  bool
}

func newChainHasher(chunk int) *chainHasher {
	return &chainHasher{Hash: sha256.New(), chunk: int64(chunk), broken: !chainSupported()}
}

func (c *chainHasher) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		k := min(int64(len(p)), c.chunk-c.n%c.chunk)
		c.Hash.Write(p[:k])
		c.n += k
		p = p[k:]
		if c.n%c.chunk == 0 && !c.broken {
			var ok bool
			if c.chain, ok = chainValue(c.chain, c.Hash, c.n, &c.scratch); !ok {
				c.broken, c.chain = true, nil
			}
		}
	}
	return total, nil
}

// index returns the encoded index of the content hashed, named d, or nil
// when the content fits in one chunk (or chaining values are not
// available).
func (c *chainHasher) index(d Digest) []byte {
	if c.broken || c.n <= c.chunk {
		return nil
	}
	chain := c.chain
	if c.n%c.chunk == 0 {
		chain = chain[:len(chain)-sha256.Size] // the end is checked by the digest
	}
	return encodeIndex(d, c.n, int(c.chunk), chain)
}

func encodeIndex(d Digest, size int64, chunk int, chain []byte) []byte {
	raw, _ := hex.DecodeString(d.Hex())
	b := make([]byte, 0, indexHeader+len(chain)+sha256.Size)
	b = append(b, indexMagic...)
	b = append(b, indexVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(chunk))
	b = binary.BigEndian.AppendUint64(b, uint64(size))
	b = append(b, raw...)
	b = append(b, chain...)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// chunkIndex is a decoded index.
type chunkIndex struct {
	chunk int
	chain []byte // 32 bytes per boundary
}

// decodeIndex checks an index for content d of size bytes. Errors match
// errIndex.
func decodeIndex(b []byte, d Digest, size int64) (*chunkIndex, error) {
	bad := func(why string, args ...any) error {
		return fmt.Errorf("%w for %s: %s", errIndex, d, fmt.Sprintf(why, args...))
	}
	if len(b) < indexHeader+sha256.Size {
		return nil, bad("%d bytes, too short", len(b))
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, bad("checksum does not match (damaged)")
	}
	if string(b[:4]) != indexMagic {
		return nil, bad("bad magic")
	}
	if b[4] != indexVersion {
		return nil, bad("unsupported version %d", b[4])
	}
	chunk := int64(binary.BigEndian.Uint32(b[5:9]))
	if chunk < minChunkSize || chunk > maxChunkSize || chunk%64 != 0 {
		return nil, bad("chunk size %d not a multiple of 64 in [%d, %d]", chunk, minChunkSize, maxChunkSize)
	}
	if got := binary.BigEndian.Uint64(b[9:17]); got != uint64(size) {
		return nil, bad("for %d bytes of content, the object has %d", got, size)
	}
	raw, _ := hex.DecodeString(d.Hex())
	if !bytes.Equal(b[17:indexHeader], raw) {
		return nil, bad("names other content")
	}
	if size <= chunk {
		return nil, bad("content of %d bytes fits in one chunk", size)
	}
	boundaries := (size+chunk-1)/chunk - 1
	if int64(len(body)-indexHeader) != boundaries*sha256.Size {
		return nil, bad("%d bytes of chaining values, want %d", len(body)-indexHeader, boundaries*sha256.Size)
	}
	return &chunkIndex{chunk: int(chunk), chain: body[indexHeader:]}, nil
}

// source yields verified content block by block. next returns a block
// and nil, or nil and an error: io.EOF once all the content has been
// returned and verified. A block is valid until the next call.
type source interface {
	next() ([]byte, error)
	close() error
}

func mismatch(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrDigestMismatch, fmt.Sprintf(format, args...))
}

// readEnd reads the last n bytes of the content into buf (cap > n) and
// checks that the object ends there.
func readEnd(r io.Reader, buf []byte, n int, want Digest, size int64) error {
	m, err := io.ReadFull(r, buf[:n+1])
	switch {
	case err == nil:
		return mismatch("stored object for %s has more than its %d bytes", want, size)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		if m != n {
			return mismatch("stored object for %s ended %d bytes short of %d", want, int64(n-m), size)
		}
		return nil
	}
	return err
}

// wholeSource verifies content that fits in one buffer before releasing
// it.
type wholeSource struct {
	r    io.Reader
	want Digest
	size int64
	done bool
}

func (w *wholeSource) next() ([]byte, error) {
	if w.done {
		return nil, io.EOF
	}
	w.done = true
	buf := make([]byte, w.size+1)
	if err := readEnd(w.r, buf, int(w.size), w.want, w.size); err != nil {
		return nil, err
	}
	if got := FromBytes(buf[:w.size]); got != w.want {
		return nil, mismatch("stored object for %s has content %s", w.want, got)
	}
	return buf[:w.size], nil
}

func (w *wholeSource) close() error { return nil }

// chunkSource verifies plain content chunk by chunk against its index.
type chunkSource struct {
	r       io.Reader
	idx     *chunkIndex
	want    Digest
	size    int64
	h       hash.Hash
	off     int64
	i       int
	buf     []byte
	scratch []byte
	chain   []byte
	done    bool
	release func([]byte)
}

func (c *chunkSource) next() ([]byte, error) {
	if c.done {
		return nil, io.EOF
	}
	n := int(min(int64(c.idx.chunk), c.size-c.off))
	last := c.off+int64(n) == c.size
	if last {
		if err := readEnd(c.r, c.buf, n, c.want, c.size); err != nil {
			return nil, err
		}
	} else if m, err := io.ReadFull(c.r, c.buf[:n]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, mismatch("stored object for %s ended %d bytes short of %d", c.want, c.size-c.off-int64(m), c.size)
		}
		return nil, err
	}
	c.h.Write(c.buf[:n])
	c.off += int64(n)
	if last {
		if got := digestOf(c.h); got != c.want {
			return nil, mismatch("stored object for %s has content %s (last chunk, %d)", c.want, got, c.i)
		}
		c.done = true
		return c.buf[:n], nil
	}
	var ok bool
	c.chain, ok = chainValue(c.chain[:0], c.h, c.off, &c.scratch)
	want := c.idx.chain[c.i*sha256.Size : (c.i+1)*sha256.Size]
	if !ok || !bytes.Equal(c.chain, want) {
		return nil, mismatch("stored object for %s: chunk %d (bytes %d to %d) does not match its index", c.want, c.i, c.off-int64(n), c.off)
	}
	c.i++
	return c.buf[:n], nil
}

func (c *chunkSource) close() error {
	if c.release != nil {
		c.release(c.buf)
		c.release, c.buf = nil, nil
	}
	return nil
}

// spoolSource verifies plain content that has no usable index by copying
// it to a temporary file while hashing it, and releases it from there
// only once the whole content has matched its digest. r is the bucket
// reader, which ends when the context of Open does.
type spoolSource struct {
	r    io.Reader
	dir  string
	want Digest
	size int64
	f    *os.File
	left int64
	buf  []byte
	err  error
}

func (s *spoolSource) next() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.f == nil {
		if s.err = s.spool(); s.err != nil {
			s.close()
			return nil, s.err
		}
	}
	if s.left == 0 {
		s.close()
		s.err = io.EOF
		return nil, io.EOF
	}
	n := int(min(int64(len(s.buf)), s.left))
	if _, err := io.ReadFull(s.f, s.buf[:n]); err != nil {
		s.err = fmt.Errorf("artifact: read spooled copy of %s: %w", s.want, err)
		s.close()
		return nil, s.err
	}
	s.left -= int64(n)
	return s.buf[:n], nil
}

func (s *spoolSource) spool() error {
	f, err := os.CreateTemp(s.dir, "sextant-verify-*")
	if err != nil {
		return fmt.Errorf("artifact: verify %s: %w", s.want, err)
	}
	s.f = f
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(f, h), io.LimitReader(s.r, s.size+1), s.buf)
	if err != nil {
		return err
	}
	if n != s.size {
		return mismatch("stored object for %s has %s bytes, not %d", s.want, atLeast(n, s.size+1), s.size)
	}
	if got := digestOf(h); got != s.want {
		return mismatch("stored object for %s has content %s", s.want, got)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("artifact: verify %s: %w", s.want, err)
	}
	s.left = s.size
	return nil
}

func (s *spoolSource) close() error {
	if s.f == nil {
		return nil
	}
	name := s.f.Name()
	err := s.f.Close()
	if rerr := os.Remove(name); err == nil && !errors.Is(rerr, os.ErrNotExist) {
		err = rerr
	}
	s.f = nil
	if s.err == nil {
		s.err = errors.New("artifact: reader closed")
	}
	return err
}

// ctxReader stops reading when ctx ends, for sources read within one
// call.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// sealedSource releases the authenticated segments of an encrypted
// object, and the last one only once the whole plaintext has matched its
// digest and size.
type sealedSource struct {
	o    *opener
	h    hash.Hash
	want Digest
	size int64
	n    int64
	done bool
}

func (s *sealedSource) next() ([]byte, error) {
	if s.done {
		return nil, io.EOF
	}
	s.o.next()
	if s.o.err != nil {
		return nil, s.o.err
	}
	out := s.o.out
	s.o.out = nil
	s.h.Write(out)
	s.n += int64(len(out))
	if s.n > s.size {
		return nil, mismatch("%s has more than its %d bytes", s.want, s.size)
	}
	if s.o.done {
		if got := digestOf(s.h); got != s.want {
			return nil, mismatch("stored object for %s has content %s", s.want, got)
		}
		if s.n != s.size {
			return nil, fmt.Errorf("%w: %s ended after %d of %d bytes", ErrSizeMismatch, s.want, s.n, s.size)
		}
		s.done = true
	}
	return out, nil
}

func (s *sealedSource) close() error { return nil }
