// Package sextant is an embeddable MLOps SDK for Go services: versioned
// models and data in your own object storage, drift detection whose numbers
// match SciPy, Prometheus metrics, evidence-driven rollouts and role-based
// access control. There is no server to run: state lives in a bucket
// (mem://, file://, s3://, gs://, azblob:// through gocloud.dev/blob),
// metrics go to your Prometheus registry, policies come from YAML or Go.
//
// This package holds only documentation. The work is done by:
//
//   - [github.com/sextant-ml/sextant/artifact]: content-addressed blobs on a
//     bucket, verified on every read, encrypted at rest on request, and the
//     validated bucket view the other packages keep their logs on.
//   - [github.com/sextant-ml/sextant/dataset]: DVC-style data versioning with
//     fast parallel hashing, manifests, push and pull, status and diff, DVC
//     interoperability, and data validation against an inferred schema.
//   - [github.com/sextant-ml/sextant/registry]: models, versions, aliases,
//     lineage, metrics, promotion gates, model cards and signatures, as an
//     append-only log that any number of processes may write.
//   - [github.com/sextant-ml/sextant/drift]: two-sample tests and distances,
//     persisted and mergeable reference profiles, streaming detectors, JSON
//     and HTML reports.
//   - [github.com/sextant-ml/sextant/monitor]: Prometheus instrumentation for
//     predictions, drift and rollouts, with a Grafana dashboard and alert rules.
//   - [github.com/sextant-ml/sextant/deploy]: canary, sticky, header, shadow,
//     blue/green and bandit routing between model versions; a router is
//     itself a predictor.
//   - [github.com/sextant-ml/sextant/deploy/rollout]: rollouts that step the
//     canary's weight, analyse it against the stable version and promote
//     or roll back by themselves, with their state on the bucket.
//   - [github.com/sextant-ml/sextant/deploy/oip]: the Open Inference
//     Protocol v2 REST server for predictors and routers.
//   - [github.com/sextant-ml/sextant/rbac]: Kubernetes-style roles and
//     bindings over ML resources, a compiled authorizer, HTTP middleware, audit.
//   - [github.com/sextant-ml/sextant/pipeline]: a small DAG runner with
//     retries, timeouts and schedules for retraining jobs.
//
// # How they compose
//
// One bucket holds everything: artifact's content-addressed objects under
// cas/, and beside them the logs of the registry (registry/), the datasets
// (datasets/), pipeline runs (pipelines/) and rollout states
// (deployments/), all append-only logs of the same scheme, whose errors
// for a damaged or too new entry are the same values in every package. A
// file shared by a dataset and a model is stored once. rbac is a leaf: the
// other packages accept any value with the method
//
//	Authorize(ctx context.Context, verb, resource, name string) error
//
// which rbac's compiled authorizer has.
//
// One window of statistics serves serving and rollouts: a deploy.Router
// reports every routed prediction (never a direct call of a named
// version) to its Observer, a *monitor.Metrics, which counts and times it
// for Prometheus and keeps it in its sliding window; a rollout.Rollout
// reads that window through its Source, which the same *monitor.Metrics
// satisfies, and publishes its weights and phase through the same
// Metrics. The rollout moves a registry alias on promotion through
// rollout.NumberedAliases. deploy and rollout declare these seams as
// small interfaces; only rollout imports monitor (for the
// monitor.WindowStats its Source returns), and monitor imports neither.
//
// # Errors
//
// Each package returns its own sentinel errors, checked with errors.Is
// (registry.ErrNotFound, rbac.ErrDenied). Sentinels of one condition also
// match the standard library's error for it, whichever package returned
// them: "not found" is fs.ErrNotExist, "already exists" fs.ErrExist,
// invalid arguments, names, options, filters and page tokens
// fs.ErrInvalid, and a log entry or file of an unsupported format
// errors.ErrUnsupported. Conditions only one package has (a failed
// promotion gate, a denied request, a digest mismatch) have one sentinel,
// which other packages alias where they return it.
//
// `go run ./examples/quickstart` runs the whole loop on a local directory;
// `go run ./examples/maintenance` tells the predictive-maintenance story:
// stale data caught, model retrained, rolled out to 5% of traffic, promoted
// or rolled back on evidence.
package sextant
