package artifact

import (
	"errors"
	"net/url"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// FuzzValidateKey checks the key validator against the properties that
// make a key safe on every backend: whatever it accepts is a canonical,
// relative, slash-separated path that cannot climb out of its prefix, means
// the same before and after URL decoding, and has no characters a backend
// or file system would treat specially. The seeds include the path tricks
// behind MLflow's CVE-2023-1177, CVE-2023-2356, CVE-2023-6831 and
// CVE-2024-1560.
func FuzzValidateKey(f *testing.F) {
	for _, s := range []string{
		"cas/sha256/ab/cdef", "registry/model/log/00000000000000000001.json",
		"", ".", "..", "../etc/passwd", "a/../../b", "a/./b", "a//b", "/abs", "a/",
		"%2e%2e/x", "..%2fx", "%252e%252e%252fx", "a%5cb", `..\..\windows`, `a\b`,
		"C:/x", "file:///etc/passwd", "a\x00b", "a\nb", "\x7f", "a\u0085b",
		"..\u2215x", "ｆｕｌｌ/width", "naïve/ключ", "a/\ufffd", string([]byte{0xff, 'a'}),
		strings.Repeat("a/", 600),
	} {
		f.Add(s)
	}
	root := filepath.FromSlash("/srv/bucket")
	f.Fuzz(func(t *testing.T, key string) {
		err := ValidateKey(key)
		if err != nil {
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("ValidateKey(%q) = %v, want ErrInvalidKey", key, err)
			}
			if !strings.HasPrefix(err.Error(), "artifact: ") {
				t.Fatalf("error %q lacks the package prefix", err)
			}
			return
		}
		if path.Clean(key) != key || path.IsAbs(key) {
			t.Fatalf("accepted non-canonical or absolute key %q", key)
		}
		for seg := range strings.SplitSeq(key, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("accepted key %q with segment %q", key, seg)
			}
		}
		if strings.ContainsAny(key, "\\%:\x00") {
			t.Fatalf("accepted key %q with a special character", key)
		}
		for _, r := range key {
			if unicode.IsControl(r) || r == unicode.ReplacementChar {
				t.Fatalf("accepted key %q with control or invalid character %U", key, r)
			}
		}
		if dec, err := url.PathUnescape(key); err != nil || dec != key {
			t.Fatalf("key %q changes under URL decoding to %q (%v)", key, dec, err)
		}
		full := filepath.Join(root, filepath.FromSlash(key))
		if rel, err := filepath.Rel(root, full); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			t.Fatalf("key %q escapes the bucket root: %s", key, full)
		}
		if len(key) > maxKeyLen {
			t.Fatalf("accepted key of %d bytes", len(key))
		}
	})
}
