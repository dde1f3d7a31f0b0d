// Package treehash hashes files and directory trees at the speed of the
// hardware, in parallel, with a persisted stat cache that skips unchanged
// files. Package dataset builds its manifests on it and package dvc its
// DVC hashes; it depends on neither, nor on any storage.
//
// # Hashing
//
// A Hasher digests a file (HashFile), a directory (HashDir), any fs.FS
// (HashFS) or a stream (HashReader). SHA-256 is the default; MD5 is there
// for DVC. A Sum holds a digest's raw bytes and prints as
// "<algorithm>:<hex>" (the form of artifact.Digest for SHA-256) or as bare
// hex (Hex, DVC's form); it has a fixed size and no pointer, so a tree of
// a million files costs no allocation per digest. Files are hashed by a
// bounded pool of workers (default GOMAXPROCS), largest first, each
// streaming its file through a 1 MiB buffer; file status is also read in
// parallel. Progress reports files and bytes done against the totals.
//
// What a tree may contain is decided, not accidental. Regular files are
// hashed; directories are implied by their files (empty ones are not
// listed). Symbolic links are rejected by default (ErrSymlink), skipped,
// or followed when their target is a regular file inside the root
// (SymlinkPolicy; a target outside the root is ErrInvalidPath, a link to a
// directory is ErrSymlink, which also rules out cycles). Devices, pipes and
// sockets are ErrSpecialFile unless skipped. A file name that is not a
// valid path (ValidatePath: relative, clean, slash-separated UTF-8 without
// backslashes, control characters (C0, DEL and C1) or U+FFFD, the same
// character rule artifact keys follow) is ErrInvalidPath, so a listing can
// always be written out on another machine. HashDir and HashFS return the
// files sorted by path, byte-wise.
//
// # The stat cache
//
// A Cache remembers digests keyed by (absolute path, size, modification
// time in nanoseconds, inode), as DVC's state database and Git's index do:
// an unchanged file is not read again, while a touched file, a file
// rewritten with another size within the same timestamp, or a file
// replaced by rename (new inode) is. A file modified less than the
// cache's Granularity (default 2 s) before it was hashed is not
// remembered, since a later write within the same timestamp could go
// unseen. The cache lives by default at
// <os.UserCacheDir()>/sextant/statcache, in a compact binary file
// (prefix-compressed paths, CRC-32C) that Save writes to a temporary file
// and renames into place, merging what other processes saved meanwhile,
// and only when something changed.
//
// # Concurrency
//
// Hasher and Cache are safe for concurrent use. Every goroutine a Hasher
// starts belongs to one call and ends before it returns.
//
// # Performance
//
// Large files are hashed straight from the page cache through a read-only
// memory map (no copy), on as many workers as there are cores, so hashing
// spends about crypto/sha256's own CPU time per byte. Each hashing
// benchmark (HashLarge, HashSmall, HashTiny) times, in the same
// iterations of one run, HashDir with no cache, sha256sum over the same
// files, crypto/sha256 on one goroutine over as many bytes in memory, and
// a re-hash of the unchanged tree through a warm Cache, and reports CPU
// time as well as wall time, which depends more on what else the machine
// runs.
//
// An unchanged file costs one status read: files are statted relative to
// an open descriptor of their directory (fstatat) instead of by absolute
// path, into plain fields rather than an fs.FileInfo; cache hits are
// resolved in one loop without the worker pool, each lookup starting where
// the previous one ended (the cache file is sorted as a walk meets the
// files); results already in path order are not sorted again; and Save
// writes nothing when no entry changed. The cache file is read in one call
// and decoded into one slice of entries and one string of paths, neither
// of which the garbage collector has to scan. So a re-hash run as a new
// process is little more than the walk and the stat per file, which DVC's
// state database and Git's index need too: nothing cheaper tells that a
// file is unchanged. On files of a few KiB, where system calls rather than
// hashing dominate the first pass too, no stat-based cache can make the
// re-hash 20x faster than the first pass; the fair comparison for a
// re-hash is a walk that only stats every file, which bench/cmd/rehash
// times as two processes.
//
// BenchmarkSparseMultiGiB hashes a 5 GiB sparse file and checks the digest
// against sha256sum. The figures, with the command for each, are in
// BENCHMARKS.md at the repository's root.
package treehash
