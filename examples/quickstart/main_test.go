package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestQuickstart runs the whole tour, as `go run ./examples/quickstart`
// does, and checks that every step reported in.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), t.TempDir(), &out); err != nil {
		t.Fatalf("quickstart failed: %v\n%s", err, out.String())
	}
	for _, s := range steps {
		if !strings.Contains(out.String(), "== "+s.name+"\n") {
			t.Errorf("output lacks step %q", s.name)
		}
	}
	if !strings.Contains(out.String(), "Done in") {
		t.Errorf("quickstart did not finish:\n%s", out.String())
	}
}
