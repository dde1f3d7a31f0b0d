//go:build !linux

package treehash

import (
	"io"
	"os"
)

// openFile opens path for reading.
func openFile(path string) (io.ReadCloser, error) { return os.Open(path) }

// mapFile never maps on this platform: files are read.
func mapFile(io.Reader, int64) ([]byte, func(), bool) { return nil, nil, false }

// sizeNow is not needed without mapping.
func sizeNow(io.Reader) int64 { return -1 }
