//go:build !unix

package treehash

import "io/fs"

// inodeOf returns 0: inode numbers are not available on this platform, so
// the stat cache keys on path, size and modification time only.
func inodeOf(fs.FileInfo) uint64 { return 0 }
