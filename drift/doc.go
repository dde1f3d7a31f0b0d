// Package drift detects distribution drift between reference data and
// current data: two-sample tests and distances whose numbers match SciPy,
// reference profiles that are fitted once, persisted and merged across
// shards, a streaming detector for serving paths, and reports as JSON and
// self-contained HTML.
package drift
