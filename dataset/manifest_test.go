package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset/internal/testtree"
	"github.com/sextant-ml/sextant/dataset/treehash"
)

func dg(n int) string { return fmt.Sprintf("sha256:%064x", n) }

func dd(n int) artifact.Digest { return artifact.Digest(dg(n)) }

func TestManifestEncoding(t *testing.T) {
	m := &Manifest{Entries: []Entry{
		{Path: "a.csv", Size: 3, Digest: dd(1), Mode: 0o644},
		{Path: "a/b", Size: 0, Digest: dd(2), Mode: 0o755},
		{Path: "ü", Size: 9, Digest: "sha256:" + artifact.Digest(strings.Repeat("ab", 32)), Mode: 0o600},
	}}
	data, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":1,"entries":[{"path":"a.csv","size":3,"digest":"` + dg(1) + `","mode":420},{"path":"a/b","size":0,"digest":"` + dg(2) + `","mode":493},{"path":"ü","size":9,"digest":"sha256:` + strings.Repeat("ab", 32) + `","mode":384}]}`
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Errorf("encoding (-want +got):\n%s", diff)
	}
	// The manifest digest is the SHA-256 of those bytes, as sha256sum says.
	p := filepath.Join(t.TempDir(), "manifest.json")
	os.WriteFile(p, data, 0o644)
	if got, want := m.Digest(), sha256sum(t, p); got != want {
		t.Errorf("Digest() = %s, sha256sum says %s", got, want)
	}
	back, err := ParseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if e, ok := m.Lookup("a/b"); !ok || e.Digest != dd(2) {
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

func TestDiff(t *testing.T) {
	e := func(p string, d int, mode uint32) Entry {
		return Entry{Path: p, Size: 1, Digest: dd(d), Mode: os.FileMode(mode)}
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

// TestManifestGolden decodes manifests as earlier versions of this package
// wrote them (testdata/manifest-v1.json: digests as "sha256:<hex>"
// strings) and checks that they encode back byte for byte, so their
// digests, which name dataset versions, do not change.
func TestManifestGolden(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "manifest-v1.json"))
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.TrimSuffix(string(data), "\n"))
	m, err := ParseManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(data), string(out)); diff != "" {
		t.Errorf("re-encoding (-file +encoded):\n%s", diff)
	}
	if got, want := m.Digest(), artifact.FromBytes(data); got != want {
		t.Errorf("Digest() = %s, want %s", got, want)
	}
	if len(m.Entries) != 3 || m.Entries[2].Digest.Hex() == "" {
		t.Errorf("entries %+v", m.Entries)
	}
	// A Version and a log record carry the manifest digest as a JSON string.
	v, err := json.Marshal(Version{Dataset: "d", Number: 1, Manifest: m.Digest()})
	if err != nil {
		t.Fatal(err)
	}
	if want := `"manifest":"` + string(m.Digest()) + `"`; !strings.Contains(string(v), want) {
		t.Errorf("version encodes as %s, want it to hold %s", v, want)
	}
}

// TestManifestRejectsOtherAlgorithms: a manifest names contents of the
// artifact store, so only SHA-256 digests belong in it, from a file or
// from a hasher of another algorithm.
func TestManifestRejectsOtherAlgorithms(t *testing.T) {
	doc := `{"version":1,"entries":[{"path":"a","size":1,"digest":"md5:` + strings.Repeat("ab", 16) + `","mode":420}]}`
	if _, err := ParseManifest([]byte(doc)); !errors.Is(err, ErrInvalidDigest) || !errors.Is(err, artifact.ErrInvalidDigest) {
		t.Errorf("md5 entry: %v, want ErrInvalidDigest", err)
	}
	h, err := treehash.New(&treehash.Options{Algorithm: treehash.MD5})
	if err != nil {
		t.Fatal(err)
	}
	files, err := h.HashFS(t.Context(), fstest.MapFS{"a": {Data: []byte("a")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewManifest(files); !errors.Is(err, ErrInvalidDigest) {
		t.Errorf("NewManifest of md5 sums: %v, want ErrInvalidDigest", err)
	}
}

func TestNewManifest(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{"a.b": "1", "a/c": "22", "z": ""} {
		testtree.WriteFile(t, filepath.Join(dir, filepath.FromSlash(name)), []byte(data))
	}
	m := hashManifest(t, dir)
	var got []string
	for _, e := range m.Entries {
		if want := sha256sum(t, filepath.Join(dir, filepath.FromSlash(e.Path))); e.Digest != want {
			t.Errorf("%s: %s, sha256sum says %s", e.Path, e.Digest, want)
		}
		got = append(got, e.Path)
	}
	if diff := cmp.Diff([]string{"a.b", "a/c", "z"}, got); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
	// Files out of order are refused, as ParseManifest refuses them.
	files := []treehash.File{{Path: "b"}, {Path: "a"}}
	if _, err := NewManifest(files); !errors.Is(err, ErrInvalidManifest) {
		t.Errorf("unsorted files: %v, want ErrInvalidManifest", err)
	}
}
