// Package rollout moves traffic from a stable model version to a canary
// step by step, and promotes or rolls back on evidence.
//
// # Steps and analysis
//
// A Rollout (New) steers any Traffic (a *deploy.Router) through steps:
// SetWeight, Pause (timed, or until Resume) and Analyze. An analysis measures every
// Interval with its checks: thresholds (ErrorRate, LatencyQuantile), a
// Judge that compares canary with stable over the same window (a
// two-sided Mann-Whitney U test on latency with a tolerance on the
// ratio of the medians, as Kayenta does, and a two-proportion
// z-test on errors), PromCheck (a PromQL query, so that all replicas
// judge alike; with RequireSamples a window without traffic is
// Inconclusive, not a rate of 0 that passes), or any Check. Each check
// says Pass, Fail, Inconclusive or Error; a check with no or too few samples is Inconclusive and a
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
// # One window
//
// ErrorRate, LatencyQuantile and Judge read the Options.Source: the
// statistics of each version's predictions in the measured window. A
// *monitor.Metrics is one (Metrics.Range), and the same Metrics is what
// the router reports its routed predictions to:
//
//	metrics, _ := monitor.New(reg, &monitor.Options{Window: 5 * time.Minute, WindowSlots: 60})
//	router, _ := deploy.NewRouter(versions, &deploy.RouterOptions[Out]{Model: "churn", Observer: metrics})
//	ro, _ := rollout.New(router, rollout.Spec{Model: "churn", ...}, &rollout.Options{Source: metrics, Metrics: metrics})
//
// so one window is counted once, exported to Prometheus and judged. The
// router gives the Observer routed calls only: a client that names a
// version (Router.PredictVersion) adds nothing to the window and cannot
// tilt an analysis. Name the same model in RouterOptions.Model and
// Spec.Model. monitor keeps only its last Options.Window, counted in
// slots, and a measured range is rounded out to whole slots: keep the
// window longer than an analysis Interval and its slots a small part of
// one. Judge and LatencyQuantile work on the sample of latencies
// monitor keeps per slot (Options.WindowSample), which is every latency
// while a slot sees no more than that.
//
// # Seams
//
// rollout declares what it needs and adapters satisfy it: Traffic (what a
// rollout steers; *deploy.Router), Source (windowed statistics;
// *monitor.Metrics), MetricsSink (weights and phase; *monitor.Metrics),
// AliasSetter (move an alias on promotion; NumberedAliases adapts
// *registry.Registry, whose versions are numbers), Store (rollout state;
// BlobStore) and Authorizer (manual operations; rbac's authorizer).
//
// Dependencies point one way: rollout imports monitor for the
// monitor.WindowStats a Source returns, and imports neither deploy nor
// the registry; monitor imports no package of deploy's. Package deploy
// routes and knows nothing of rollouts.
//
// # Concurrency
//
// A Rollout and a BlobStore are safe for concurrent use. Run's caller
// owns the rollout's only goroutine; Follow runs in its caller's.
//
// # Testing
//
// Package deploy/deploytest has NewRig, a router over fake versions with
// the monitor.Metrics its Observer feeds, ready to be a rollout's Source;
// NewStore, a rollout store on an in-memory bucket; and
// RunStoreConformance for Store implementations. Rollouts over minutes
// of traffic run in milliseconds inside a testing/synctest bubble.
//
// # Dependencies
//
// client_golang's API client runs PromCheck's queries; internal/stats
// gives the judge's tests.
package rollout
