package dataset

import (
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset/internal/testtree"
	"github.com/sextant-ml/sextant/dataset/treehash"
)

// sha256sum runs sha256sum on path and returns the digest it prints.
func sha256sum(t testing.TB, path string) artifact.Digest {
	t.Helper()
	return artifact.Digest("sha256:" + testtree.Coreutils(t, "sha256sum", path))
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
