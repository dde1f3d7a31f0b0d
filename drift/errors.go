package drift

import (
	"errors"

	"github.com/sextant-ml/sextant/internal/stats"
)

// Sentinel errors; every error from this package wraps one of them (or one
// of the stats errors re-exported here), so callers test with errors.Is.
var (
	// ErrEmpty reports a column or sample with no usable values.
	ErrEmpty = stats.ErrEmpty
	// ErrInvalid reports an argument out of its domain.
	ErrInvalid = stats.ErrInvalid
	// ErrNaN reports a NaN passed to a two-sample test, which (unlike
	// Compare) does not drop them.
	ErrNaN = stats.ErrNaN
	// ErrUnknownColumn reports a column absent from the profile or the data.
	ErrUnknownColumn = errors.New("drift: unknown column")
	// ErrIncompatible reports profiles that cannot be merged: different
	// columns, kinds, bin edges or sample settings.
	ErrIncompatible = errors.New("drift: incompatible profiles")
	// ErrCorrupt reports a persisted profile that cannot be decoded.
	ErrCorrupt = errors.New("drift: corrupt profile")
	// ErrMethod reports a method that does not apply to a column's kind.
	ErrMethod = errors.New("drift: method does not apply")
)
