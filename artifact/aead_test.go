package artifact

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	mrand "math/rand/v2"
	"testing"
	"testing/iotest"
)

// testKey is a fixed data key for format tests; the Keeper is not involved.
var testKey = bytes.Repeat([]byte{0x42}, aeadKeyLen)

// sealBytes encrypts plain with testKey into a complete object.
func sealBytes(t testing.TB, plain []byte, seg int) []byte {
	t.Helper()
	var out bytes.Buffer
	s, err := newSealer(&out, testKey, []byte("wrapped-key"), seg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// openBytes decrypts an object with testKey.
func openBytes(obj []byte) ([]byte, error) {
	r := bytes.NewReader(obj)
	hdr, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	o, err := newOpener(r, hdr, testKey)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(o)
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	p := make([]byte, n)
	if _, err := rand.Read(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAEADRoundTrip(t *testing.T) {
	for _, seg := range []int{MinSegmentSize, 100, DefaultSegmentSize} {
		for _, n := range []int{0, 1, seg - 1, seg, seg + 1, 3 * seg, 3*seg + 5} {
			plain := randomBytes(t, n)
			obj := sealBytes(t, plain, seg)
			hdr, err := readHeader(bytes.NewReader(obj))
			if err != nil {
				t.Fatalf("seg %d n %d: header: %v", seg, n, err)
			}
			got, err := openBytes(obj)
			if err != nil {
				t.Fatalf("seg %d n %d: open: %v", seg, n, err)
			}
			if !bytes.Equal(got, plain) {
				t.Fatalf("seg %d n %d: plaintext differs", seg, n)
			}
			size, err := plainSize(int64(len(obj)), len(hdr.raw), seg)
			if err != nil || size != int64(n) {
				t.Fatalf("seg %d n %d: plainSize = %d, %v", seg, n, size, err)
			}
			// The reader behaves as an io.Reader must, also with one-byte
			// reads underneath.
			r := bytes.NewReader(obj)
			hdr, _ = readHeader(r)
			o, _ := newOpener(iotest.OneByteReader(r), hdr, testKey)
			if err := iotest.TestReader(o, plain); err != nil {
				t.Fatalf("seg %d n %d: %v", seg, n, err)
			}
		}
	}
}

func TestAEADFreshNoncePrefix(t *testing.T) {
	plain := []byte("same plaintext, same key")
	a, b := sealBytes(t, plain, 64), sealBytes(t, plain, 64)
	if bytes.Equal(a, b) {
		t.Fatal("two encryptions of the same plaintext are identical; the nonce prefix is not random")
	}
}

// segmentsOf splits a sealed object into its header and sealed segments.
func segmentsOf(t *testing.T, obj []byte) (hdr []byte, segs [][]byte) {
	t.Helper()
	h, err := readHeader(bytes.NewReader(obj))
	if err != nil {
		t.Fatal(err)
	}
	body := obj[len(h.raw):]
	for len(body) > 0 {
		n := min(len(body), h.segSize+aeadTagLen)
		segs = append(segs, body[:n])
		body = body[n:]
	}
	return h.raw, segs
}

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestAEADTamper(t *testing.T) {
	const seg = 64
	plain := randomBytes(t, 4*seg+10) // four full segments and a short final one
	obj := sealBytes(t, plain, seg)
	hdr, segs := segmentsOf(t, obj)
	if len(segs) != 5 {
		t.Fatalf("got %d segments, want 5", len(segs))
	}
	flip := func(p []byte, i int) []byte {
		q := bytes.Clone(p)
		q[i] ^= 0x01
		return q
	}
	withSegSize := func(n uint32) []byte {
		h := bytes.Clone(hdr)
		binary.BigEndian.PutUint32(h[5:9], n)
		return join(h, join(segs...))
	}
	// The object where the last segment is full, so dropping it leaves a
	// stream of full segments that still ends on a segment boundary.
	evenPlain := randomBytes(t, 4*seg)
	even := sealBytes(t, evenPlain, seg)
	evenHdr, evenSegs := segmentsOf(t, even)

	tests := []struct {
		name string
		obj  []byte
	}{
		{"flip a byte in the first segment", join(hdr, flip(segs[0], 3), join(segs[1:]...))},
		{"flip a byte in a middle segment", join(hdr, segs[0], flip(segs[2], seg), join(segs[3:]...))},
		{"flip a tag byte of the final segment", join(hdr, join(segs[:4]...), flip(segs[4], len(segs[4])-1))},
		{"drop the final segment", join(hdr, join(segs[:4]...))},
		{"drop the final full segment", join(evenHdr, join(evenSegs[:3]...))},
		{"drop a middle segment", join(hdr, segs[0], join(segs[2:]...))},
		{"swap two segments", join(hdr, segs[1], segs[0], join(segs[2:]...))},
		{"duplicate a segment", join(hdr, segs[0], join(segs...))},
		{"append one byte", join(obj, []byte{0})},
		{"append a copy of the final segment", join(obj, segs[4])},
		{"truncate by one byte", obj[:len(obj)-1]},
		{"truncate inside a tag", obj[:len(hdr)+seg+aeadTagLen+5]},
		{"header only", hdr},
		{"truncated header", hdr[:len(hdr)-1]},
		{"empty", nil},
		{"flip the magic", join(flip(hdr, 0), join(segs...))},
		{"unknown version", join(flip(hdr, 4), join(segs...))},
		{"flip the nonce prefix", join(flip(hdr, 10), join(segs...))},
		{"flip the wrapped key", join(flip(hdr, len(hdr)-1), join(segs...))},
		{"change the segment size", withSegSize(seg + 16)},
		{"segment size too small", withSegSize(MinSegmentSize - 1)},
		{"segment size too large", withSegSize(MaxSegmentSize + 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := openBytes(tt.obj)
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("err = %v, want ErrDecrypt", err)
			}
			// Bytes released before the failure are authenticated ones: a
			// prefix of the true plaintext.
			if !bytes.HasPrefix(plain, got) && !bytes.HasPrefix(evenPlain, got) && len(got) > 0 {
				t.Fatalf("released %d bytes that are not a prefix of the plaintext", len(got))
			}
		})
	}
}

// TestAEADReleasesOnlyVerified checks that a corrupted segment's bytes are
// never returned: reading stops with exactly the segments before it.
func TestAEADReleasesOnlyVerified(t *testing.T) {
	const seg = 32
	plain := randomBytes(t, 10*seg)
	obj := sealBytes(t, plain, seg)
	hdr, _ := readHeader(bytes.NewReader(obj))
	// Corrupt the plaintext position of segment 6 (ciphertext byte 0).
	bad := bytes.Clone(obj)
	bad[len(hdr.raw)+6*(seg+aeadTagLen)] ^= 0xff
	got, err := openBytes(bad)
	if !errors.Is(err, ErrDecrypt) {
		t.Fatalf("err = %v, want ErrDecrypt", err)
	}
	if !bytes.Equal(got, plain[:6*seg]) {
		t.Fatalf("released %d bytes, want exactly the %d bytes of the six good segments", len(got), 6*seg)
	}
}

func TestAEADWrongKey(t *testing.T) {
	obj := sealBytes(t, []byte("secret"), 64)
	r := bytes.NewReader(obj)
	hdr, err := readHeader(r)
	if err != nil {
		t.Fatal(err)
	}
	other := bytes.Repeat([]byte{7}, aeadKeyLen)
	o, err := newOpener(r, hdr, other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(o); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("err = %v, want ErrDecrypt", err)
	}
	if _, err := newOpener(r, hdr, other[:16]); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("short key: err = %v, want ErrDecrypt", err)
	}
}

func TestAEADBadParameters(t *testing.T) {
	var sink bytes.Buffer
	for _, seg := range []int{0, MinSegmentSize - 1, MaxSegmentSize + 1} {
		if _, err := newSealer(&sink, testKey, []byte("w"), seg); err == nil {
			t.Errorf("segment size %d accepted", seg)
		}
	}
	if _, err := newSealer(&sink, testKey, nil, 64); err == nil {
		t.Error("empty wrapped key accepted")
	}
	if _, err := newSealer(&sink, testKey, make([]byte, maxWrappedKey+1), 64); err == nil {
		t.Error("oversized wrapped key accepted")
	}
	s, err := newSealer(&sink, testKey, []byte("w"), 64)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte("x")); err == nil {
		t.Error("write after close accepted")
	}
}

// TestAEADRandomWrites writes in random-sized pieces; the object must not
// depend on how the plaintext was cut.
func TestAEADRandomWrites(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(1, 2))
	plain := randomBytes(t, 5000)
	for range 20 {
		seg := MinSegmentSize + rng.IntN(300)
		var out bytes.Buffer
		s, err := newSealer(&out, testKey, []byte("w"), seg)
		if err != nil {
			t.Fatal(err)
		}
		for p := plain; len(p) > 0; {
			n := min(len(p), rng.IntN(700))
			if _, err := s.Write(p[:n]); err != nil {
				t.Fatal(err)
			}
			p = p[n:]
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := openBytes(out.Bytes())
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("seg %d: round trip failed: %v", seg, err)
		}
	}
}

