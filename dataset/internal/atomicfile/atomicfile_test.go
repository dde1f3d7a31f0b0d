package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	write := func(rel, content string, fail error) error {
		return Write(root, rel, 0o640, func(w io.Writer) error {
			if _, err := io.WriteString(w, content); err != nil {
				return err
			}
			return fail
		})
	}
	if err := write("a/b/c.txt", "one", nil); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := write("a/b/c.txt", "two, cut short", boom); !errors.Is(err, boom) {
		t.Fatalf("failed fill: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "a", "b", "c.txt"))
	if err != nil || string(data) != "one" {
		t.Errorf("after a failed write: %q, %v; want the old content", data, err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "a", "b", "c.txt")); fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", fi.Mode())
	}
	if err := write("fresh", "x", boom); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "fresh")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed first write left a file: %v", err)
	}
	for _, rel := range []string{"../escape", "/abs"} {
		if err := write(rel, "x", nil); err == nil {
			t.Errorf("write to %q succeeded", rel)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "escape")); err == nil {
		t.Error("file written outside the root")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "a", "b"))
	for _, e := range entries {
		if IsTemp(e.Name()) {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	if !IsTemp("x/"+TempPrefix+"abc-f") || IsTemp("x/f") {
		t.Error("IsTemp misclassifies")
	}
}
