package memtest

import "testing"

var sink []byte

func TestAllocated(t *testing.T) {
	const n = 1 << 20
	got := Allocated(func() { sink = make([]byte, n) })
	if got < n || got > 2*n {
		t.Fatalf("Allocated of a %d-byte slice = %d", n, got)
	}
	if got := Allocated(func() {}); got > 4096 {
		t.Fatalf("Allocated of nothing = %d", got)
	}
}