// TestAEADWriteErrors checks that a failing destination surfaces from Write
// and Close and that the sealer stops writing after it.
func TestAEADWriteErrors(t *testing.T) {
	boom := errors.New("disk full")
	if _, err := newSealer(&failingWriter{n: 3, err: boom}, testKey, []byte("w"), 64); !errors.Is(err, boom) {
		t.Fatalf("header write: err = %v, want boom", err)
	}
	w := &failingWriter{n: aeadFixedHeader + 1 + 64 + aeadTagLen, err: boom} // header and one segment fit
	s, err := newSealer(w, testKey, []byte("w"), 64)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(make([]byte, 64*4)); !errors.Is(err, boom) {
		t.Fatalf("write: err = %v, want boom", err)
	}
	if _, err := s.Write([]byte("more")); !errors.Is(err, boom) {
		t.Fatalf("write after failure: err = %v, want boom", err)
	}
	if err := s.Close(); !errors.Is(err, boom) {
		t.Fatalf("close: err = %v, want boom", err)
	}
	s2, err := newSealer(&failingWriter{n: aeadFixedHeader + 1, err: boom}, testKey, []byte("w"), 64)
	if err != nil {
		t.Fatal(err)
	}
	s2.Write([]byte("short"))
	if err := s2.Close(); !errors.Is(err, boom) {
		t.Fatalf("close writing the final segment: err = %v, want boom", err)
	}
}

// TestEncryptedOverhead checks the package doc's figures: 16 bytes per
// segment, plus a header of about 90 bytes with a local Keeper.
func TestEncryptedOverhead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := New(openBucketURL(t, "mem://"), &Options{Keeper: testKeeper(t, 5)})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, DefaultSegmentSize, 3*DefaultSegmentSize + 5} {
		p := content(n, 5)
		d := mustPut(t, s, p)
		info, err := s.Stat(ctx, d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := s.b.Blob().ReadAll(ctx, rawKey(t, s, d.Digest))
		if err != nil {
			t.Fatal(err)
		}
		hdr, err := readHeader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		// A full last segment is the final one; only empty content has
		// an empty segment.
		segments := max(1, (n+DefaultSegmentSize-1)/DefaultSegmentSize)
		if len(hdr.raw) < 80 || len(hdr.raw) > 100 {
			t.Errorf("n=%d: header of %d bytes, the doc says about 90", n, len(hdr.raw))
		}
		if got, want := info.StoredSize-int64(n)-int64(len(hdr.raw)), int64(16*segments); got != want {
			t.Errorf("n=%d: %d bytes besides the header, want 16 per segment = %d", n, got, want)
		}
	}
}
