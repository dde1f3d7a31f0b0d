// Command serve is a model server built from Sextant's packages: the Open
// Inference Protocol v2 over the version a registry alias names, with
// Prometheus metrics, streaming drift, hot reload, a canary rollout and an
// HTTP server with timeouts.
//
//	go run ./examples/serve
//	go run ./examples/serve -bucket URL -model NAME -alias production -addr :8080 -trusted-key key.pem
//
// With no arguments it seeds a new file:// bucket in a temporary directory
// with two versions of a model "demo" (logistic regressions over
// temperature, vibration and pressure, each with the drift profile of its
// training data), signs both with a key made for the run, points
// "production" at version 1 and "candidate" at version 2, and rolls
// version 2 out. Then:
//
//	curl localhost:8080/v2/models/demo
//	curl -d '{"inputs":[{"name":"input","datatype":"FP32","shape":[1,3],"data":[0.1,0.2,0.3]}]}' localhost:8080/v2/models/demo/infer
//	curl localhost:8080/metrics
//	curl localhost:8080/rollout
//
// # Endpoints
//
//	/v2/...    oip.Handler over a deploy.Router of the loaded versions:
//	           health, metadata, readiness, inference (input "input" FP32
//	           [rows, features], output "probability" FP64 [rows]); the
//	           serving version in the Sextant-Served-Version header
//	/metrics   promhttp over a private prometheus.Registry: monitor's
//	           metrics, the Go and process collectors
//	/rollout   the rollout's rollout.State as JSON ({} when none)
//
// # Signatures
//
// Every version is loaded through the registry's verified reads. With
// -bucket the command requires exactly one of -trusted-key (a PEM ECDSA
// P-256 public key: versions without a valid signature by it are refused,
// registry.Options.TrustedKeys) and -allow-unsigned (the explicit choice
// to skip signatures, registry.Options.AllowUnsigned, for a registry
// nobody else writes). Without -bucket the seeded versions are signed and
// verified against the run's key.
//
// # Hot reload
//
// registry.Watch follows the alias (polled every -watch-interval). When it
// moves, the new version is loaded and verified, takes all traffic
// (Router.Switch), its drift profile becomes the reference, and the
// versions it replaces leave the router and sextant_model_info. A version
// that cannot be loaded (a bad signature, a model of other features)
// leaves the previous one serving and is logged. A move by hand during a
// rollout to another version aborts the rollout first.
//
// # Rollout
//
// With -canary (a version number or an alias; "2" when seeding) the canary
// goes through -steps (default 10% then 50%), each followed by an analysis
// of -analysis-interval measurements (three) of the canary's error rate
// (at most 5%) and p99 latency (at most 500ms), judged on at least 20
// requests: too few requests are inconclusive, never a pass, and pause the
// rollout. After the last step the canary takes all traffic and the
// alias moves to it (rollout.NumberedAliases over the registry), which the
// watch then follows. Weights and phase are published through monitor.
// A failed analysis sends all traffic back and retires the canary.
//
// # Drift
//
// Every row served feeds one drift.Stream per feature (the last 1,000
// values) compared with the serving version's stored profile
// (profile.json beside model.json); every -drift-interval the verdicts go
// to sextant_feature_drift_score and sextant_feature_drift_detected.
//
// # Server
//
// deploy.NewServer bounds headers, bodies, responses and idle connections;
// SIGINT or SIGTERM shuts the server down, letting requests in flight
// finish for up to 10s.
//
// # Packaging
//
// k8s/ holds the Kubernetes manifests (Deployment, Service,
// ServiceMonitor, PrometheusRule generated from monitor's rules file,
// RBAC) and their tests; Dockerfile builds the image they run; lambda/
// runs the same server on AWS Lambda through deploy/lambda, whose
// template.yaml deploys it.
//
// # Tests
//
// The service's tests start it in-process on a loopback port, send OIP
// requests, move the alias and see the new version served, run a rollout
// to promotion, shift traffic until drift is reported, and scrape
// /metrics. With -tags integration, a real Prometheus (the Debian package
// prometheus) scrapes the service every second and evaluates the shipped
// rules file: every query of the shipped dashboard returns data and every
// rule group is healthy (the test fails when prometheus is missing).
package main
