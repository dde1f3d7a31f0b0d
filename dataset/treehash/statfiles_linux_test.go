//go:build linux

package treehash

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestStatFiles checks the fstatat path against os.Lstat, and that a file
// gone or turned into something else since the walk is reported.
func TestStatFiles(t *testing.T) {
	dir := t.TempDir()
	testTreeFiles := map[string]string{"a": "1", "sub/b": "22", "sub/c": "333", "d": ""}
	for name, content := range testTreeFiles {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	h := newHasher(t, nil)
	var jobs []job
	for _, name := range []string{"a", "d", "sub/b", "sub/c"} {
		jobs = append(jobs, job{rel: name, abs: filepath.Join(dir, filepath.FromSlash(name))})
	}
	if err := h.statFiles(t.Context(), jobs); err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		want, err := os.Lstat(j.abs)
		if err != nil {
			t.Fatal(err)
		}
		got := j.st
		if !j.statted || got != statOf(want) || got.ino == 0 || got.size != want.Size() ||
			got.mtime != want.ModTime().UnixNano() || got.perm != want.Mode().Perm() {
			t.Errorf("%s: statFiles says %+v (statted %v); lstat says size %d mtime %v inode %d mode %v",
				j.rel, got, j.statted, want.Size(), want.ModTime(), inodeOf(want), want.Mode().Perm())
		}
	}

	os.Remove(filepath.Join(dir, "sub", "c"))
	os.Mkdir(filepath.Join(dir, "sub", "c"), 0o755)
	err := h.statFiles(t.Context(), []job{{rel: "sub/c", abs: filepath.Join(dir, "sub", "c")}})
	if !errors.Is(err, ErrChanged) {
		t.Errorf("file replaced by a directory: %v, want ErrChanged", err)
	}
	err = h.statFiles(t.Context(), []job{{rel: "gone", abs: filepath.Join(dir, "gone")}})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}
