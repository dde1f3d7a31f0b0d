package artifact

import "errors"

// Errors returned by Store besides ErrNotFound and ErrInvalidKey (declared
// with Bucket and shared by both). Check them with errors.Is.
var (
	// ErrDigestMismatch reports bytes whose SHA-256 is not the digest they
	// were stored or announced under: a corrupted object, or content handed
	// to PutKnown that is not what its descriptor says.
	ErrDigestMismatch = errors.New("artifact: digest mismatch")
	// ErrSizeMismatch reports content whose length differs from the size it
	// was announced or stored with.
	ErrSizeMismatch = errors.New("artifact: size mismatch")
	// ErrInvalidDigest reports a string that is not a canonical
	// "sha256:<64 lower-case hex>" digest.
	ErrInvalidDigest = errors.New("artifact: invalid digest")
	// ErrDecrypt reports an encrypted object that fails authentication:
	// a segment altered, dropped, reordered or truncated, bytes appended, a
	// malformed header, or a data key the Keeper cannot unwrap.
	ErrDecrypt = errors.New("artifact: decrypt")
)
