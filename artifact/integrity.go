package artifact

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// The AWS SDK v2 checks the CRC32, CRC32C, SHA-1 or SHA-256 checksum that
// S3 returns with an object against the bytes it received, and fails the
// Read that reaches the end with an error of an unexported type in its
// internal checksum package. These name that type and its message, so
// that the error can be recognised without importing the package (which
// Go forbids) and whichever of the two a future SDK release keeps.
const (
	sdkChecksumPkg  = "github.com/aws/aws-sdk-go-v2/service/internal/checksum"
	sdkChecksumType = "validationError"
	sdkChecksumMsg  = "checksum did not match"
)

// isTransportChecksumErr reports whether err, or any error it wraps, is a
// storage client's report that the bytes it received fail the checksum
// the server sent with them.
func isTransportChecksumErr(err error) bool {
	for err != nil {
		t := reflect.TypeOf(err)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.PkgPath() == sdkChecksumPkg && t.Name() == sdkChecksumType {
			return true
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if isTransportChecksumErr(e) {
					return true
				}
			}
			return false
		case interface{ Unwrap() error }:
			if next := u.Unwrap(); next != nil {
				err = next
				continue
			}
		}
		// The innermost error: recognise the SDK's message in case its
		// type moves.
		return strings.HasPrefix(err.Error(), sdkChecksumMsg)
	}
	return false
}

// readErr classifies an error from reading a stored object: a failed
// transport checksum means the bytes are not what was stored, so it
// matches ErrDigestMismatch (the original stays in the chain).
func readErr(err error) error {
	if err == nil || errors.Is(err, ErrDigestMismatch) || !isTransportChecksumErr(err) {
		return err
	}
	return fmt.Errorf("%w: the storage client's checksum check failed: %w", ErrDigestMismatch, err)
}

// checkedReader maps the errors of a bucket reader with readErr.
type checkedReader struct {
	r interface{ Read([]byte) (int, error) }
}

func (c checkedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	return n, readErr(err)
}
