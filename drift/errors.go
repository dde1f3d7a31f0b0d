package drift

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/sextant-ml/sextant/internal/errkind"
	"github.com/sextant-ml/sextant/internal/stats"
)

// Sentinel errors; every error from this package wraps one of them, so
// callers test with errors.Is.
var (
	// ErrEmpty reports a column or sample with no usable values.
	ErrEmpty = errors.New("drift: empty input")
	// ErrInvalid reports an argument out of its domain.
	ErrInvalid = errkind.New("drift: invalid argument", fs.ErrInvalid)
	// ErrNaN reports a NaN passed to a two-sample test, which (unlike
	// Compare) does not drop them.
	ErrNaN = errors.New("drift: NaN in sample")
	// ErrUnknownColumn reports a column absent from the profile or the data.
	ErrUnknownColumn = errors.New("drift: unknown column")
	// ErrIncompatible reports profiles that cannot be merged: different
	// columns, kinds, bin edges or sample settings.
	ErrIncompatible = errors.New("drift: incompatible profiles")
	// ErrCorrupt reports a profile that breaks the invariants Fit
	// guarantees: a persisted profile that cannot be decoded, or one built
	// or edited by hand.
	ErrCorrupt = errors.New("drift: corrupt profile")
	// ErrMethod reports a method that does not apply to a column's kind.
	ErrMethod = errors.New("drift: method does not apply")
)

// fromStats restates an error of the statistics package in this
// package's terms: it wraps the matching drift sentinel and its message
// starts with the drift prefix. Other errors pass through unchanged.
func fromStats(err error) error {
	if err == nil {
		return nil
	}
	for _, m := range [...]struct{ from, to error }{
		{stats.ErrEmpty, ErrEmpty},
		{stats.ErrNaN, ErrNaN},
		{stats.ErrInvalid, ErrInvalid},
	} {
		if errors.Is(err, m.from) {
			return fmt.Errorf("%w%s", m.to, strings.TrimPrefix(err.Error(), m.from.Error()))
		}
	}
	return err
}

// contextError adds where an error happened while keeping the message's
// single drift prefix in front: "drift: column \"x\": invalid argument: ...".
type contextError struct {
	msg string
	err error
}

func (e *contextError) Error() string { return e.msg }
func (e *contextError) Unwrap() error { return e.err }

// within wraps err with a context such as a column name.
func within(err error, format string, args ...any) error {
	return &contextError{
		msg: "drift: " + fmt.Sprintf(format, args...) + ": " + strings.TrimPrefix(err.Error(), "drift: "),
		err: err,
	}
}
