package artifact

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Encrypted objects use envelope encryption and a streaming AEAD built on
// AES-256-GCM, in the manner of Tink's streaming AEAD and age's STREAM.
//
// An object is a header followed by segments:
//
//	magic "SXTE" | version 1 | segment size (uint32, big endian) |
//	nonce prefix (7 bytes) | wrapped key length (uint16) | wrapped key
//
// then the plaintext cut into segments of exactly the segment size, the last
// one shorter or equal (and empty only for empty content), each sealed as
// GCM(data key, nonce, segment, additional data = the whole header), 16-byte
// tag appended. The 12-byte nonce is prefix || counter (uint32, big endian,
// from 0) || final flag (1 on the last segment, 0 otherwise). The data key
// is fresh for every object and wrapped by the store's Keeper.
//
// Because the counter and the final flag are inside the nonce, reordered,
// dropped or duplicated segments fail authentication; the reader knows a
// segment is the last one only when the stream ends right after it, so a
// missing final segment, a truncated one and trailing bytes all fail too.
// Every segment is authenticated before any of its bytes are released.
const (
	aeadMagic       = "SXTE"
	aeadVersion     = 1
	aeadPrefixLen   = 7
	aeadTagLen      = 16
	aeadKeyLen      = 32
	aeadFixedHeader = len(aeadMagic) + 1 + 4 + aeadPrefixLen + 2

	// maxWrappedKey bounds the wrapped data key a reader accepts; KMS
	// ciphertexts of a 32-byte key are a few hundred bytes.
	maxWrappedKey = 8 << 10
)

// Segment sizes of encrypted objects, in plaintext bytes.
const (
	// DefaultSegmentSize applies unless Options.SegmentSize says otherwise.
	DefaultSegmentSize = 64 << 10
	// MinSegmentSize and MaxSegmentSize bound Options.SegmentSize and the
	// segment size a reader accepts from a header.
	MinSegmentSize = 16
	MaxSegmentSize = 16 << 20
)

// aeadHeader is the decoded header of an encrypted object.
type aeadHeader struct {
	segSize int
	prefix  [aeadPrefixLen]byte
	wrapped []byte
	raw     []byte // the encoded header, authenticated with every segment
}

// encodeHeader builds the header for a new object.
func encodeHeader(segSize int, prefix [aeadPrefixLen]byte, wrapped []byte) ([]byte, error) {
	if segSize < MinSegmentSize || segSize > MaxSegmentSize {
		return nil, fmt.Errorf("artifact: segment size %d outside [%d, %d]", segSize, MinSegmentSize, MaxSegmentSize)
	}
	if len(wrapped) == 0 || len(wrapped) > maxWrappedKey {
		return nil, fmt.Errorf("artifact: wrapped data key of %d bytes outside [1, %d]", len(wrapped), maxWrappedKey)
	}
	h := make([]byte, 0, aeadFixedHeader+len(wrapped))
	h = append(h, aeadMagic...)
	h = append(h, aeadVersion)
	h = binary.BigEndian.AppendUint32(h, uint32(segSize))
	h = append(h, prefix[:]...)
	h = binary.BigEndian.AppendUint16(h, uint16(len(wrapped)))
	h = append(h, wrapped...)
	return h, nil
}

// readHeader reads and checks the header at the start of r. Errors about
// the format match ErrDecrypt; those no writer of this format produces
// match ErrDigestMismatch too.
func readHeader(r io.Reader) (*aeadHeader, error) {
	fixed := make([]byte, aeadFixedHeader)
	if _, err := io.ReadFull(r, fixed); err != nil {
		return nil, headerReadErr(err)
	}
	if string(fixed[:4]) != aeadMagic {
		return nil, altered("not an encrypted object (bad magic)")
	}
	if fixed[4] != aeadVersion {
		return nil, fmt.Errorf("%w: unsupported format version %d", ErrDecrypt, fixed[4])
	}
	seg := binary.BigEndian.Uint32(fixed[5:9])
	if seg < MinSegmentSize || seg > MaxSegmentSize {
		return nil, altered("segment size %d outside [%d, %d]", seg, MinSegmentSize, MaxSegmentSize)
	}
	var h aeadHeader
	h.segSize = int(seg)
	copy(h.prefix[:], fixed[9:9+aeadPrefixLen])
	n := int(binary.BigEndian.Uint16(fixed[9+aeadPrefixLen:]))
	if n == 0 || n > maxWrappedKey {
		return nil, altered("wrapped key length %d outside [1, %d]", n, maxWrappedKey)
	}
	h.raw = make([]byte, aeadFixedHeader+n)
	copy(h.raw, fixed)
	if _, err := io.ReadFull(r, h.raw[aeadFixedHeader:]); err != nil {
		return nil, headerReadErr(err)
	}
	h.wrapped = h.raw[aeadFixedHeader:]
	return &h, nil
}

