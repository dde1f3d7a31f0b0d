package relpath

import (
	"testing"
	"unicode"
)

func TestProblem(t *testing.T) {
	tests := []struct {
		p, want string
	}{
		{"a", ""},
		{"a/b.c", ""},
		{"ü/ñ ☃", ""},
		{"a:b%20c", ""},
		{"\u00a0nbsp", ""},
		{"", "empty"},
		{"\xff", "not valid UTF-8"},
		{"/a", "absolute path"},
		{`a\b`, "backslash"},
		{"a\x00b", "control character"},
		{"a\x1fb", "control character"},
		{"a\x7fb", "control character"},
		{"a\u0080b", "control character"},
		{"a\u0085b", "control character"},
		{"a\u009fb", "control character"},
		{"a\ufffd", "replacement character"},
		{"a//b", "empty path segment"},
		{"a/", "empty path segment"},
		{"./a", "dot segment"},
		{"a/..", "dot segment"},
	}
	for _, tt := range tests {
		t.Run(tt.p, func(t *testing.T) {
			if got := Problem(tt.p); got != tt.want {
				t.Errorf("Problem(%q) = %q, want %q", tt.p, got, tt.want)
			}
		})
	}
}

func TestBadRuneRefusesEveryControl(t *testing.T) {
	for r := rune(0); r <= 0x10ffff; r++ {
		if unicode.IsControl(r) && BadRune(r) == "" {
			t.Fatalf("BadRune(%U) accepts a control character", r)
		}
	}
}

func FuzzProblem(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "a\u0085b", "a\\b", "\xff", "a/./b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if Problem(p) != "" {
			return
		}
		for _, r := range p {
			if unicode.IsControl(r) || r == '\\' || r == unicode.ReplacementChar {
				t.Fatalf("accepted %q with %U", p, r)
			}
		}
	})
}
