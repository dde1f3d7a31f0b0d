package dataset

import (
	"fmt"
	"testing"

	"github.com/sextant-ml/sextant/dataset/treehash"
)

// TestManifestOfAllocations checks the bound manifestOf documents: three
// allocations (the digests' string, the entries, the manifest) whatever
// the number of files.
func TestManifestOfAllocations(t *testing.T) {
	for _, n := range []int{1, 1000, 10000} {
		files := make([]treehash.File, n)
		for i := range files {
			// The zero Sum is a SHA-256 one; its bytes do not matter here.
			files[i] = treehash.File{Path: fmt.Sprintf("f%06d", i), Size: int64(i), Mode: 0o644}
		}
		var err error
		allocs := testing.AllocsPerRun(20, func() { _, err = manifestOf(files) })
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d files: %v allocations", n, allocs)
		if allocs != 3 {
			t.Errorf("manifestOf of %d files: %v allocations, want 3", n, allocs)
		}
	}
}
