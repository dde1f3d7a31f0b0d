package dataset

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// Algorithm names a hash function. Digests are written "<algorithm>:<hex>".
type Algorithm string

const (
	// SHA256 is the default algorithm, the one the artifact store addresses
	// content by.
	SHA256 Algorithm = "sha256"
	// MD5 is offered for DVC interoperability only.
	MD5 Algorithm = "md5"
)

// New returns a fresh hash.Hash for a, or an error for an unknown algorithm.
func (a Algorithm) New() (hash.Hash, error) {
	switch a {
	case SHA256:
		return sha256.New(), nil
	case MD5:
		return md5.New(), nil
	}
	return nil, fmt.Errorf("%w: unknown algorithm %q", ErrInvalidDigest, string(a))
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

// FormatDigest writes sum as "<algorithm>:<lower-case hex>".
func FormatDigest(a Algorithm, sum []byte) string {
	return string(a) + ":" + hex.EncodeToString(sum)
}

// ParseDigest splits a digest string into its algorithm and raw sum. It
// accepts only lower-case hex of the algorithm's exact length.
func ParseDigest(d string) (Algorithm, []byte, error) {
	name, hexsum, ok := strings.Cut(d, ":")
	if !ok {
		return "", nil, fmt.Errorf("%w: %q has no algorithm prefix", ErrInvalidDigest, d)
	}
	a := Algorithm(name)
	n := a.Size()
	if n == 0 {
		return "", nil, fmt.Errorf("%w: unknown algorithm in %q", ErrInvalidDigest, d)
	}
	if len(hexsum) != 2*n || strings.ToLower(hexsum) != hexsum {
		return "", nil, fmt.Errorf("%w: %q is not %d lower-case hex digits", ErrInvalidDigest, d, 2*n)
	}
	sum, err := hex.DecodeString(hexsum)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %q: %v", ErrInvalidDigest, d, err)
	}
	return a, sum, nil
}
