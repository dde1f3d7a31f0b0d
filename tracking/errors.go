package tracking

import (
	"fmt"
	"io/fs"

	"github.com/sextant-ml/sextant/internal/errkind"
	"github.com/sextant-ml/sextant/internal/logstore"
)

// Errors callers act on, checked with errors.Is. Each maps to one of
// MLflow's error codes in the REST handler: ErrNotFound to
// RESOURCE_DOES_NOT_EXIST, ErrAlreadyExists to RESOURCE_ALREADY_EXISTS and
// ErrInvalidParameter (which the more specific errors below wrap) to
// INVALID_PARAMETER_VALUE.
var (
	ErrNotFound         = errkind.New("tracking: not found", fs.ErrNotExist)
	ErrAlreadyExists    = errkind.New("tracking: already exists", fs.ErrExist)
	ErrInvalidParameter = errkind.New("tracking: invalid parameter value", fs.ErrInvalid)

	// ErrBatchTooLarge: a batch holds more metrics, params or tags than
	// MLflow's log-batch limits allow (MaxMetricsPerBatch,
	// MaxParamsTagsPerBatch, MaxEntitiesPerBatch).
	ErrBatchTooLarge = fmt.Errorf("%w: batch too large", ErrInvalidParameter)
	// ErrParamChanged: a param was logged again with another value; params
	// are immutable.
	ErrParamChanged = fmt.Errorf("%w: changing param values is not allowed", ErrInvalidParameter)
	// ErrInvalidMetric: a metric with a bad key or a negative timestamp.
	ErrInvalidMetric = fmt.Errorf("%w: invalid metric", ErrInvalidParameter)
	// ErrInvalidName: a key or name that breaks MLflow's naming rules or
	// length limits.
	ErrInvalidName = fmt.Errorf("%w: invalid name", ErrInvalidParameter)
	// ErrNotActive: a write to a deleted run or experiment.
	ErrNotActive = fmt.Errorf("%w: not in the active lifecycle stage", ErrInvalidParameter)
	// ErrInvalidFilter: a search filter or order-by clause that does not parse.
	ErrInvalidFilter = fmt.Errorf("%w: invalid filter", ErrInvalidParameter)
	// ErrInvalidPageToken: a page token not issued for this search.
	ErrInvalidPageToken = fmt.Errorf("%w: invalid page token", ErrInvalidParameter)

	// ErrCorrupt: a log entry or checkpoint on the bucket does not decode.
	ErrCorrupt = fmt.Errorf("tracking: %w", logstore.ErrCorrupt)
)

// errUnsupported: an entry or checkpoint of a newer format.
var errUnsupported = logstore.ErrUnsupported
