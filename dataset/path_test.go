package dataset

import (
	"errors"
	"fmt"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
)

// TestPathAndKeyRulesAgree checks that dataset paths and artifact keys
// refuse and accept the same characters: every code point, alone and
// between others, except the separator and the two characters only keys
// refuse ('%' and ':').
func TestPathAndKeyRulesAgree(t *testing.T) {
	check := func(p string) {
		pathErr, keyErr := ValidatePath(p), artifact.ValidateKey(p)
		if (pathErr == nil) != (keyErr == nil) {
			t.Errorf("%+q: ValidatePath = %v, artifact.ValidateKey = %v", p, pathErr, keyErr)
		}
		if pathErr != nil && !errors.Is(pathErr, ErrInvalidPath) {
			t.Errorf("%+q: %v does not match ErrInvalidPath", p, pathErr)
		}
	}
	for r := rune(0); r <= 0x10ffff; r++ {
		if r == '/' || r == '%' || r == ':' {
			continue
		}
		check(string(r))
		check("a" + string(r) + "b")
		check("dir/" + string(r))
	}
	for _, p := range []string{"\xff", "a/\x80", "\xed\xa0\x80", "a\x00", "", "/a", "a//b", "./a", "a/.."} {
		t.Run(fmt.Sprintf("%+q", p), func(t *testing.T) { check(p) })
	}
}

func TestPathKeepsWhatOnlyKeysRefuse(t *testing.T) {
	for _, p := range []string{"a%20b", "part=00%3A00/x", "2026-01-01T00:00:00Z.csv"} {
		if err := ValidatePath(p); err != nil {
			t.Errorf("ValidatePath(%q) = %v", p, err)
		}
		if err := artifact.ValidateKey(p); !errors.Is(err, artifact.ErrInvalidKey) {
			t.Errorf("artifact.ValidateKey(%q) = %v, want ErrInvalidKey", p, err)
		}
	}
}
