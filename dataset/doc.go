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
// backslashes or control characters) is ErrInvalidPath, so a manifest can
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
// number of processes get distinct consecutive numbers). Commit uploads
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
// # PERFORMANCE
//
// # Testing
//
// Package datasettest gives a ready Store on mem:// in one call
// (datasettest.New, datasettest.NewCommitted), corrupts stored bytes for
// failure tests (datasettest.Corrupt), and checks Authorizer
// implementations (datasettest.RunConformance).
package dataset
