package dataset

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ValidatePath reports whether p is a path this package stores: relative,
// slash-separated, clean (no "", "." or ".." segment), valid UTF-8, without
// backslashes, NUL or other control characters. Manifests, DVC listings and
// checkouts all pass through it, so no entry can name a file outside the
// directory it belongs to.
func ValidatePath(p string) error {
	if p == "" {
		return fmt.Errorf("%w: empty", ErrInvalidPath)
	}
	if !utf8.ValidString(p) {
		return fmt.Errorf("%w: %q is not valid UTF-8", ErrInvalidPath, p)
	}
	if p[0] == '/' {
		return fmt.Errorf("%w: %q is absolute", ErrInvalidPath, p)
	}
	for _, r := range p {
		if r == '\\' || r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %q contains a backslash or control character", ErrInvalidPath, p)
		}
	}
	if len(p) >= 2 && p[1] == ':' {
		return fmt.Errorf("%w: %q looks like a drive letter", ErrInvalidPath, p)
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w: %q has an empty segment", ErrInvalidPath, p)
		case ".", "..":
			return fmt.Errorf("%w: %q has a %q segment", ErrInvalidPath, p, seg)
		}
	}
	return nil
}
