package treehash

import (
	"fmt"

	"github.com/sextant-ml/sextant/internal/relpath"
)

// ValidatePath reports whether p is a path a hashed tree may hold: relative,
// slash-separated, clean (no "", "." or ".." segment), valid UTF-8, without
// backslashes, control characters (C0, DEL and C1, U+0080-U+009F) or the
// U+FFFD replacement character, and not starting with a drive letter
// ("c:"). The character rule is the one artifact keys follow
// (artifact.ValidateKey), which in addition refuses '%' and ':' anywhere;
// file names keep those, as Hive-style partition directories use them.
// Every file HashDir and HashFS list passes it, and so do dataset
// manifests, DVC listings and checkouts, so no entry can name a file
// outside the directory it belongs to, on any machine.
func ValidatePath(p string) error {
	if why := relpath.Problem(p); why != "" {
		return fmt.Errorf("%w: %q: %s", ErrInvalidPath, p, why)
	}
	if len(p) >= 2 && p[1] == ':' {
		return fmt.Errorf("%w: %q looks like a drive letter", ErrInvalidPath, p)
	}
	return nil
}
