//go:build unix

package treehash

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/dataset/internal/testtree"
)

func TestHashDirLinksAndSpecialFiles(t *testing.T) {
	outside := t.TempDir()
	testtree.WriteFile(t, filepath.Join(outside, "secret"), []byte("secret"))
	mk := func(t *testing.T, link, target string) string {
		dir := t.TempDir()
		testtree.WriteFile(t, filepath.Join(dir, "data", "real.txt"), []byte("real"))
		if link != "" {
			if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	tests := []struct {
		name    string
		link    string
		target  string
		policy  SymlinkPolicy
		wantErr error
		want    []string
	}{
		{"reject", "data/ln", "real.txt", SymlinkReject, ErrSymlink, nil},
		{"skip", "data/ln", "real.txt", SymlinkSkip, nil, []string{"data/real.txt"}},
		{"follow inside", "data/ln", "real.txt", SymlinkFollow, nil, []string{"data/ln", "data/real.txt"}},
		{"follow escape", "data/ln", filepath.Join(outside, "secret"), SymlinkFollow, ErrInvalidPath, nil},
		{"follow relative escape", "data/ln", "../../" + filepath.Base(outside) + "/secret", SymlinkFollow, ErrInvalidPath, nil},
		{"follow directory", "dirlink", "data", SymlinkFollow, ErrSymlink, nil},
		{"follow dangling", "data/ln", "nope", SymlinkFollow, ErrInvalidPath, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := mk(t, tt.link, tt.target)
			h := newHasher(t, &Options{Symlinks: tt.policy})
			m, err := h.HashDir(t.Context(), dir)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			var got []string
			for _, e := range m {
				got = append(got, e.Path)
				if want := coreutilsSum(t, SHA256, filepath.Join(dir, "data", "real.txt")); e.Sum.String() != want {
					t.Errorf("%s: digest %s, want the target's %s", e.Path, e.Sum, want)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("fifo", func(t *testing.T) {
		dir := mk(t, "", "")
		if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := newHasher(t, nil).HashDir(t.Context(), dir); !errors.Is(err, ErrSpecialFile) {
			t.Errorf("fifo: %v, want ErrSpecialFile", err)
		}
		m, err := newHasher(t, &Options{SkipSpecial: true}).HashDir(t.Context(), dir)
		if err != nil || len(m) != 1 {
			t.Errorf("fifo skipped: %v, %d entries", err, len(m))
		}
	})
}
