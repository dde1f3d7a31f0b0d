package treehash

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/dataset/internal/testtree"
)

// TestHashFileUsesCache checks that HashFile answers from the cache for a
// file whose status the cache knows, without reading it: a sum planted in
// the cache for the file's status is what it returns.
func TestHashFileUsesCache(t *testing.T) {
	c, err := NewCache(&CacheOptions{Path: filepath.Join(t.TempDir(), "cache")})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "f")
	testtree.WriteFile(t, p, []byte("content"))
	past(t, p, time.Hour)
	h := newHasher(t, &Options{Cache: c})
	first, err := h.HashFile(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	planted := Sum{alg: h.alg}
	planted.b[0] = 0xAB
	c.store(h.alg, p, statOf(fi), planted, time.Now())
	got, err := h.HashFile(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sum != planted || got.Sum == first.Sum {
		t.Fatalf("HashFile = %s, want the cached %s (first hash %s)", got.Sum, planted, first.Sum)
	}
}
