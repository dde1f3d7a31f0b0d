// Package dataset versions data at the speed of the hardware: it hashes
// files and trees in parallel with a persisted stat cache, describes a tree
// as a manifest, commits trees as named, numbered dataset versions in a
// content-addressed artifact store, and checks versions out again,
// verifying every byte.
//
// # Hashing
//
// A Hasher digests a file, a directory (HashDir) or any fs.FS (HashFS).
// Digests are SHA-256 written "sha256:<hex>" as OCI does; MD5 ("md5:<hex>")
// is available for DVC interoperability (see package dvc). Files are hashed
// by a bounded pool of workers (default GOMAXPROCS), largest first, each
// streaming its file through a 1 MiB buffer; file status is also read in
// parallel. Progress reports files and bytes done against the totals.
//
// A StatCache remembers digests keyed by (absolute path, size, modification
// time in nanoseconds, inode), as DVC's state database and Git's index do:
// an unchanged file is not read again, while a touched file, a file
// rewritten with another size within the same timestamp, or a file
// replaced by rename (new inode) is. A file modified less than the
// cache's Granularity (default 2 s) before it was hashed is not remembered,
// since a later write within the same timestamp could go unseen. The cache
// lives by default at <os.UserCacheDir()>/sextant/statcache, in a compact
// binary file (prefix-compressed paths, CRC-32C) that Save writes to a
// temporary file and renames into place, merging what other processes
// saved meanwhile.
//
// What a tree may contain is decided, not accidental. Regular files are
// hashed; directories are implied by their files (empty ones are not
// recorded). Symbolic links are rejected by default (ErrSymlink), skipped,
// or followed when their target is a regular file inside the root
// (SymlinkPolicy; a target outside the root is ErrInvalidPath, a link to a
// directory is ErrSymlink, which also rules out cycles). Devices, pipes and
// sockets are ErrSpecialFile unless skipped. A file name that is not a
// valid path (ValidatePath: relative, clean, slash-separated UTF-8 without
// backslashes, control characters (C0, DEL and C1) or U+FFFD, the same
// character rule artifact keys follow) is ErrInvalidPath, so a manifest can
// always be checked out on another machine.
//
// # Manifests
//
// A Manifest lists entries (path, size, digest, permission bits) sorted by
// path. Its canonical JSON encoding is hashed into its own digest, which
// identifies a version. ParseManifest rejects unknown fields, unsorted or
// duplicate paths, a path that is both a file and a directory, bad digests
// and unsafe paths. Diff compares two manifests (added, modified, deleted,
// unchanged).
//
// # Versions
//
// A Store keeps versions on one bucket: file contents and manifests in an
// artifact.Store (so bytes shared with models or other versions are stored
// once), and per dataset an append-only log under datasets/<name> (package
// internal/logstore: create-only entries, so concurrent commits from any
// number of processes get distinct consecutive numbers; every 64 entries
// the folded state is written as a checkpoint, so a new reader starts from
// it rather than from the first entry; a checkpoint that does not decode,
// breaks an invariant or has a newer format is skipped with a warning on
// the Logger and the versions are folded from the log, losing nothing; a
// damaged log entry fails with ErrCorruptLog, one from a newer writer with
// ErrUnsupported, the same values as the registry's and pipeline's). Commit uploads
// only what the store lacks, checking existence and uploading in parallel
// under the digests just computed; Versions lists, Resolve finds a version
// by number ("3", "v3"), tag or "latest"; Tag moves a tag. Checkout and
// Pull write a version into a directory: files already present with the
// right digest are kept, every other file is streamed through a verifying
// reader into a temporary file renamed into place only when complete and
// correct, so a corrupt object fails with ErrDigestMismatch and an
// interrupted checkout leaves each file as it was or complete (a killed
// process may leave a temporary file named with atomicfile's prefix,
// ".sextant-tmp-", which Status ignores). Status compares a directory with
// a version; Diff compares two versions. An Authorizer in Options is asked
// before each operation.
//
// # Interoperability and validation
//
// Package dvc reads and writes DVC 3 .dvc files, computes DVC's directory
// hashes byte for byte, and pushes to and pulls from DVC remotes. Package
// table reads CSV and JSON Lines streams into rows or typed columns; package
// schema infers schemas from reference data and validates streams against
// them with named anomalies.
//
// # Concurrency
//
// Hasher, StatCache and Store are safe for concurrent use. Every goroutine
// they start belongs to one call and ends before it returns.
//
// # Performance
//
// Large files are hashed straight from the page cache through a read-only
// memory map (no copy), on as many workers as there are cores, so hashing
// spends about crypto/sha256's own CPU time per byte. Each hashing
// benchmark (HashLarge, HashSmall, HashTiny) times, in the same iterations
// of one run, HashDir with no cache, sha256sum over the same files,
// crypto/sha256 on one goroutine over as many bytes in memory, and a re-hash
// of the unchanged tree through a warm StatCache, and reports CPU time as
// well as wall time, which depends more on what else the machine runs.
//
// An unchanged file costs one status read: files are statted relative to
// an open descriptor of their directory (fstatat) instead of by absolute
// path, cache hits are resolved in one loop without the worker pool, a
// plain file's job carries no closure, a hit's digest is formatted in one
// allocation, and Save writes nothing when no entry changed. The persisted
// cache is decoded straight from the file's bytes with one allocation per
// entry (its path), so a re-hash run as a new process is the walk and the
// stat per file, as DVC's state database and Git's index need too: nothing
// cheaper tells that a file is unchanged. On files of a few KiB, where
// system calls rather than hashing dominate the first pass too, no
// stat-based cache can make the re-hash 20x faster than the first pass; the
// fair comparison for a re-hash is a walk that only stats every file, which
// bench/cmd/rehash times as two processes.
//
// BenchmarkSparseMultiGiB hashes a 5 GiB sparse file and checks the digest
// against sha256sum. The figures, with the command for each, are in
// BENCHMARKS.md at the repository's root.
//
// # Testing
//
// Package datasettest gives a ready Store on mem:// in one call
// (datasettest.New, datasettest.NewCommitted), corrupts stored bytes for
// failure tests (datasettest.Corrupt), and checks Authorizer
// implementations (datasettest.RunConformance).
package dataset
