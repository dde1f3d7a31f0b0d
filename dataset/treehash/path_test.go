package treehash

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
)

// TestPathAndKeyRulesAgree checks that tree paths and artifact keys
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

func TestValidatePath(t *testing.T) {
	for _, ok := range []string{"a", "a/b.c", "ü/ñ ☃", "...", "a..b", ".hidden/x", "ts=2026-01-01 00%3A00/a:b.csv", "a\u00a0b"} {
		if err := ValidatePath(ok); err != nil {
			t.Errorf("ValidatePath(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "/a", "a/", "a//b", "./a", "a/.", "..", "a/../b", `a\b`, "a\x00b", "a\nb", "c:x", "a\x7f", "\xff",
		"a\u0080b", "a\u0085b", "a\u009bb", "a\u009f", "a\ufffd"} {
		if err := ValidatePath(bad); !errors.Is(err, ErrInvalidPath) {
			t.Errorf("ValidatePath(%q) = %v, want ErrInvalidPath", bad, err)
		}
	}
}

func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "a//b", "ü", "a\\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if ValidatePath(p) != nil {
			return
		}
		// An accepted path stays inside any root it is joined to.
		root := filepath.FromSlash("/root/dir")
		j := filepath.Join(root, filepath.FromSlash(p))
		if !strings.HasPrefix(j, root+string(filepath.Separator)) {
			t.Fatalf("%q escapes: %s", p, j)
		}
		if filepath.ToSlash(filepath.Clean(filepath.FromSlash(p))) != p {
			t.Fatalf("%q is not clean", p)
		}
	})
}
