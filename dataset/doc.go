// Package dataset versions data at the speed of the hardware: it
// describes a tree as a manifest, commits trees as named, numbered dataset
// versions in a content-addressed artifact store, and checks versions out
// again, verifying every byte.
//
// # Hashing
//
// Trees are hashed by package treehash: in parallel, with a persisted stat
// cache (treehash.Cache, set in Options.Cache) that skips unchanged files,
// under the rules that package states for symbolic links, special files
// and file names (treehash.ValidatePath), so a manifest can always be
// checked out on another machine. Its errors come out of this package's
// calls under this package's names (ErrInvalidPath, ErrSymlink,
// ErrSpecialFile, ErrChanged are treehash's values).
//
// # Manifests
//
// A Manifest lists entries (path, size, digest, permission bits) sorted by
// path; NewManifest makes one from the files treehash hashed. Every digest
// is an artifact.Digest ("sha256:<hex>", the name of the file's bytes in
// the artifact store), and so is the manifest's own: the SHA-256 of its
// canonical JSON encoding, which identifies a version (Version.Manifest).
// ParseManifest rejects unknown fields, unsorted or duplicate paths, a path
// that is both a file and a directory, digests that are not canonical
// SHA-256 (ErrInvalidDigest, which is artifact.ErrInvalidDigest) and unsafe
// paths. Diff compares two manifests (added, modified, deleted,
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
// ErrUnsupported, the same values as the registry's and pipeline's). A
// manifest missing from the store is ErrNotFound and artifact.ErrNotFound.
// Commit uploads only what the store lacks, checking existence and
// uploading in parallel under the digests just computed; Versions lists, Resolve finds a version
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
// Store is safe for concurrent use. Every goroutine it starts belongs to
// one call and ends before it returns.
//
// # Performance
//
// Hashing is treehash's; its package documentation says how a tree is
// hashed at the speed of the hardware and re-hashed for little more than
// a stat per file. Commit checks existence and uploads in parallel; a
// manifest is built from hashed files in three allocations whatever their
// number. The figures, with the command for each, are in BENCHMARKS.md at
// the repository's root.
//
// # Testing
//
// Package datasettest gives a ready Store on mem:// in one call
// (datasettest.New, datasettest.NewVersion), corrupts stored bytes for
// failure tests (datasettest.Corrupt), and lists what a Store asks an
// Authorizer (datasettest.Consumer) for rbactest.RunConformance.
package dataset
