// Package testtree writes and reads small directory trees for tests, as
// maps of slash-separated paths to contents.
package testtree

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Write writes files under dir, creating directories as needed.
func Write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Read returns every regular file under dir.
func Read(t testing.TB, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		got[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// WriteFile writes data to path, creating its directory as needed.
func WriteFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Random returns n bytes from a ChaCha8 stream keyed by seed: the same
// bytes for the same seed, on every platform.
func Random(seed uint64, n int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	return b
}

// Coreutils runs a coreutils checksum program (sha256sum, md5sum) on path
// and returns the hex digest it prints: the reference the tests check
// hashes against.
func Coreutils(t testing.TB, program, path string) string {
	t.Helper()
	out, err := exec.Command(program, path).Output()
	if err != nil {
		t.Fatalf("%s %s: %v", program, path, err)
	}
	hexsum, _, _ := strings.Cut(string(out), " ")
	return hexsum
}
