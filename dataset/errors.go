package dataset

import (
	"errors"
	"io/fs"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset/treehash"
	"github.com/sextant-ml/sextant/internal/errkind"
	"github.com/sextant-ml/sextant/internal/logstore"
)

// Sentinel errors. Every error returned by this package that stems from one of
// these conditions matches it with errors.Is. Conditions another package
// detects are that package's values under a name of this one, so one
// check works whichever package reports them.
var (
	// ErrInvalidPath reports a path that is not a clean, slash-separated
	// relative path inside the dataset root (absolute, "..", empty segments,
	// backslashes, NUL or control characters; see treehash.ValidatePath).
	// It is treehash.ErrInvalidPath.
	ErrInvalidPath = treehash.ErrInvalidPath
	// ErrSymlink reports a symbolic link met while hashing a tree (see
	// treehash.SymlinkPolicy). It is treehash.ErrSymlink.
	ErrSymlink = treehash.ErrSymlink
	// ErrSpecialFile reports a device, named pipe or socket met while
	// hashing. It is treehash.ErrSpecialFile.
	ErrSpecialFile = treehash.ErrSpecialFile
	// ErrChanged reports a file that changed while it was being hashed. It
	// is treehash.ErrChanged.
	ErrChanged = treehash.ErrChanged
	// ErrInvalidDigest reports a digest that is not a canonical
	// "sha256:<hex>" (see artifact.Digest). It is artifact.ErrInvalidDigest.
	ErrInvalidDigest = artifact.ErrInvalidDigest
	// ErrInvalidManifest reports a manifest that cannot be parsed or breaks
	// its invariants (unsorted or duplicate paths, bad digests, bad sizes).
	ErrInvalidManifest = errors.New("dataset: invalid manifest")
	// ErrDigestMismatch reports bytes whose digest is not the expected one.
	// It is artifact.ErrDigestMismatch: one error for the condition in
	// every package.
	ErrDigestMismatch = artifact.ErrDigestMismatch
	// ErrNotFound reports a dataset, version or tag that does not exist.
	ErrNotFound = errkind.New("dataset: not found", fs.ErrNotExist)
	// ErrInvalidName reports a dataset name or tag that is not allowed.
	ErrInvalidName = errkind.New("dataset: invalid name", fs.ErrInvalid)
	// ErrCorruptLog reports a dataset log entry that cannot be decoded or
	// contradicts the entries before it. It is the same value as
	// registry.ErrCorruptEntry, pipeline.ErrCorrupt and deploy.ErrCorrupt.
	ErrCorruptLog = logstore.ErrCorrupt
	// ErrUnsupported reports a log entry or manifest written by a newer
	// version of this package. It is the same value as the registry's,
	// pipeline's and deploy's.
	ErrUnsupported = logstore.ErrUnsupported
)
