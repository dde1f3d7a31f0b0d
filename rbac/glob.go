package rbac

import (
	"errors"
	"strings"
)

// Names and patterns.
//
// A resource name is one or more segments separated by "/"; a segment is
// made of ASCII letters, digits, '.', '_' and '-', and is neither "." nor
// "..". A name is at most 253 bytes long.
//
// A pattern is a name whose segments may also hold '*' (any run of
// characters within the segment, possibly none) and '?' (exactly one
// character), or be exactly "**" (zero or more whole segments). Patterns are
// matched segment by segment, so "fraud-*" matches "fraud-v2" but not
// "fraud-v2/3", and "fraud/**" matches "fraud", "fraud/3" and "fraud/a/b".

const maxNameLen = 253

var (
	errEmptyName    = errors.New("empty name")
	errLongName     = errors.New("name longer than 253 bytes")
	errEmptySegment = errors.New("empty segment")
	errDotSegment   = errors.New(`segment "." or ".."`)
	errBadChar      = errors.New("character outside [A-Za-z0-9._-]")
	errBadGlobstar  = errors.New(`"**" must be a whole segment`)
)

// Bitmaps of the bytes allowed in a name segment: '-', '.', digits (below
// 64) and letters, '_' (64 to 127).
const (
	nameBytesLow  = 1<<'-' | 1<<'.' | (1<<10-1)<<'0'
	nameBytesHigh = (1<<26-1)<<('A'-64) | 1<<('_'-64) | (1<<26-1)<<('a'-64)
)

func nameByte(c byte) bool {
	switch {
	case c < 64:
		return nameBytesLow>>c&1 != 0
	case c < 128:
		return nameBytesHigh>>(c-64)&1 != 0
	}
	return false
}

// checkName reports whether s is a valid resource name (glob false) or
// pattern (glob true). It does not allocate.
func checkName(s string, glob bool) error {
	if s == "" {
		return errEmptyName
	}
	if len(s) > maxNameLen {
		return errLongName
	}
	for start := 0; start <= len(s); {
		end := strings.IndexByte(s[start:], '/')
		if end < 0 {
			end = len(s)
		} else {
			end += start
		}
		seg := s[start:end]
		switch {
		case seg == "":
			return errEmptySegment
		case seg == "." || seg == "..":
			return errDotSegment
		case glob && seg == "**":
		default:
			for i := 0; i < len(seg); i++ {
				c := seg[i]
				if nameByte(c) {
					continue
				}
				if glob && (c == '*' || c == '?') {
					if c == '*' && i+1 < len(seg) && seg[i+1] == '*' {
						return errBadGlobstar
					}
					continue
				}
				return errBadChar
			}
		}
		start = end + 1
	}
	return nil
}

// ValidName reports whether name is a valid resource name.
func ValidName(name string) bool { return checkName(name, false) == nil }

// ValidPattern reports whether pattern is a valid name pattern.
func ValidPattern(pattern string) bool { return checkName(pattern, true) == nil }

// isLiteral reports whether a valid pattern holds no glob characters.
func isLiteral(p string) bool { return strings.IndexAny(p, "*?") < 0 }

// nextSegment returns the segment of s starting at i and the start of the
// following one; the start is len(s)+1 after the last segment.
func nextSegment(s string, i int) (string, int) {
	j := strings.IndexByte(s[i:], '/')
	if j < 0 {
		return s[i:], len(s) + 1
	}
	return s[i : i+j], i + j + 1
}

// Match reports whether a valid name matches a valid pattern. It does not
// allocate and runs in time proportional to the product of the lengths at
// worst. Invalid names or patterns never match.
func Match(pattern, name string) bool {
	if checkName(pattern, true) != nil || checkName(name, false) != nil {
		return false
	}
	return match(pattern, name)
}

// match is Match on inputs already validated.
func match(pattern, name string) bool {
	pi, ni := 0, 0
	starP, starN := -1, -1
	pend, nend := len(pattern)+1, len(name)+1
	for ni < nend {
		if pi < pend {
			pseg, pnext := nextSegment(pattern, pi)
			if pseg == "**" {
				starP, starN = pnext, ni
				pi = pnext
				continue
			}
			nseg, nnext := nextSegment(name, ni)
			if matchSegment(pseg, nseg) {
				pi, ni = pnext, nnext
				continue
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last "**" swallow one more name segment and retry.
		_, starN = nextSegment(name, starN)
		pi, ni = starP, starN
	}
	for pi < pend {
		pseg, pnext := nextSegment(pattern, pi)
		if pseg != "**" {
			return false
		}
		pi = pnext
	}
	return true
}

// matchSegment matches one segment against a segment pattern of literal
// bytes, '*' and '?'.
func matchSegment(p, s string) bool {
	pi, si := 0, 0
	starP, starS := -1, -1
	for si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; c {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				pi++
				si++
				continue
			default:
				if c == s[si] {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		pi, si = starP+1, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// covers reports whether every name matched by pattern p is also matched by
// pattern q. It is conservative: it may answer false for some pairs where
// the inclusion holds (for example q "a*" and p "ab*"), never true where it
// does not. Both patterns must be valid.
func covers(q, p string) bool {
	if q == p {
		return true
	}
	if isLiteral(p) {
		return match(q, p)
	}
	if strings.Count(q, "**") > 4 {
		return false // bound the search; refusing is the safe answer
	}
	return coverSegments(strings.Split(q, "/"), strings.Split(p, "/"))
}

func coverSegments(q, p []string) bool {
	switch {
	case len(q) == 0:
		return len(p) == 0
	case q[0] == "**":
		// "**" covers any run of p's segments, including runs with "**".
		for i := 0; i <= len(p); i++ {
			if coverSegments(q[1:], p[i:]) {
				return true
			}
		}
		return false
	case len(p) == 0 || p[0] == "**":
		return false
	case q[0] == p[0] || q[0] == "*" || isLiteral(p[0]) && matchSegment(q[0], p[0]):
		return coverSegments(q[1:], p[1:])
	}
	return false
}
