// Package deploy routes requests between versions of a model inside a
// Go service. Package deploy/rollout rolls new versions out on evidence
// and package deploy/oip serves them over the Open Inference Protocol.
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
// A Router is itself a Predictor: Predict(ctx, in) routes (by the
// Request that WithRequest put in ctx, or at random by the weights), so a
// router can be instrumented with monitor.Wrap, served by oip.Handler.Add,
// or be a version of another router. Serve(ctx, req, in) routes by req and
// also returns the version that answered.
//
// PredictVersion calls a named version directly, bypassing the weights.
// By default it serves only a version that carries routed traffic in
// the table in force: a positive weight (any weight in Bandit mode), the
// first target of the split (the stable: SetCanary puts it first,
// Switch makes it the only target), or a rule's version. Any other
// registered version (a canary at weight 0, a rolled-back canary, a
// version switched away from) fails with ErrNotRouted;
// RouterOptions.DirectAnyVersion allows every registered version.
// Router.Remove unregisters a version, and refuses (ErrInUse) the only
// registered version, the stable (first target of the split), a version
// with weight (any split target in Bandit mode) and the version of a
// rule or of the shadow; a weight-0 entry is dropped from the split.
//
// # Observing
//
// RouterOptions.Observer receives the latency and error of every routed
// prediction under RouterOptions.Model and the version; *monitor.Metrics
// is an Observer, so
//
//	metrics, _ := monitor.New(reg, nil)
//	router, _ := deploy.NewRouter(versions, &deploy.RouterOptions[Out]{Model: "fraud", Observer: metrics})
//
// counts and times every routed prediction per version for Prometheus and
// keeps it in monitor's window, which a rollout (package deploy/rollout)
// reads as its Source: one window for serving and analysis. Direct calls
// are never given to the Observer, so a client that names a version
// cannot add to, or tilt, the window a rollout's analysis reads;
// RouterOptions.DirectObserver receives them instead, and may not be the
// Observer. Shadow calls are observed by neither. The Observer times the
// call from outside; for monitor's sampled cost, value and class, also
// wrap each version with monitor.Wrap and WrapOptions.BehindRouter, which
// records those and leaves the counting to the router.
//
// # HTTP
//
// In the HTTP forms, HTTPHandler (versions that are http.Handlers, made
// with HandlerVersion) and the Open Inference Protocol server of package
// deploy/oip, requests are routed by RequestFromHTTP: their
// Sextant-Route-Key and Sextant-Cohort headers and header rules, and the
// serving version comes back in the Sextant-Served-Version header.
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
// # Packages
//
// deploy routes. Package deploy/rollout moves traffic step by step and
// decides on evidence; it steers a Router through its Traffic interface
// (SetCanary) and does not import deploy. Package deploy/oip serves
// predictors and routers over the Open Inference Protocol; it imports
// deploy. deploy imports neither, nor monitor: Observer is its own small
// interface, which *monitor.Metrics satisfies as it is.
//
// # Concurrency
//
// A Router is safe for concurrent use. Routing reads an immutable table
// through an atomic pointer: updates never block requests, and a request
// sees one whole table. A router owns its shadow goroutines (Close
// cancels and waits for them).
//
// # Performance
//
// The routing decision is measured beside a direct call of the same
// predictor (DESIGN's bar: under 100 ns and no allocation): a keyed or
// random decision reads the published routing table through an atomic
// pointer, takes no lock and allocates nothing; header rules cost what the
// Attrs lookup costs. The gap to a direct call of a trivial predictor (an
// add) vanishes beside any real model. An Observer reads the clock per
// request, and time.Now is slow on some virtual machines' clocks
// (BenchmarkTimeNow beside BenchmarkRouterObserved); monitor's recording
// is atomic additions (see package monitor) and allocates nothing
// (TestRouteDoesNotAllocate). Give the router no
// Observer when nothing reads its metrics. The figures, with the command,
// are in BENCHMARKS.md at the repository's root.
//
// # Testing
//
// Package deploytest has New, a router over fake versions; NewRig, the
// same with its fakes and the monitor.Metrics its Observer feeds; Fake, a
// predictor with a set latency, error rate and output (inside a
// testing/synctest bubble its latency costs no real time, which is how
// the rollout tests run minutes of traffic in milliseconds); NewStore, a
// rollout store on an in-memory bucket, each cleaned up with the test;
// and RunConformance and RunStoreConformance for users' own Predictor
// and Store implementations.
//
// # Dependencies
//
// gonum's distuv.Beta draws the bandit's samples.
package deploy
