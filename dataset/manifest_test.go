package dataset

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func dg(n int) string { return fmt.Sprintf("sha256:%064x", n) }

func TestManifestEncoding(t *testing.T) {
	m := &Manifest{Entries: []Entry{
		{Path: "a.csv", Size: 3, Digest: dg(1), Mode: 0o644},
		{Path: "a/b", Size: 0, Digest: dg(2), Mode: 0o755},
		{Path: "ü", Size: 9, Digest: "md5:" + strings.Repeat("ab", 16), Mode: 0o600},
	}}
	data, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":1,"entries":[{"path":"a.csv","size":3,"digest":"` + dg(1) + `","mode":420},{"path":"a/b","size":0,"digest":"` + dg(2) + `","mode":493},{"path":"ü","size":9,"digest":"md5:` + strings.Repeat("ab", 16) + `","mode":384}]}`
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("encoding (-want +got):\n%s", diff)
	}
	// The manifest digest is the SHA-256 of those bytes, as sha256sum says.
	p := filepath.Join(t.TempDir(), "manifest.json")
	os.WriteFile(p, data, 0o644)
	if got, want := m.Digest(), coreutilsSum(t, SHA256, p); got != want {
		t.Errorf("Digest() = %s, sha256sum says %s", got, want)
	}
	back, err := ParseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if e, ok := m.Lookup("a/b"); !ok || e.Digest != dg(2) {
		t.Errorf("Lookup(a/b) = %+v, %v", e, ok)
	}
	if _, ok := m.Lookup("a"); ok {
		t.Error("Lookup(a) found a directory")
	}
	if m.Size() != 12 {
		t.Errorf("Size() = %d", m.Size())
	}
	empty, _ := (&Manifest{}).MarshalJSON()
	if string(empty) != `{"version":1,"entries":[]}` {
		t.Errorf("empty manifest encodes as %s", empty)
	}
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Fatal(err)
	}
}

func TestParseManifestRejects(t *testing.T) {
	entry := func(path, digest string, size int64, mode int) string {
		return fmt.Sprintf(`{"path":%q,"size":%d,"digest":%q,"mode":%d}`, path, size, digest, mode)
	}
	doc := func(entries ...string) string {
		return `{"version":1,"entries":[` + strings.Join(entries, ",") + `]}`
	}
	tests := []struct {
		name, in string
		want     error
	}{
		{"not json", `{`, ErrInvalidManifest},
		{"trailing", doc() + "{}", ErrInvalidManifest},
		{"unknown field", `{"version":1,"entries":[],"x":1}`, ErrInvalidManifest},
		{"newer version", `{"version":2,"entries":[]}`, ErrUnsupported},
		{"unsorted", doc(entry("b", dg(1), 1, 420), entry("a", dg(1), 1, 420)), ErrInvalidManifest},
		{"duplicate", doc(entry("a", dg(1), 1, 420), entry("a", dg(1), 1, 420)), ErrInvalidManifest},
		{"file and dir", doc(entry("a", dg(1), 1, 420), entry("a.txt", dg(1), 1, 420), entry("a/b", dg(1), 1, 420)), ErrInvalidManifest},
		{"escape", doc(entry("../a", dg(1), 1, 420)), ErrInvalidPath},
		{"absolute", doc(entry("/a", dg(1), 1, 420)), ErrInvalidPath},
		{"bad digest", doc(entry("a", "sha256:xyz", 1, 420)), ErrInvalidDigest},
		{"upper-case digest", doc(entry("a", strings.ToUpper(dg(1)), 1, 420)), ErrInvalidDigest},
		{"unknown algorithm", doc(entry("a", "sha1:"+strings.Repeat("a", 40), 1, 420)), ErrInvalidDigest},
		{"negative size", doc(entry("a", dg(1), -1, 420)), ErrInvalidManifest},
		{"mode bits", doc(entry("a", dg(1), 1, 0o4755)), ErrInvalidManifest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseManifest([]byte(tt.in))
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
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

func TestDiff(t *testing.T) {
	e := func(p string, d int, mode uint32) Entry {
		return Entry{Path: p, Size: 1, Digest: dg(d), Mode: os.FileMode(mode)}
	}
	from := &Manifest{Entries: []Entry{e("a", 1, 0o644), e("b", 2, 0o644), e("c", 3, 0o644), e("d", 4, 0o644)}}
	to := &Manifest{Entries: []Entry{e("a", 1, 0o644), e("b", 9, 0o644), e("c", 3, 0o755), e("e", 5, 0o644)}}
	want := Changes{Added: []string{"e"}, Modified: []string{"b", "c"}, Deleted: []string{"d"}, Unchanged: []string{"a"}}
	if diff := cmp.Diff(want, Diff(from, to)); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
	all := []string{"a", "b", "c", "d"}
	for _, tc := range []struct {
		name     string
		from, to *Manifest
		want     Changes
	}{
		{"itself", from, from, Changes{Unchanged: all}},
		{"from empty", &Manifest{}, from, Changes{Added: all}},
		{"to empty", from, &Manifest{}, Changes{Deleted: all}},
		{"from nil", nil, from, Changes{Added: all}},
		{"to nil", from, nil, Changes{Deleted: all}},
		{"both nil", nil, nil, Changes{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Diff(tc.from, tc.to)); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"version":1,"entries":[{"path":"a","size":1,"digest":"` + dg(1) + `","mode":420}]}`))
	f.Add([]byte(`{"version":1,"entries":[{"path":"../a","size":-1,"digest":"md5:00","mode":0}]}`))
	f.Add([]byte(`{"version":1,"entries":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidManifest) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		out, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseManifest(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if again.Digest() != m.Digest() {
			t.Fatal("digest changed over a round trip")
		}
	})
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