// alteredError reports stored bytes of an encrypted object that fail
// authentication or the format: an integrity failure, so it matches both
// ErrDecrypt and ErrDigestMismatch.
type alteredError struct{ msg string }

func (e *alteredError) Error() string { return "artifact: decrypt: " + e.msg }

func (e *alteredError) Is(target error) bool {
	return target == ErrDecrypt || target == ErrDigestMismatch
}

func altered(format string, args ...any) error {
	return &alteredError{msg: fmt.Sprintf(format, args...)}
}

func headerReadErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return altered("truncated header")
	}
	return fmt.Errorf("artifact: read header: %w", err)
}

// newGCM returns AES-256-GCM under key.
func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != aeadKeyLen {
		return nil, fmt.Errorf("%w: data key of %d bytes, want %d", ErrDecrypt, len(key), aeadKeyLen)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("artifact: %w", err)
	}
	return cipher.NewGCM(block)
}

// segmentNonce fills nonce for segment i.
func segmentNonce(nonce *[12]byte, prefix *[aeadPrefixLen]byte, i uint32, last bool) {
	copy(nonce[:aeadPrefixLen], prefix[:])
	binary.BigEndian.PutUint32(nonce[aeadPrefixLen:], i)
	nonce[11] = 0
	if last {
		nonce[11] = 1
	}
}

// plainSize returns the plaintext length of an encrypted object of
// storedSize bytes whose header is headerLen bytes long.
func plainSize(storedSize int64, headerLen, segSize int) (int64, error) {
	body := storedSize - int64(headerLen)
	if body < aeadTagLen {
		return 0, altered("object of %d bytes has no final segment", storedSize)
	}
	full := int64(segSize + aeadTagLen)
	segs := (body + full - 1) / full
	return body - segs*aeadTagLen, nil
}

// sealer encrypts what is written to it and writes header and segments to
// w. Close seals the final segment; it does not close w.
type sealer struct {
	w      io.Writer
	gcm    cipher.AEAD
	prefix [aeadPrefixLen]byte
	aad    []byte
	seg    int
	buf    []byte // pending plaintext, cap at least len+tag so sealing is in place
	ctr    uint32
	err    error
	closed bool
}

// newSealer writes the header and returns a writer for the plaintext. key
// is the data key and wrapped its wrapped form for the header.
func newSealer(w io.Writer, key, wrapped []byte, segSize int) (*sealer, error) {
	var prefix [aeadPrefixLen]byte
	if _, err := rand.Read(prefix[:]); err != nil {
		return nil, fmt.Errorf("artifact: nonce prefix: %w", err)
	}
	return newSealerPrefix(w, key, wrapped, segSize, prefix)
}

// newSealerPrefix is newSealer with a given nonce prefix.
func newSealerPrefix(w io.Writer, key, wrapped []byte, segSize int, prefix [aeadPrefixLen]byte) (*sealer, error) {
	hdr, err := encodeHeader(segSize, prefix, wrapped)
	if err != nil {
		return nil, err
	}
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(hdr); err != nil {
		return nil, err
	}
	return &sealer{w: w, gcm: gcm, prefix: prefix, aad: hdr, seg: segSize, buf: make([]byte, 0, min(segSize, 512)+aeadTagLen)}, nil
}

