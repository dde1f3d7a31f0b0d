package dvc

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/errkind"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrInvalidFile reports a .dvc file that is not valid DVC 3 YAML with
	// the fields this package reads.
	ErrInvalidFile = errors.New("dvc: invalid .dvc file")
	// ErrInvalidListing reports a .dir object that is not a JSON list of
	// {"md5", "relpath"} entries with safe, unique paths.
	ErrInvalidListing = errors.New("dvc: invalid directory listing")
	// ErrListingTooLarge reports a .dir object larger than
	// Options.MaxListingBytes; nothing past the limit is read.
	ErrListingTooLarge = errors.New("dvc: directory listing too large")
	// ErrDigestMismatch reports remote bytes whose MD5 is not the one asked
	// for: a corrupt or tampered remote. It is artifact.ErrDigestMismatch:
	// one error for the condition in every package.
	ErrDigestMismatch = artifact.ErrDigestMismatch
	// ErrNotFound reports an object missing from the remote. It is
	// artifact.ErrNotFound, the error of a missing object on any bucket.
	ErrNotFound = artifact.ErrNotFound
	// ErrUnsupported reports a .dvc feature this package does not read
	// (DVC 2 "md5-dos2unix" hashes, cloud-versioned outputs).
	ErrUnsupported = errkind.New("dvc: unsupported", errors.ErrUnsupported)
)

// DirSuffix marks the hash of a directory.
const DirSuffix = ".dir"

// DirEntry is one file of a DVC directory listing.
type DirEntry struct {
	MD5     string `json:"md5"`
	RelPath string `json:"relpath"`
}

// EncodeListing returns the bytes DVC stores in a .dir object and hashes
// for the directory: Python's json.dumps of the entries sorted by relpath,
// with sort_keys=True, separators ", " and ": ", and every character
// outside printable ASCII escaped as \uXXXX (surrogate pairs above the
// Basic Multilingual Plane). entries is not modified.
func EncodeListing(entries []DirEntry) []byte {
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b DirEntry) int { return strings.Compare(a.RelPath, b.RelPath) })
	var b bytes.Buffer
	b.WriteByte('[')
	for i, e := range sorted {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`{"md5": `)
		pyQuote(&b, e.MD5)
		b.WriteString(`, "relpath": `)
		pyQuote(&b, e.RelPath)
		b.WriteByte('}')
	}
	b.WriteByte(']')
	return b.Bytes()
}

// HashListing returns the DVC hash of a directory with these entries:
// the hex MD5 of EncodeListing followed by ".dir".
func HashListing(entries []DirEntry) string {
	return listingHash(EncodeListing(entries))
}

// listingHash is the hash of a listing already encoded by EncodeListing.
func listingHash(listing []byte) string {
	sum := md5.Sum(listing)
	return hex.EncodeToString(sum[:]) + DirSuffix
}

const hexdigits = "0123456789abcdef"

// pyQuote writes s as Python's json.dumps(s) with ensure_ascii=True does.
func pyQuote(b *bytes.Buffer, s string) {
	u4 := func(r rune) {
		b.WriteString(`\u`)
		for shift := 12; shift >= 0; shift -= 4 {
			b.WriteByte(hexdigits[(r>>shift)&0xf])
		}
	}
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= 0x20 && r < 0x7f:
			b.WriteByte(byte(r))
		case r > 0xffff:
			r -= 0x10000
			u4(0xd800 | (r>>10)&0x3ff)
			u4(0xdc00 | r&0x3ff)
		default:
			u4(r)
		}
	}
	b.WriteByte('"')
}

// ParseListing reads a .dir object strictly: a JSON list of objects with
// exactly "md5" (32 lower-case hex digits) and "relpath" (a relative path
// by the rule of .dvc paths: no leading "/", no empty, "." or ".."
// segment, no NUL), no duplicates, no path that is both a file and a
// directory. Entries are returned sorted by path.
func ParseListing(data []byte) ([]DirEntry, error) {
	// encoding/json would replace invalid UTF-8 and lone surrogates with
	// U+FFFD, naming a different file than the listing does: reject them.
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: not valid UTF-8", ErrInvalidListing)
	}
	if err := checkSurrogates(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var raw []*DirEntry
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidListing, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data", ErrInvalidListing)
	}
	entries := make([]DirEntry, 0, len(raw))
	for i, e := range raw {
		if e == nil {
			return nil, fmt.Errorf("%w: entry %d is null", ErrInvalidListing, i)
		}
		if !isMD5(e.MD5) {
			return nil, fmt.Errorf("%w: entry %d has md5 %q", ErrInvalidListing, i, e.MD5)
		}
		entries = append(entries, *e)
	}
	slices.SortStableFunc(entries, func(a, b DirEntry) int { return strings.Compare(a.RelPath, b.RelPath) })
	files := make(map[string]bool, len(entries))
	for i, e := range entries {
		if why := pathProblem(e.RelPath); why != "" {
			return nil, fmt.Errorf("%w: relpath %q: %s", ErrInvalidListing, e.RelPath, why)
		}
		if i > 0 && entries[i-1].RelPath == e.RelPath {
			return nil, fmt.Errorf("%w: relpath %q listed twice", ErrInvalidListing, e.RelPath)
		}
		files[e.RelPath] = true
	}
	// A path that is both a file and a directory ("a" and "a/b") cannot
	// be checked out.
	for _, e := range entries {
		for i := strings.LastIndexByte(e.RelPath, '/'); i > 0; i = strings.LastIndexByte(e.RelPath[:i], '/') {
			if files[e.RelPath[:i]] {
				return nil, fmt.Errorf("%w: %q is both a file and a directory", ErrInvalidListing, e.RelPath[:i])
			}
		}
	}
	return entries, nil
}

// checkSurrogates rejects \uXXXX escapes of UTF-16 surrogates that do not
// form a pair (Python writes them for undecodable file names).
func checkSurrogates(data []byte) error {
	escape := func(i int) (rune, bool) {
		if i+6 > len(data) || data[i] != '\\' || data[i+1] != 'u' {
			return 0, false
		}
		var r rune
		for _, c := range data[i+2 : i+6] {
			switch {
			case c >= '0' && c <= '9':
				r = r<<4 | rune(c-'0')
			case c >= 'a' && c <= 'f':
				r = r<<4 | rune(c-'a'+10)
			case c >= 'A' && c <= 'F':
				r = r<<4 | rune(c-'A'+10)
			default:
				return 0, false
			}
		}
		return r, true
	}
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' {
			continue
		}
		r, ok := escape(i)
		if !ok {
			i++ // skip the escaped character, e.g. the second of "\\\\"
			continue
		}
		switch {
		case r >= 0xd800 && r < 0xdc00:
			if lo, ok := escape(i + 6); ok && lo >= 0xdc00 && lo < 0xe000 {
				i += 11
				continue
			}
			return fmt.Errorf("%w: unpaired surrogate escape at byte %d", ErrInvalidListing, i)
		case r >= 0xdc00 && r < 0xe000:
			return fmt.Errorf("%w: unpaired surrogate escape at byte %d", ErrInvalidListing, i)
		}
		i += 5
	}
	return nil
}
