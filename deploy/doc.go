// Package deploy routes requests between versions of a model inside a
// Go service and rolls new versions out on evidence.
//
// # Routing
//
// A Router[In, Out] chooses, per request, one of several Predictor
// versions:
//
//   - weighted split (canary): Config.Split gives each version a weight;
//   - sticky: a Request.Key is hashed (FNV-1a with a salt, then mixed)
//     into one of 10,000 buckets and versions own contiguous bucket
//     ranges in split order, so a key keeps its version at a fixed
//     split, and raising the canary's weight only moves keys from
//     stable to canary, never back;
//   - rules: a header (any Attrs, such as http.Header) or cohort pins a
//     request to a version before the split;
//   - blue/green: Switch moves all traffic at once;
//   - shadow: a fraction of requests is also sent to a candidate after
//     the caller has its answer; at most RouterOptions.MaxShadowInFlight
//     shadow calls run at once and further ones are dropped (counted in
//     ShadowStats), so a slow or failing candidate never slows the caller;
//   - bandit: Mode Bandit picks by Thompson sampling over Beta
//     posteriors of the rewards reported with Router.Reward.
//
// Predict returns the version that served the request.
//
// PredictVersion calls a named version directly, bypassing the weights.
// By default it serves only a version that carries routed traffic in
// the table in force: a positive weight (any weight in Bandit mode), the
// first target of the split (the stable: SetCanary puts it first,
// Switch makes it the only target), or a rule's version. Any other
// registered version (a canary at weight 0, a rolled-back canary, a
// version switched away from) fails with ErrNotRouted;
// RouterOptions.DirectAnyVersion allows every registered version.
// Direct calls are never given to RouterOptions.Observer, so a client
// that names a version cannot add to, or tilt, the window a rollout's
// analysis reads; RouterOptions.DirectObserver receives them instead.
// Router.Remove unregisters a version, and refuses (ErrInUse) the only
// registered version, the stable (first target of the split), a version
// with weight (any split target in Bandit mode) and the version of a
// rule or of the shadow; a weight-0 entry is dropped from the split.
//
// In the HTTP
// forms, HTTPHandler (versions that are http.Handlers) and Handler (the
// Open Inference Protocol), requests are routed by their
// Sextant-Route-Key and Sextant-Cohort headers and header rules, and
// the serving version comes back in the Sextant-Served-Version header.
//
// # Rollouts
//
// A Rollout steers any Traffic (a Router) through steps: SetWeight,
// Pause (timed, or until Resume) and Analyze. An analysis measures every
// Interval with its checks: thresholds (ErrorRate, LatencyQuantile), a
// Judge that compares canary with stable over the same window (a
// two-sided Mann-Whitney U test on latency with a tolerance on the
// ratio of the medians, as Kayenta does, and a two-proportion
// z-test on errors), PromCheck (a PromQL query, so that all replicas
// judge alike; with RequireSamples a window without traffic is
// Inconclusive, not a rate of 0 that passes), or any Check. Each check says Pass, Fail, Inconclusive
// or Error; a check with no or too few samples is Inconclusive and a
// measurement passes only when every check passes, so an analysis with
// no traffic never passes: it pauses the rollout for a human. Failure
// limits, consecutive failure, success and error limits decide the
// analysis (see Analysis). A failed analysis rolls all traffic back to
// stable; when every step is done, the canary takes all traffic and an
// alias moves through AliasSetter. Promote, Abort, Pause and Resume work
// at any time (Retry starts a rolled-back or aborted rollout over),
// hooks run before promotion and after rollback, and every
// transition is an Event with a reason, logged and given to OnEvent and
// a MetricsSink.
//
// With a Store a restarted process resumes a rollout where it was.
// BlobStore keeps the states of a rollout on an artifact.Bucket as an
// append-only log under deployments/<name>/ (the registry's scheme:
// create-only entries, a checkpoint every 64; keys validated by the
// bucket): each Save appends, Load returns the newest state, History every
// one. A Save whose revision is not newer than the saved state of the same
// rollout (model, stable and canary) means another process decided
// meanwhile: it fails with a *ConflictError (ErrConflict) and writes
// nothing. A damaged entry fails with ErrInvalid and ErrCorrupt (one from a
// newer writer with ErrUnsupported; both the same values as the registry's,
// dataset's and pipeline's); a bad checkpoint is skipped with a warning and
// the state read from the log. Across replicas one process runs the rollout
// and the others call Follow to apply the decided split.
//
// # Serving protocol
//
// Handler serves predictors and routers over the Open Inference Protocol
// v2 REST API: health, server and model metadata, readiness, and
// inference with typed tensors (BOOL; INT8 to INT64; UINT8 to UINT64;
// FP16, FP32 and FP64, carried as float64 with range checks; BYTES),
// flat or nested data checked against the shape and against the
// model's declared inputs. Malformed requests get 400, unknown models
// 404, each with a JSON error body; DecodeInferRequest is fuzzed.
//
// Hostile requests are bounded before they cost memory:
//
//   - a body over HandlerOptions.MaxBodyBytes (default 8 MiB,
//     DefaultMaxBodyBytes) gets 413 (ErrBodyTooLarge), from the
//     Content-Length before anything is read, or as soon as the limit
//     is passed while reading;
//   - the input tensors' shapes together may ask for at most
//     HandlerOptions.MaxElements values (default 4,194,304,
//     DefaultMaxElements); the products are computed without overflow
//     from the shapes alone, before any value is read or any slice
//     allocated, and a request over the limit gets 400
//     (ErrTooManyElements, which also matches ErrBadRequest). A shape
//     asking for more values than its data has bytes is refused the same
//     way, so a small body cannot make a large allocation;
//   - tensor data is converted by a scanner that stores each value
//     straight into the typed slice, allocated once at the size the
//     shape gives: no token, interface or string per value, and BYTES
//     values share one backing array. What a request allocates is the
//     body, one copy of each tensor's data text, and the typed slices.
//     TestInferAllocationsPerValue measures it through the Handler
//     (2^20 values of each datatype, runtime.MemStats around one
//     request): at most twice a value's text plus its typed size per
//     value, and at most 2,000 objects in all;
//   - parameters (of the request, of each tensor, of each requested
//     output) stay JSON text (json.RawMessage, compacted and checked to
//     be an object), never decoded into maps of interfaces.
//
// DecodeInferRequest applies the same Limits outside the Handler.
//
// Every Handler response carries a request id in the X-Request-Id
// header: the client's own when it is sane (1 to 64 bytes of ASCII
// letters, digits and "-_.:"), else 26 random base32 characters. When a
// predictor fails (any error but one matching ErrBadRequest, ErrNoRoute,
// ErrClosed or ErrNotRouted), or returns no or an unencodable response,
// the client gets 500 with only "deploy: model "m" failed (request id
// ID)", and the error text goes to HandlerOptions.Logger at error level
// with the same request_id. The Logger defaults to slog.Default(), so
// that the cause is never lost; pass slog.New(slog.DiscardHandler) to
// drop it. A predictor error that matches ErrBadRequest is the
// predictor's own verdict on the input and is shown to the client as a
// 400 with its text: wrap ErrBadRequest only around text meant for the
// client. A /versions/{v} request for a router's version goes through
// PredictVersion: a version without routed traffic gets 404.
//
// # Serving over HTTP
//
// A server without timeouts (the zero http.Server) lets a client that
// sends its headers and then stalls hold a connection, a goroutine and
// its buffers forever. NewServer returns an http.Server with all of
// them set (ServerTimeouts; defaults: 5s to read the headers, 30s to
// read the whole request, 60s from the end of the headers to the end of
// the response, 120s idle between requests, 64 KiB of headers). Use it,
// or set ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout on
// a server of your own; keep WriteTimeout above ReadTimeout, since it
// also covers reading the body and the model's work.
// TestServerCutsOffStalledClients checks that a stalled body, stalled
// headers and an idle connection are cut off.
//
// # Seams
//
// deploy imports neither the registry nor the metrics package; it
// declares what it needs, and adapters satisfy it: AliasSetter (move an
// alias on promotion; NumberedAliases adapts *registry.Registry, whose
// versions are numbers), MetricsSink (rollout weights and phase),
// Observer (every routed prediction; direct calls go to a separate
// DirectObserver), Source (observations for checks),
// Store (rollout state), Traffic (what a rollout steers) and Authorizer
// (manual operations).
//
// # Concurrency
//
// Router, Window, Handler and Rollout are safe for concurrent use.
// Routing reads an immutable table through an atomic pointer: updates
// never block requests, and a request sees one whole table. A router
// owns its shadow goroutines (Close cancels and waits for them); Run's
// caller owns the rollout's only goroutine.
//
// # Performance
//
// The routing decision is measured beside a direct call of the same
// predictor (DESIGN's bar: under 100 ns and no allocation): a keyed or
// random decision reads the published routing table through an atomic
// pointer, takes no lock and allocates nothing; header rules cost what the
// Attrs lookup costs. The gap to a direct call of a trivial predictor (an
// add) vanishes beside any real model. An Observer reads the clock twice
// per request, and time.Now is slow on some virtual machines' clocks
// (BenchmarkTimeNow), which is most of the cost with a Window; a Window
// adds a sharded lock. Give the router no Observer when no rollout is
// analysing it. The figures, with the command, are in BENCHMARKS.md at the
// repository's root.
//
// # Testing
//
// Package deploytest has Fake, a predictor with a set latency, error
// rate and output (inside a testing/synctest bubble its latency costs no
// real time, which is how this package's rollout tests run minutes of
// traffic in milliseconds); NewRouter, a router over fakes feeding a
// Window, and NewStore, a rollout store on an in-memory bucket, each
// cleaned up with the test; and RunConformance and RunStoreConformance
// for users' own Predictor and Store implementations.
//
// # Dependencies
//
// gonum's distuv.Beta draws the bandit's samples; client_golang's API
// client runs PromCheck's queries.
package deploy
