package treehash

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
)

// Algorithm names a hash function, as digests write it before the colon.
type Algorithm string

const (
	// SHA256 is the default, the algorithm content-addressed stores name
	// content by.
	SHA256 Algorithm = "sha256"
	// MD5 is offered for DVC interoperability only.
	MD5 Algorithm = "md5"
)

// algCodes numbers the algorithms, in Sum and in the cache file.
var algCodes = [...]Algorithm{SHA256, MD5}

func (a Algorithm) code() (uint8, bool) {
	for i, b := range algCodes {
		if a == b {
			return uint8(i), true
		}
	}
	return 0, false
}

// Size is the length in bytes of a's sums, or 0 for an unknown algorithm.
func (a Algorithm) Size() int {
	switch a {
	case SHA256:
		return sha256.Size
	case MD5:
		return md5.Size
	}
	return 0
}

// newHash returns a fresh hash.Hash for a.
func (a Algorithm) newHash() (hash.Hash, error) {
	switch a {
	case SHA256:
		return sha256.New(), nil
	case MD5:
		return md5.New(), nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownAlgorithm, string(a))
}

// Sum is the raw digest of a file's bytes and the algorithm that made it.
// It is a value of fixed size holding no pointer, so a hashed tree of any
// size costs no allocation per digest. The zero Sum is the SHA-256 sum of
// nothing known yet (IsZero reports it).
type Sum struct {
	alg uint8
	b   [sha256.Size]byte
}

// makeSum copies the digest sum of algorithm code alg.
func makeSum(alg uint8, sum []byte) Sum {
	s := Sum{alg: alg}
	copy(s.b[:], sum)
	return s
}

// Algorithm is the hash function that made s.
func (s Sum) Algorithm() Algorithm { return algCodes[s.alg] }

// Bytes returns a copy of the digest's bytes (32 for SHA-256, 16 for MD5).
func (s Sum) Bytes() []byte { return append([]byte(nil), s.b[:s.Algorithm().Size()]...) }

// Hex returns the digest in lower-case hex, as md5sum and DVC print it.
func (s Sum) Hex() string {
	var buf [2 * sha256.Size]byte
	return string(hex.AppendEncode(buf[:0], s.b[:s.Algorithm().Size()]))
}

// String returns "<algorithm>:<lower-case hex>", the form OCI digests and
// artifact.Digest take for SHA-256.
func (s Sum) String() string {
	var buf [8 + 2*sha256.Size]byte
	return string(s.AppendText(buf[:0]))
}

// AppendText appends String's form to b, for writing many digests into one
// buffer.
func (s Sum) AppendText(b []byte) []byte {
	b = append(b, s.Algorithm()...)
	b = append(b, ':')
	return hex.AppendEncode(b, s.b[:s.Algorithm().Size()])
}

// IsZero reports whether s is the zero Sum, which no hash produced.
func (s Sum) IsZero() bool { return s == Sum{} }
