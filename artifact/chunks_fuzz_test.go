package artifact

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"
)

// FuzzDecodeIndex feeds arbitrary bytes to the chunk index parser: it must
// accept only an index that re-encodes to the same bytes, and reject the
// rest with errIndex.
func FuzzDecodeIndex(f *testing.F) {
	p := content(3*chunkSize+5, 1)
	d := FromBytes(p)
	h := newChainHasher(chunkSize)
	h.Write(p)
	good := h.index(d)
	f.Add(good, int64(len(p)))
	f.Add(good[:len(good)-1], int64(len(p)))
	f.Add(good, int64(len(p)+1))
	f.Add([]byte("SXTC"), int64(2*chunkSize))
	f.Add(encodeIndex(d, 2*minChunkSize+1, minChunkSize, make([]byte, 2*sha256.Size)), int64(2*minChunkSize+1))
	f.Fuzz(func(t *testing.T, b []byte, size int64) {
		idx, err := decodeIndex(b, d, size)
		if err != nil {
			if !errors.Is(err, errIndex) {
				t.Fatalf("error %v does not match errIndex", err)
			}
			return
		}
		if again := encodeIndex(d, size, idx.chunk, idx.chain); !bytes.Equal(again, b) {
			t.Fatalf("accepted an index that does not re-encode to itself")
		}
	})
}

// TestChainHasherIndex checks the index against chaining values computed
// by hashing each prefix separately.
func TestChainHasherIndex(t *testing.T) {
	if !chainSupported() {
		t.Fatal("this build's SHA-256 does not expose its state")
	}
	p := content(2*chunkSize+10, 2)
	h := newChainHasher(chunkSize)
	for _, step := range []int{1, 1000, 300000} { // writes that straddle boundaries
		h.Hash.Reset()
		*h = *newChainHasher(chunkSize)
		for q := p; len(q) > 0; {
			k := min(step, len(q))
			h.Write(q[:k])
			q = q[k:]
		}
		idx, err := decodeIndex(h.index(FromBytes(p)), FromBytes(p), int64(len(p)))
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			ref := sha256.New()
			ref.Write(p[:(i+1)*chunkSize])
			var scratch []byte
			want, _ := chainValue(nil, ref, int64((i+1)*chunkSize), &scratch)
			if got := idx.chain[i*32 : (i+1)*32]; !bytes.Equal(got, want) {
				t.Fatalf("step %d: boundary %d: %x, want %x", step, i, got, want)
			}
		}
	}
}
