package artifact

import (
	"errors"
	"io/fs"

	"github.com/sextant-ml/sextant/internal/errkind"
)

// Errors returned by Store besides ErrNotFound and ErrInvalidKey (declared
// with Bucket and shared by both). Check them with errors.Is.
var (
	// ErrDigestMismatch reports bytes whose SHA-256 is not the digest they
	// were stored or announced under: a corrupted object, or content handed
	// to PutKnown that is not what its descriptor says. Every integrity
	// failure of a read matches it: this package's own checks, the storage
	// client's (the AWS SDK's checksum check of an S3 response, kept in the
	// chain), and the authentication failures of encrypted objects (which
	// match ErrDecrypt as well).
	ErrDigestMismatch = errors.New("artifact: digest mismatch")
	// ErrSizeMismatch reports content whose length differs from the size it
	// was announced or stored with.
	ErrSizeMismatch = errors.New("artifact: size mismatch")
	// ErrInvalidDigest reports a string that is not a canonical
	// "sha256:<64 lower-case hex>" digest.
	ErrInvalidDigest = errkind.New("artifact: invalid digest", fs.ErrInvalid)
	// ErrDecrypt reports an encrypted object that fails authentication:
	// a segment altered, dropped, reordered or truncated, bytes appended, a
	// malformed header (all of which match ErrDigestMismatch too), or a
	// data key the Keeper cannot unwrap or a format version this package
	// does not know (which do not).
	ErrDecrypt = errors.New("artifact: decrypt")
)
