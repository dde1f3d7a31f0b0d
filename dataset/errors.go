package dataset

import (
	"errors"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/logstore"
)

// Sentinel errors. Every error returned by this package that stems from one of
// these conditions matches it with errors.Is.
var (
	// ErrInvalidPath reports a path that is not a clean, slash-separated
	// relative path inside the dataset root (absolute, "..", empty segments,
	// backslashes, NUL or control characters).
	ErrInvalidPath = errors.New("dataset: invalid path")
	// ErrSymlink reports a symbolic link met while hashing under
	// SymlinkReject, or a link to a directory under SymlinkFollow.
	ErrSymlink = errors.New("dataset: symbolic link")
	// ErrSpecialFile reports a device, named pipe or socket met while hashing.
	ErrSpecialFile = errors.New("dataset: special file")
	// ErrChanged reports a file whose size changed while it was being read.
	ErrChanged = errors.New("dataset: file changed while hashing")
	// ErrInvalidDigest reports a digest string that is not "<algorithm>:<hex>"
	// with a supported algorithm and the right length.
	ErrInvalidDigest = errors.New("dataset: invalid digest")
	// ErrInvalidManifest reports a manifest that cannot be parsed or breaks
	// its invariants (unsorted or duplicate paths, bad digests, bad sizes).
	ErrInvalidManifest = errors.New("dataset: invalid manifest")
	// ErrCorruptCache reports a stat cache file that is truncated or damaged.
	ErrCorruptCache = errors.New("dataset: corrupt stat cache")
	// ErrDigestMismatch reports bytes whose digest is not the expected one.
	// It is artifact.ErrDigestMismatch: one error for the condition in
	// every package.
	ErrDigestMismatch = artifact.ErrDigestMismatch
	// ErrNotFound reports a dataset, version or tag that does not exist.
	ErrNotFound = errors.New("dataset: not found")
	// ErrInvalidName reports a dataset name or tag that is not allowed.
	ErrInvalidName = errors.New("dataset: invalid name")
	// ErrCorruptLog reports a dataset log entry that cannot be decoded or
	// contradicts the entries before it. It is the same value as
	// registry.ErrCorruptEntry, pipeline.ErrCorrupt and deploy.ErrCorrupt.
	ErrCorruptLog = logstore.ErrCorrupt
	// ErrUnsupported reports a log entry or manifest written by a newer
	// version of this package. It is the same value as the registry's,
	// pipeline's and deploy's.
	ErrUnsupported = logstore.ErrUnsupported
)
