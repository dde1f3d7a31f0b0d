package dataset

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset/treehash"
)

// sha256sum runs sha256sum on path and returns the digest it prints.
func sha256sum(t testing.TB, path string) artifact.Digest {
	t.Helper()
	out, err := exec.Command("sha256sum", path).Output()
	if err != nil {
		t.Fatalf("sha256sum %s: %v", path, err)
	}
	hexsum, _, _ := strings.Cut(string(out), " ")
	return artifact.Digest("sha256:" + hexsum)
}

func randomBytes(seed uint64, n int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	return b
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// hashManifest hashes dir into a manifest as a Store does.
func hashManifest(t testing.TB, dir string) *Manifest {
	t.Helper()
	h, err := treehash.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	files, err := h.HashDir(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewManifest(files)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
