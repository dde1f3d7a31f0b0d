package registry

import (
	"errors"
	"io/fs"

	"github.com/sextant-ml/sextant/internal/errkind"
	"github.com/sextant-ml/sextant/internal/logstore"
)

// Sentinel errors. Every error returned by this package that callers may act on
// matches one of these with errors.Is.
var (
	// ErrNotFound: the model, version, alias, card or signature does not exist.
	ErrNotFound = errkind.New("registry: not found", fs.ErrNotExist)
	// ErrExist: the model already exists (CreateModel).
	ErrExist = errkind.New("registry: already exists", fs.ErrExist)
	// ErrDeleted: the model or version was deleted (soft deletion is recorded in
	// the log; the entry and its files stay).
	ErrDeleted = errors.New("registry: deleted")
	// ErrArchived: the version is archived and cannot be promoted or aliased.
	ErrArchived = errors.New("registry: archived")
	// ErrInvalidName: a model name breaks the naming rules (see ValidateModelName).
	ErrInvalidName = errkind.New("registry: invalid model name", fs.ErrInvalid)
	// ErrInvalidAlias: an alias breaks MLflow's alias rules (see ValidateAlias).
	ErrInvalidAlias = errors.New("registry: invalid alias")
	// ErrInvalidReference: a reference is not "name/N", "name@alias" or "name@latest".
	ErrInvalidReference = errors.New("registry: invalid reference")
	// ErrInvalidArgument: any other bad input (file paths, tags, metrics, options).
	ErrInvalidArgument = errkind.New("registry: invalid argument", fs.ErrInvalid)
	// ErrInvalidFilter: a search filter does not parse or uses an unknown field.
	ErrInvalidFilter = errkind.New("registry: invalid filter", fs.ErrInvalid)
	// ErrInvalidPageToken: a pagination token is malformed or belongs to another query.
	ErrInvalidPageToken = errkind.New("registry: invalid page token", fs.ErrInvalid)
	// ErrCorruptEntry: a log entry cannot be decoded or does not fit the
	// state before it. The error names the model and the entry. It is the
	// same value as dataset.ErrCorruptLog, pipeline.ErrCorrupt and
	// deploy.ErrCorrupt, so errors.Is matches across packages. (A checkpoint
	// that does not decode is skipped, not reported: the log is the truth.)
	ErrCorruptEntry = logstore.ErrCorrupt
	// ErrUnsupportedEntry: a log entry was written by a newer writer (unknown
	// type or format version). Upgrade the reader. The same value as the
	// other packages' ErrUnsupported.
	ErrUnsupportedEntry = logstore.ErrUnsupported
	// ErrGateFailed: a promotion gate rejected the candidate; the error is a
	// *GateError naming each failed metric.
	ErrGateFailed = errors.New("registry: promotion gate failed")
	// ErrUnknownDigest: a file registered by digest names content that is
	// not in the store or that the subject may not read; the two cases get
	// the same error, so that nobody learns what the store holds.
	ErrUnknownDigest = errors.New("registry: unknown digest")
	// ErrNoTrustedKeys: Load or OpenFile on a registry opened with neither
	// Options.TrustedKeys nor Options.AllowUnsigned.
	ErrNoTrustedKeys = errors.New("registry: no trusted keys")
	// ErrSignature: a signature is missing, malformed, made by an untrusted key,
	// or does not match the version's files.
	ErrSignature = errors.New("registry: signature verification failed")
)
