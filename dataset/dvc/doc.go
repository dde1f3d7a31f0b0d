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
// (absolute, "..", backslashes, control characters), keeping files already
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
// # Strictness
//
// Parse accepts DVC 3 files only ("hash: md5" on every out); DVC 2 files
// (no hash field, md5 of dos2unix'd text) fail with ErrUnsupported. Unknown
// fields, duplicate keys, malformed MD5s, negative sizes and escaping paths
// fail with ErrInvalidFile. Cloud-versioned outputs are not read.
//
// A Remote is safe for concurrent use.
package dvc