func (s *sealer) Write(p []byte) (int, error) {
	if s.closed {
		return 0, errors.New("artifact: write to closed encrypter")
	}
	n := 0
	for len(p) > 0 {
		if s.err != nil {
			return n, s.err
		}
		if len(s.buf) == s.seg {
			// More plaintext follows, so the buffered segment is not the last.
			s.flush(false)
			continue
		}
		if want := min(s.seg, len(s.buf)+len(p)); cap(s.buf) < want+aeadTagLen {
			// Grow towards a whole segment only as content arrives, so
			// small objects do not allocate one.
			nb := make([]byte, len(s.buf), min(s.seg, max(2*(cap(s.buf)-aeadTagLen), want))+aeadTagLen)
			copy(nb, s.buf)
			s.buf = nb
		}
		k := copy(s.buf[len(s.buf):min(s.seg, cap(s.buf)-aeadTagLen)], p)
		s.buf = s.buf[:len(s.buf)+k]
		p = p[k:]
		n += k
	}
	return n, s.err
}

func (s *sealer) flush(last bool) {
	if s.ctr == math.MaxUint32 && !last {
		s.err = errors.New("artifact: too many segments for one object")
		return
	}
	var nonce [12]byte
	segmentNonce(&nonce, &s.prefix, s.ctr, last)
	out := s.gcm.Seal(s.buf[:0], nonce[:], s.buf, s.aad)
	if _, err := s.w.Write(out); err != nil {
		s.err = err
		return
	}
	s.ctr++
	s.buf = s.buf[:0]
}

// Close seals and writes the final segment.
func (s *sealer) Close() error {
	if s.closed {
		return s.err
	}
	s.closed = true
	if s.err == nil {
		s.flush(true)
	}
	return s.err
}

// opener decrypts an encrypted object read from r, releasing the plaintext
// of each segment only after it has been authenticated.
type opener struct {
	r       io.Reader
	gcm     cipher.AEAD
	hdr     *aeadHeader
	raw     []byte // one sealed segment plus one byte of lookahead
	peek    byte   // lookahead byte carried into the next segment
	hasPeek bool
	out     []byte // authenticated plaintext not yet returned
	ctr     uint32
	done    bool
	err     error
}

// newOpener decrypts the segments that follow hdr in r under key.
func newOpener(r io.Reader, hdr *aeadHeader, key []byte) (*opener, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return &opener{r: r, gcm: gcm, hdr: hdr, raw: make([]byte, hdr.segSize+aeadTagLen+1)}, nil
}

func (o *opener) Read(p []byte) (int, error) {
	for len(o.out) == 0 {
		if o.err != nil {
			return 0, o.err
		}
		if o.done {
			return 0, io.EOF
		}
		o.next()
	}
	n := copy(p, o.out)
	o.out = o.out[n:]
	return n, nil
}

// next reads, authenticates and decrypts one segment.
func (o *opener) next() {
	have := 0
	if o.hasPeek {
		o.raw[0] = o.peek
		have = 1
	}
	n, err := io.ReadFull(o.r, o.raw[have:])
	total := have + n
	sealedLen := o.hdr.segSize + aeadTagLen
	last := false
	switch {
	case err == nil:
		// A byte beyond a full segment: this one is not the last.
		o.peek, o.hasPeek = o.raw[sealedLen], true
		total = sealedLen
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		last, o.hasPeek = true, false
	default:
		o.err = err
		return
	}
	if total < aeadTagLen {
		if total == 0 {
			o.err = altered("missing final segment after segment %d", o.ctr)
		} else {
			o.err = altered("truncated segment %d", o.ctr)
		}
		return
	}
	var nonce [12]byte
	segmentNonce(&nonce, &o.hdr.prefix, o.ctr, last)
	plain, aerr := o.gcm.Open(o.raw[:0], nonce[:], o.raw[:total], o.hdr.raw)
	if aerr != nil {
		if last {
			o.err = altered("segment %d failed authentication as the final segment (altered, truncated, reordered, or bytes appended)", o.ctr)
		} else {
			o.err = altered("segment %d failed authentication (altered, reordered, or final segment missing)", o.ctr)
		}
		return
	}
	if o.ctr == math.MaxUint32 && !last {
		o.err = altered("too many segments")
		return
	}
	o.ctr++
	o.out = plain
	o.done = last
}
