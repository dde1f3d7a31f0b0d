package stats

import "errors"

// Sentinel errors. Errors returned by this package wrap one of them, so
// callers test with errors.Is.
var (
	// ErrEmpty reports a sample (or a count) with nothing in it.
	ErrEmpty = errors.New("stats: empty sample")
	// ErrNaN reports a NaN in a sample; callers drop NaNs before testing.
	ErrNaN = errors.New("stats: NaN in sample")
	// ErrInvalid reports an argument out of its domain, such as a negative
	// count or more successes than trials.
	ErrInvalid = errors.New("stats: invalid argument")
)
