package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"
)

// Algorithm is the only digest algorithm the store writes and accepts.
const Algorithm = "sha256"

// digestPrefix starts every valid Digest.
const digestPrefix = Algorithm + ":"

// Digest names content by the SHA-256 of its bytes, written as
// "sha256:<64 lower-case hex digits>", the form OCI and ORAS use. With
// encryption at rest a digest still names the plaintext, never the bytes
// stored in the bucket.
type Digest string

// ParseDigest checks s and returns it as a Digest. Only the canonical form
// is accepted: the "sha256:" prefix and 64 lower-case hex digits. Errors
// match ErrInvalidDigest.
func ParseDigest(s string) (Digest, error) {
	d := Digest(s)
	if err := d.Validate(); err != nil {
		return "", err
	}
	return d, nil
}

// Validate reports whether d is a canonical sha256 digest; errors match
// ErrInvalidDigest.
func (d Digest) Validate() error {
	s := string(d)
	algo, enc, ok := strings.Cut(s, ":")
	switch {
	case !ok:
		return fmt.Errorf("%w %q: missing algorithm prefix", ErrInvalidDigest, s)
	case algo != Algorithm:
		return fmt.Errorf("%w %q: algorithm %q is not %s", ErrInvalidDigest, s, algo, Algorithm)
	case len(enc) != 2*sha256.Size:
		return fmt.Errorf("%w %q: want %d hex digits, got %d", ErrInvalidDigest, s, 2*sha256.Size, len(enc))
	}
	for i := 0; i < len(enc); i++ {
		c := enc[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("%w %q: character %q is not lower-case hex", ErrInvalidDigest, s, c)
		}
	}
	return nil
}

// Hex returns the hex digits after "sha256:", or "" when d is not valid.
func (d Digest) Hex() string {
	if d.Validate() != nil {
		return ""
	}
	return string(d[len(digestPrefix):])
}

// ResourceName returns the name under which d is authorized:
// "sha256/<hex>", or "" when d is not valid. Authorization names are
// segments of letters, digits, '.', '_' and '-' joined by '/', which the
// ':' of the digest string is not; this form keeps the algorithm and lets
// a rule name "sha256/**" or one digest.
func (d Digest) ResourceName() string {
	if d.Validate() != nil {
		return ""
	}
	return "sha256/" + string(d[len(digestPrefix):])
}

// String returns d as written.
func (d Digest) String() string { return string(d) }

// FromBytes returns the digest of p.
func FromBytes(p []byte) Digest {
	sum := sha256.Sum256(p)
	return Digest(digestPrefix + hex.EncodeToString(sum[:]))
}

// FromReader reads r to its end and returns the digest and the number of
// bytes read.
func FromReader(r io.Reader) (Digest, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", n, fmt.Errorf("artifact: digest: %w", err)
	}
	return digestOf(h), n, nil
}

// digestOf formats the sum of a sha256 hash.
func digestOf(h hash.Hash) Digest {
	var buf [sha256.Size]byte
	return Digest(digestPrefix + hex.EncodeToString(h.Sum(buf[:0])))
}

// Descriptor describes stored content, in the shape of an OCI descriptor:
// the digest and size name the bytes; the media type and annotations are
// the caller's and are not stored with the content.
type Descriptor struct {
	MediaType   string            `json:"mediaType,omitempty"`
	Digest      Digest            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Validate checks the digest and that the size is not negative.
func (d Descriptor) Validate() error {
	if err := d.Digest.Validate(); err != nil {
		return err
	}
	if d.Size < 0 {
		return fmt.Errorf("%w: descriptor of %s has negative size %d", ErrSizeMismatch, d.Digest, d.Size)
	}
	return nil
}
