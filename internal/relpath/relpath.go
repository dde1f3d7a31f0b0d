// Package relpath holds the one rule for the relative paths Sextant stores
// and hands to backends: artifact keys (artifact.ValidateKey) and dataset
// file paths (treehash.ValidatePath) both start from it, so the characters
// one accepts the other accepts too.
//
// A path passes when it is non-empty, valid UTF-8, relative (no leading
// slash), slash-separated into segments that are neither empty nor "." nor
// "..", and holds no backslash, no control character (C0 U+0000-U+001F,
// DEL U+007F, C1 U+0080-U+009F) and no U+FFFD replacement character. Each
// caller adds its own rules on top (artifact keys also refuse '%' and ':'
// and more than 1024 bytes; dataset paths refuse a drive letter).
package relpath

import (
	"strings"
	"unicode/utf8"
)

// Problem returns why p breaks the rule, in a few lower-case words, or ""
// when p passes.
func Problem(p string) string {
	if why := Shape(p); why != "" {
		return why
	}
	for _, r := range p {
		if why := BadRune(r); why != "" {
			return why
		}
	}
	return ""
}

// Shape returns why p cannot be a relative path inside a directory
// whatever characters it holds, or "": empty, invalid UTF-8, absolute, or
// with an empty, "." or ".." segment. Callers with a wider character set
// than Problem's (DVC's file names) check only this and their own
// characters.
func Shape(p string) string {
	switch {
	case p == "":
		return "empty"
	case !utf8.ValidString(p):
		return "not valid UTF-8"
	case p[0] == '/':
		return "absolute path"
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return "empty path segment"
		case ".", "..":
			return "dot segment"
		}
	}
	return ""
}

// BadRune returns why r may not appear in a path, or "" when it may.
func BadRune(r rune) string {
	switch {
	case r == '\\':
		return "backslash"
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return "control character"
	case r == utf8.RuneError:
		return "replacement character"
	}
	return ""
}
