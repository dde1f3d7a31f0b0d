// Package registry is a model registry that needs no server: models,
// numbered versions, aliases, lineage, metrics, promotion gates, model cards
// and signatures, kept as an append-only log per model on the bucket of an
// artifact.Store (mem://, file://, s3://, gs://, azblob://).
//
// # Layout on the bucket
//
//	registry/models/<name>/log/<20-digit seq>.json         one entry per change, create-only
//	registry/models/<name>/checkpoint/<20-digit seq>.json  folded state every CheckpointEvery entries
//	registry/catalog/<name>                                 one create-only marker per model (ListModels)
//	cas/sha256/..                                           files, cards and signature envelopes
//
// Each entry is a JSON envelope with a format version, a type ("version.register",
// "alias.set", ...), the time, the actor and the fields of that type. Version
// numbers are assigned by the log: the writer that loses the race for a
// sequence number re-reads, re-checks its change against the newer state and
// retries, so concurrent registrations in any number of processes get
// distinct, consecutive numbers. An entry of an unknown type or a newer
// format fails with ErrUnsupportedEntry; a damaged entry with ErrCorruptEntry
// naming the model and the entry; other models stay readable.
//
// Models are listed from the catalog, a create-only marker written before a
// model's first entry; listing the catalog costs one request per page of
// model names, however long the logs are.
//
// # Concurrency
//
// A Registry is safe for concurrent use by multiple goroutines, and any
// number of processes may share a bucket. Reads are served from an in-memory
// cache of each model's folded state, refreshed incrementally from the log
// when older than Options.MaxStaleness; writes through a Registry update its
// cache at once. Watch starts one goroutine that stops when its context ends.
package registry
