// Package errkind makes sentinel errors that keep their own package's
// message and also match the standard library's error for the same
// condition, so that a caller can ask errors.Is(err, fs.ErrNotExist) of
// any package's "not found", as os and io/fs answer it.
//
// The conditions and their standard errors:
//
//   - not found: fs.ErrNotExist
//   - already exists: fs.ErrExist
//   - invalid argument, name, option, filter or token: fs.ErrInvalid
//   - unsupported format or version: errors.ErrUnsupported
package errkind

// New returns an error whose message is msg and for which
// errors.Is(err, kind) holds. Each call returns a distinct error, so a
// package's sentinel still matches only itself among sentinels.
func New(msg string, kind error) error { return &kindError{msg: msg, kind: kind} }

type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }

// Is reports whether target is the standard error of e's condition.
func (e *kindError) Is(target error) bool { return target == e.kind }
