// Package artifact stores content by its SHA-256 digest on any gocloud.dev
// bucket, verifies it on every read, collects garbage safely, and can
// encrypt it at rest. The registry and dataset packages keep model files
// and data files here, so bytes shared between them are stored once.
//
// # Buckets and URLs
//
// Open takes a bucket URL; New takes a *Bucket (see OpenBucket and
// NewBucket for wrapping a *blob.Bucket you configured yourself, such as an
// S3 client with path-style addressing for MinIO or Ceph). Supported:
//
//	mem://                                  in memory, for tests
//	file:///abs/dir                         a local directory (created if missing)
//	s3://bucket?region=eu-west-1            AWS S3 and S3-compatible stores
//	gs://bucket                             needs: import _ "gocloud.dev/blob/gcsblob"
//	azblob://container                      needs: import _ "gocloud.dev/blob/azureblob"
//
// Any URL may carry prefix=some/dir to place everything under that key
// prefix.
//
// For MinIO, Ceph RGW, versitygw and other S3-compatible servers, the
// s3:// URL takes these parameters of gocloud's s3blob URL opener
// (gocloud.dev v0.47, AWS SDK v2):
//
//	endpoint=http://host:9000   the server's base URL
//	use_path_style=true         path-style addressing (bucket in the path, not the host name);
//	                            s3ForcePathStyle=true is the same, kept from SDK v1
//	disable_https=true          plain HTTP for an endpoint without TLS
//	region=us-east-1            the region to sign requests for (most such servers accept us-east-1)
//
// for example
//
//	s3://models?endpoint=http://127.0.0.1:9000&use_path_style=true&disable_https=true&region=us-east-1
//
// Credentials come from the SDK's usual chain (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, or profile=name for a shared profile). The opener
// also takes hostname_immutable, profile, anonymous, dualstack, fips,
// accelerate, ssetype, kmskeyid, rate_limiter_capacity,
// request_checksum_calculation and response_checksum_validation, and
// rejects any parameter it does not know. Leave
// response_checksum_validation at its default (when_supported): the SDK
// then checks the checksum such servers send with an object, and a
// failure matches ErrDigestMismatch. This package imports the memblob, fileblob and s3blob drivers;
// blank-import gcsblob or azureblob yourself to use Google Cloud Storage or
// Azure Blob Storage, so programs that do not need their SDKs do not build
// them.
//
// # Layout
//
// Content named sha256:abcdef... lives at
//
//	<prefix>/cas/sha256/ab/cdef...
//
// plain content longer than 1 MiB has its chunk index beside it at
//
//	<prefix>/cas/sha256/ab/cdef....chunks
//
// and uploads in flight are at <prefix>/cas/uploads/, which listing ignores and
// GC cleans up after the grace period. Every key passes ValidateKey, the
// one place that rejects "..", absolute paths, backslashes, NUL and control
// characters, '%' (so no encoded separators and no double decoding) and
// ':'. Digests are parsed strictly (ParseDigest) before they become keys.
//
// # Writing and reading
//
// Put streams from an io.Reader in constant memory (at most 2 MiB of
// buffers; on unencrypted mem://, which holds the object in memory anyway,
// one window of up to 32 MiB, and 48 MiB for the moment a new window
// grows from 16 to 32 MiB), hashing while it uploads to a temporary name, and commits to
// the final name only once the digest is known; content already present
// is not stored twice. On remote stores a seekable source (an *os.File,
// a *bytes.Reader) is hashed first and then uploaded once to its final
// name, sparing S3 a temporary object and a server-side copy; it must not
// change while Put runs. On file:// (where the commit is a hard link) and,
// beyond 256 KiB, on mem:// (where a copy shares the bytes) it is read
// once like any reader. PutKnown is for callers that know the digest in advance: it writes the final name
// directly and aborts the write, leaving nothing, if the bytes do not match.
//
// Writing content that is already stored repairs a damaged copy: Put and
// PutKnown read the stored copy back and verify it, its stored size first
// and then its digest (or, encrypted, every segment's authentication); an
// intact copy is kept, a damaged or truncated one is replaced (by the
// finished upload for Put, by the caller's bytes for PutKnown), and a
// missing or damaged chunk index is written again. This costs one read of
// the stored copy whenever content is found already stored; PutKnown,
// which used to cost one metadata request then, now costs about a
// verified Get. Callers that check Exists first and skip PutKnown (as the
// dataset push does) do not pay it (BenchmarkPutExisting measures it; the
// figures are in BENCHMARKS.md).
//
// Overwriting unconditionally would spare the read on file:// (a rename)
// but not elsewhere, and on a versioned S3 bucket would keep a copy of
// every re-stored object; verifying first rewrites only what is damaged.
// Open returns a reader that releases no byte before it has been
// verified, and fails with ErrDigestMismatch instead of returning bytes
// that are not the content asked for (see Verified streaming). Get does
// the same into memory. Corruption is never silent.
//
// # Verified streaming
//
// Put and PutKnown of plain content longer than one chunk (1 MiB) also
// write a chunk index, <blob key>.chunks: the content's size and digest,
// the SHA-256 chaining value at every chunk boundary (SHA-256's internal
// state, eight 32-bit words, after the content's first 1, 2, ... N-1
// MiB, which the hash of the whole content passes through anyway), and a
// SHA-256 of the index itself. Open reads the content one chunk at a time
// (one 1 MiB buffer per Reader, plus the index at 32 bytes per MiB) into
// a single SHA-256 that starts from the standard's initial state, never
// from the index, and releases a chunk only after its state at the
// chunk's end equals the recorded one; the last chunk is released only
// after the finished hash equals the content digest. Verifying costs one
// SHA-256 pass, as it did without an index.
//
// What this guarantees, exactly:
//
//   - Damage to the stored content, by any number of bytes anywhere
//     (flipped, cut off, appended), is caught at the first chunk it
//     touches: the reader returns the verified chunks before it and then
//     ErrDigestMismatch, never a damaged byte. The S3 client's own
//     checksum failure is reported the same way.
//   - Damage to the index is caught by its own SHA-256 before any byte
//     is released (so is an index that names other content or another
//     size); Open then treats the content as having no index.
//   - Every byte released was hashed on the way to the content digest,
//     and the read ends with io.EOF only if the whole content matched it.
//     The index is bound to the content in this sense: the recorded
//     states agree with the content read only if they are that content's
//     states, and an index made for any other content fails at the first
//     chunk that differs or, at the latest, at the final digest.
//   - Not guaranteed: an index is not authenticated against the digest
//     before the content has been read (SHA-256 of a whole object cannot
//     be checked without reading it all), so someone able to write to
//     the bucket can store other bytes under a digest together with a
//     self-consistent index for them; a reader then receives those bytes,
//     chunk by chunk, and fails with ErrDigestMismatch only before the
//     last chunk. Against such a writer use encryption at rest (whose
//     segments only a holder of the Keeper can forge), or read the whole
//     content (Get, Verify, or registry.Load) before using any of it.
//
// Plain content of at most one chunk is read whole and verified before
// its first byte is released. Plain content longer than a chunk without
// a usable index (stored before indexes existed, or with a damaged one)
// is copied to a temporary file in Options.SpoolDir (default: the system
// temporary directory) while it is hashed, and released from there only
// once it has matched: memory stays constant, the first byte comes after
// the whole content has been read, and the disk needs room for a copy.
// Putting such content again writes its index. Encrypted content needs no
// index: its segments are authenticated one by one (see Encryption at
// rest), only authenticated segments are released, and the last one only
// once the whole plaintext has matched the digest.
//
// # Encryption at rest
//
// With Options.Keeper set, each object is encrypted with a fresh 256-bit
// data key, and the key, wrapped by the gocloud.dev/secrets Keeper
// (base64key:// locally, awskms://, gcpkms://, azurekeyvault://,
// hashivault:// in production), is stored in the object's header. The
// payload is a streaming AEAD on AES-256-GCM: fixed-size segments (64 KiB by
// default), a random nonce prefix per object, and a nonce of prefix ||
// segment counter || final-segment flag, with the header as additional
// data. Altered, reordered, dropped or truncated segments, a missing final
// segment and appended bytes all fail with ErrDecrypt, and no segment's
// bytes are released before the segment is authenticated. Digests still
// name the plaintext: the same content has the same digest encrypted or
// not, so descriptors and manifests do not change when encryption is
// turned on (but a store only reads objects written in its own mode).
// Encrypted content is padded by 16 bytes per segment plus a header of
// about 90 bytes with a local Keeper.
//
// # Garbage collection
//
// GC is mark and sweep: the caller says which digests are live and GC
// deletes the rest, except objects younger than the grace period (an hour
// by default), so content another process has just put but not yet
// recorded survives. On a shared bucket, use Collect: its live set is the
// union of what every Referrer references, and each package that records
// references is one (registry.Registry: files, cards and signatures of
// versions not deleted; dataset.Store: manifests and their files;
// pipeline.References: digests recorded as task outputs; tracking.Tracker:
// artifacts logged on runs). An error from
// any referrer aborts the collection before anything is deleted.
// Storing content that is already there renews its modification time when
// it is older than RefreshAge, so re-used content is covered too (see
// Store.GC for the one case that is not).
//
// On S3, GC also aborts the multipart uploads under the store's directory
// (<prefix>/cas/) that were started before the grace period: a process
// killed during a large Put or PutKnown leaves its uploaded parts there,
// unlisted and billed until the upload is aborted (GCStats.Multipart
// counts them). It reaches the AWS SDK client through s3blob's As, so it
// works for buckets opened by URL and for *blob.Bucket values made with
// s3blob.OpenBucket; on other backends there is nothing to abort. An
// upload younger than the grace period may belong to a Put in progress
// and is left alone. A bucket lifecycle rule
// (AbortIncompleteMultipartUpload) does the same without GC.
//
// # Timeouts, retries and create-only writes
//
// A Bucket gives every whole-object call (CreateOnly, WriteAll, ReadAll,
// Attributes, Exists, Delete) and every page of a listing a deadline of
// its own, BucketOptions.Timeout (DefaultTimeout, one minute), so a store
// that stops answering fails the call instead of blocking it; streams
// (NewReader, NewWriter, and so Store.Open and Put) are bounded by the
// caller's context. Calls that are safe to repeat are tried again after
// an error that may pass (a timeout of one try, an internal or unknown
// error of the store), BucketOptions.Retries times (DefaultRetries, 3),
// after jittered pauses growing from 50 ms to 1 s; an answer about the key
// (absent, present, refused) is final. CreateOnly is tried once: a second
// try after a reply lost in transit would find its own object and report
// it taken. The logs built on it settle such outcomes by reading the entry
// back (internal/logstore), so an append is written exactly once.
//
// The first CreateOnly of a Bucket on a remote store probes it: it
// creates an object under <prefix>/.sextant/probe/ twice, deletes it, and
// if the second create succeeded the store ignores If-None-Match (some
// S3-compatible servers and proxies do), concurrent log writers would
// overwrite each other, and every CreateOnly returns ErrNotCreateOnly. The
// way out, for a deployment with one writing process, is
// BucketOptions.SingleWriter. file:// needs no probe: its create is a
// link(2), atomic across processes.
//
// # Authorization
//
// With Options.Authorizer set (an *rbac.Authorizer, or anything with its
// Authorize method), every call first asks about resource "artifacts":
// "get" for Open, Get, Verify, Stat and Exists, "create" for Put and
// PutKnown, "delete" for Delete and GC, "list" for Walk. The name is the
// digest's ResourceName, "sha256/<hex>", or empty for Put (whose digest is
// not known before it reads), Walk and GC. The subject travels in the
// context (rbac.WithSubject). A refused call reads and writes nothing and
// returns the authorizer's error wrapped, so errors.Is(err, rbac.ErrDenied)
// and errors.Is(err, rbac.ErrNoSubject) hold.
//
// # Errors
//
// Errors match, with errors.Is: ErrNotFound (no such content),
// ErrDigestMismatch (stored or supplied bytes are not the named content),
// ErrSizeMismatch, ErrInvalidDigest, ErrInvalidKey, ErrExist (from Bucket's
// create-only writes) and ErrDecrypt. Messages start with "artifact: ".
//
// Every integrity failure of a read matches ErrDigestMismatch, whoever
// detects it: this package's digests, an encrypted segment that fails
// authentication (which matches ErrDecrypt too), or the storage client.
// The AWS SDK v2 checks the checksum S3 sends with an object (CRC32 and
// the like, when the object has one) and fails the last Read with an
// error of an unexported type of its internal checksum package; a read
// error of that type, or whose innermost message starts with "checksum
// did not match", is wrapped so that it matches ErrDigestMismatch, with
// the SDK's error kept in the chain.
//
// # Concurrency
//
// A Store and a Bucket are safe for concurrent use by multiple goroutines
// and by multiple processes sharing a bucket: concurrent Puts of the same
// content all succeed with the same descriptor and leave one object. Put
// and PutKnown run one helper goroutine each, which ends before they
// return. Progress callbacks run on the caller's goroutine.
//
// # Testing
//
// Package artifacttest gives tests a ready store on mem:// (New), a bare
// bucket (NewBucket), helpers to seed content, and a fault-injecting bucket that fails chosen
// operations, hides objects, corrupts reads or slows them down, for testing
// how code built on a Store copes with storage failures.
//
// This package's own suite runs the same behavioural tests on mem://,
// file:// in a temporary directory, and S3 through the AWS SDK v2 and
// s3blob against an in-process gofakes3 server, each plain and encrypted:
//
//	go test -race ./artifact/...
//
// The integration tier runs the suite, bit rot on the server's disk, the
// abort of stale multipart uploads and a store opened by URL against a
// real S3-compatible server: versitygw started from PATH (go install
// github.com/versity/versitygw/cmd/versitygw@v1.8.0), or the server that
// SEXTANT_S3_ENDPOINT names (credentials SEXTANT_S3_ACCESS_KEY and
// SEXTANT_S3_SECRET_KEY). Without either the tests fail:
//
//	go test -tags integration -run Versity ./artifact/
//
// # Performance
//
// Put reads each buffer (256 KiB, at most 8 in flight) in the calling
// goroutine and hands it at once to two goroutines that hash it and write
// it side by side; a buffer is refilled only once both are done with it.
// With a free core, a large Put therefore costs about the slowest of
// reading, hashing and writing, not their sum, and SHA-256, usually the
// slowest, never waits for the read. Content that ends within the first
// buffer is hashed and written by the caller alone, as goroutines would
// cost more than they save. Content already in memory (a *bytes.Reader, a
// *bytes.Buffer) going to unencrypted mem:// is written in one Write
// beside the hash, as a raw copy writes it, so memblob allocates its buffer once instead of
// doubling it; to a file it goes through the buffers, which keeps the
// bytes that are hashed and written in the processor's cache. Any other
// source going to unencrypted mem:// is read into one window of up to
// 32 MiB, hashed piece by piece as it arrives, and written a full window
// at a time, so that memblob's buffer again grows once for content up to
// 32 MiB and the bucket holds the object once, not up to twice (see
// BENCHMARKS.md); progress then reaches the end before that Write.
//
// Which path a seekable source takes is a matter of cost. A second read of
// a local file is cheaper than S3's temporary object and server-side copy,
// so remote stores hash first. On file:// the commit is a link(2) of the
// finished temporary file, which costs no copy, and on mem:// a
// server-side copy shares the bytes, so there one pass is cheaper, except
// on mem:// for content of at most one buffer: it is hashed first, so that
// putting small content that is already stored writes nothing (see
// BenchmarkSmallPut). mem:// buckets opened by URL skip memblob's MD5 of
// every object, which nothing reads.
//
// BenchmarkTransfer measures Put beside a raw gocloud write of the same
// bytes to the same bucket (a new object each time, as Put creates one: a
// write that replaces a file would pay for it), SHA-256 alone, and the two
// in series, alternately in one run, and reports Put against max(raw
// write, SHA-256), the bound of a perfect overlap (the bar: at least 0.8),
// for a seekable source and for a stream. BenchmarkStream1GiB puts and
// reads back a generated 1 GiB stream and reports the peak heap growth.
// Reads are bound by SHA-256, which any verifying store must compute, so a
// verified read is compared with a raw read plus SHA-256.
// BenchmarkSmallPut puts and reads back 1 KiB on mem:// beside a raw
// write; transfer buffers come from a pool owned by the Store, only as
// many as the content needs, so a small Put does not allocate the buffers
// a large one uses. BenchmarkVersityPut (integration tier) puts 32 MiB on
// versitygw beside a raw write, seekable and streamed. The figures, with
// the command for each, are in BENCHMARKS.md at the repository's root.
package artifact
