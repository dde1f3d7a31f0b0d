package memtest

import "testing"

var sink []byte

func TestAllocated(t *testing.T) {
	const n = 1 << 20
	got := Allocated(func() { sink = make([]byte, n) })
	if got < n || got > 2*n {
		t.Fatalf("Allocated of a %d-byte slice = %d", n, got)
	}
	// TotalAlloc counts the whole process, so another goroutine (the
	// testing package's, the race detector's) may allocate while f runs.
	// That only ever adds, so the least of a few tries is what f cost.
	least := ^uint64(0)
	for range 5 {
		least = min(least, Allocated(func() {}))
	}
	if least > 4096 {
		t.Fatalf("Allocated of nothing = %d at least, in 5 tries", least)
	}
}
