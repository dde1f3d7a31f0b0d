// Package dvc lets Go services and DVC users share data: it reads and
// writes DVC 3 .dvc files, computes DVC's hashes, and pushes to and pulls
// from a DVC remote on any gocloud bucket.
//
// # Hashes
//
// DVC 3 names a file by the MD5 of its bytes. A directory is named by the
// MD5 of its listing followed by ".dir"; the listing is Python's
// json.dumps of the entries {"md5", "relpath"} sorted by relpath, with
// sort_keys=True, separators ", " and ": ", and non-ASCII characters
// escaped as \uXXXX (UTF-16 surrogate pairs above U+FFFF). EncodeListing
// reproduces those bytes exactly; HashListing hashes them. The files
// foo="foo", bar="bar", nested/file="file" hash to
// 5fc28ea78987408341668eba6525ebd1.dir; testdata/vectors.json holds more
// cases with non-ASCII names, computed by Python (testdata/gen_vectors.py).
//
// # Remotes
//
// A DVC 3 remote keeps objects at files/md5/<first 2 hex>/<other 30>,
// listings under the directory hash. Remote.Push uploads a file or a
// directory in that layout (only missing objects, listing last) and returns
// the Out for a .dvc file, so that `dvc pull` in a Python checkout fetches
// what a Go service pushed. Remote.Pull fetches what a .dvc file names,
// verifying every object's MD5, refusing listings with unsafe paths
// (absolute, "..", NUL; see Paths), keeping files already
// present with the right MD5, and writing through temporary files renamed
// into place.
//
// A listing is read into memory whole, so its size is bounded:
// Options.MaxListingBytes, by default DefaultMaxListingBytes (64 MiB, some
// 500,000 files). A remote whose listing claims more fails with
// ErrListingTooLarge before any of it is read; one that sends more than it
// claims is cut off one byte past the limit, so a hostile remote costs at
// most about twice the limit in memory.
//
// # .dvc files
//
// File.Marshal writes the bytes DVC 3 writes for a new .dvc file (dvc add;
// DVC's own dump is ruamel.yaml's round-trip dumper, YAML 1.2, block
// style, indent 2, width 80). Top-level keys come in DVC's order md5,
// wdir, frozen, deps, outs, meta; each out as md5, size, nfiles, isexec,
// hash, path, desc, type, labels, meta, cache, persist, remote, push,
// leaving out what DVC leaves out: size and nfiles when nil (DVC writes
// "size: 0" for an empty file), isexec and persist unless true, cache and
// push unless false, empty annotations. A string is written plain unless
// YAML 1.2 would read it as another type ('true', 'null', '~', '123', an
// all-digit md5) or plain style cannot hold it (a leading indicator,
// ": " or " #" inside, leading or trailing spaces), then single-quoted,
// or double-quoted with escapes when it holds a quote, a tab, a line
// break or another control character. Long scalars fold at column 80 as
// ruamel folds them. testdata/golden holds one file per case; they were
// checked against the emitter of ruamel.yaml 0.18.6, while DVC itself
// could not be installed to write them. Deps and Meta are Go maps: keys
// DVC orders (md5, size, hash, path, repo, url, rev, rev_lock, ...) come
// in its order, other keys sorted, so a hand-ordered meta mapping is not
// written back in its original order. DVC keeps the comments and layout
// of a .dvc file it rewrites; Marshal writes a fresh file.
//
// Parse reads what DVC reads. String fields (path, md5, hash, wdir, desc,
// type, remote, labels) take the scalar's text whatever it looks like:
// "path: no" is the file "no" (YAML 1.1 would say false), an unquoted
// all-digit md5 is its digits, as DVC's schema coerces it. Booleans are
// true/false only (YAML 1.2; "isexec: yes" is an error), sizes and file
// counts decimal digits. Parse then Marshal then Parse gives the same
// values, and a second Marshal the same bytes.
//
// # Paths
//
// A .dvc path or listing relpath is taken as DVC takes it on Linux: any
// character but NUL, so ':', '\', tabs and newlines are ordinary. It
// must be relative (no leading "/"), valid UTF-8, and made of segments
// that are neither empty nor "." nor "..", so nothing resolves outside
// the .dvc file's directory; Pull also writes through an os.Root. On
// Windows, where '\' separates and ':' names drives and streams, both
// are refused. These paths are not dataset paths: Remote.Push hashes a
// directory with package treehash, which keeps the stricter
// treehash.ValidatePath rule that dataset manifests follow too, and this
// package maps nothing between the two.
//
// # Strictness
//
// Parse accepts DVC 3 files only ("hash: md5" on every out); DVC 2 files
// (no hash field, md5 of dos2unix'd text) fail with ErrUnsupported. Unknown
// fields, duplicate keys, aliases, more than one YAML document, malformed
// MD5s, negative sizes and escaping paths fail with ErrInvalidFile.
// Cloud-versioned outputs are not read.
//
// A Remote is safe for concurrent use.
package dvc
