package main

import (
	"context"
	"path/filepath"
	"testing"
)

// TestRun runs the sweep on mem:// and on a file:// bucket.
func TestRun(t *testing.T) {
	for _, url := range []string{"mem://", "file://" + filepath.ToSlash(t.TempDir())} {
		t.Run(url[:4], func(t *testing.T) {
			if err := run(context.Background(), url, ""); err != nil {
				t.Fatal(err)
			}
		})
	}
}
