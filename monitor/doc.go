// Package monitor exposes Prometheus metrics for machine learning models
// served from a Go process: predictions by outcome, latency, in-flight
// requests, predicted values and classes, feature drift, the model
// versions served and their rollout, windowed statistics a rollout can
// judge without a Prometheus server, and an estimate of what predictions
// cost. It ships a Grafana dashboard and Prometheus alert rules that query
// exactly the metrics it exports.
//
// # Metrics
//
// New registers one set of metrics on a caller's prometheus.Registerer;
// the global registry is never touched. Options.ConstLabels distinguish
// sets, so two sets with different const labels share one registry.
//
//	sextant_predictions_total{model,version,outcome}           counter
//	sextant_prediction_duration_seconds{model,version}         histogram, classic and native buckets
//	sextant_predictions_in_flight{model,version}               gauge
//	sextant_prediction_value{model,version}                    histogram of scores or probabilities
//	sextant_prediction_class_total{model,version,class}        counter, classes bounded
//	sextant_feature_drift_score{model,feature,method}          gauge
//	sextant_feature_drift_detected{model,feature,method}       gauge, 0 or 1
//	sextant_model_info{model,version,digest}                   gauge, always 1
//	sextant_rollout_weight{model,version}                      gauge, 0 to 1
//	sextant_rollout_phase{model,phase}                         gauge, 1 for the current phase
//	sextant_prediction_cost_samples_total{model,version}       counter
//	sextant_prediction_cpu_seconds_total{model,version}        counter
//	sextant_prediction_allocated_bytes_total{model,version}    counter
//	sextant_prediction_cost_per_thousand{model,version}        gauge, when Options.Prices is set
//
// Outcomes are ok, error, timeout, canceled and rejected (see Outcome).
// Every label has bounded cardinality: outcomes are a fixed set; class
// labels are limited to Options.Classes or to the first
// Options.MaxClasses seen per model version, and any other class is
// counted as "other"; label values that are not valid UTF-8 are repaired
// and long ones cut to 128 bytes. Model, version, feature, method and
// phase come from the program, not from requests; Metrics.Forget and the
// Delete methods retire them.
//
// # Instrumenting predictions
//
// Wrap instruments any Predictor, a value with the method
// Predict(context.Context, In) (Out, error) (a deploy.Predictor, a
// *deploy.Router, a model of your own), and returns one, so an
// instrumented predictor goes wherever the bare one went; WrapFunc does
// the same for a plain function. Metrics.Middleware instruments an
// http.Handler, taking the outcome from the status code. Metrics.Series
// gives the underlying instruments of one model version for custom code
// (Series.Do, Series.Observe, Series.ObserveValue, Series.ObserveClass).
//
// Metrics.Recorder(model, version) returns a function that records a
// prediction the caller timed; it makes a *Metrics the Observer of a
// deploy.Router, which records each routed prediction under its version:
//
//	router, _ := deploy.NewRouter(versions, &deploy.RouterOptions[Out]{Model: "fraud", Observer: metrics})
//
// Count the versions behind a router that way, not with a plain Wrap: the
// router leaves out the calls a client makes to a version by name
// (Router.PredictVersion), which would otherwise count in the window a
// rollout judges. For cost, value and class of those versions, wrap them
// with WrapOptions.BehindRouter, which records those and leaves outcomes,
// latency and the window to the router. Options.Classify maps errors to
// outcomes for Recorder and for Wrap.
//
// # Windowed statistics
//
// Each model version keeps in-process statistics over the last
// Options.Window (60s by default), in Options.WindowSlots slots: request
// and error counts per outcome, and for successful predictions latency
// quantiles (exact while every latency fits in the sample, then from
// log-scale buckets, within 1/8 of the true value) and a random sample of
// latencies for rank tests. Metrics.Window reads the
// whole window and Metrics.Range a time range within it, at slot
// resolution; the clock is Options.Now, so tests control time. Errors are
// the outcomes error and timeout; no data gives a NaN error rate, never
// zero.
//
// This window is the one a rollout judges: *Metrics satisfies
// deploy/rollout's Source through Metrics.Range, so the metrics a router
// feeds as its Observer are the evidence of the rollout's analysis. For
// analysis windows shorter than a few slots, choose slots finer than the
// default 5s (Options.Window/Options.WindowSlots).
//
// monitor imports neither deploy nor deploy/rollout: they
// declare the interfaces that *Metrics satisfies (Observer, Source,
// MetricsSink), and Predictor here is structural.
//
// # Drift, versions and rollouts
//
// Metrics.SetDrift records a drift verdict from plain values, so this
// package does not depend on the drift package. Metrics.SetModelInfo
// marks a version as served with its digest. Metrics.SetRolloutWeight,
// Metrics.SetRolloutPhase and Metrics.ClearRollout publish a rollout;
// Metrics.RolloutWeight and Metrics.RolloutPhase read it back.
//
// # Cost
//
// One prediction in Options.CostSampleEvery (128 by default), drawn at
// random, is measured: the goroutine is pinned to its thread, whose CPU
// clock (CLOCK_THREAD_CPUTIME_ID, Linux only) brackets the call, and the
// process's cumulative heap allocations are read from runtime/metrics
// before and after. The CPU of an empty measurement, taken once in New,
// is subtracted. Allocations are process-wide, so under concurrency
// they include other goroutines' work. With Options.Prices (per
// vCPU-second and per GB-second, as serverless platforms charge), the
// estimated cost of 1,000 predictions is exported and returned by
// Metrics.Cost: 1000 × (CPU seconds × VCPUSecond + memory GB × wall
// seconds × GBSecond + Request) per prediction, the wall time rounded up
// to Prices.BillingGranularity when set.
//
// LambdaPricing gives the Prices of an AWS Lambda function serving one
// prediction per invocation: configured memory (Lambda's GB is 1,024 MB)
// times the duration rounded up to 1ms at a GB-second price, plus the
// request price. Its defaults are the x86 prices of US East (N. Virginia),
// first tier, read from https://aws.amazon.com/lambda/pricing/ on
// 2026-12-03 (LambdaX86GBSecond $0.0000166667, LambdaArm64GBSecond
// $0.0000133334, LambdaRequest $0.20 per million); prices change and
// differ by region, so pass the ones you pay. Only the prediction's own
// time is measured, not the invocation's decoding and encoding, so the
// estimate is a lower bound of the bill.
//
// # Dashboard and alerts
//
// Dashboard and Rules return the embedded Grafana dashboard (JSON) and
// Prometheus alerting rules (YAML); WriteAssets writes both into a
// directory. The alerts are SextantHighErrorRate, SextantLatencySLOBurnFast
// and SextantLatencySLOBurnSlow (a 99%-within-0.5s SLO), SextantFeatureDrift,
// SextantNoPredictions and SextantRolloutRolledBack. They aggregate by
// model and version, so const labels do not split them. The latency rules and panels read classic
// buckets: a Prometheus that ingests native histograms must keep scraping
// classic ones too (scrape_classic_histograms). The tests run promtool
// check metrics on a promhttp scrape, promtool check rules, and promtool
// test rules with testdata/rules_test.yml.
//
// A nil *Metrics (and the nil *Series it returns) records nothing: Wrap,
// WrapFunc and Middleware return what they were given, Recorder a
// function that does nothing, setters do nothing and
// readers return zero values, so instrumentation can be optional.
//
// # Concurrency
//
// All methods of Metrics and Series, and the predictors, functions and
// handlers returned by Wrap, WrapFunc, Recorder and Middleware, are safe
// for concurrent use. The hot path does not
// allocate and takes a lock only when a window slot turns over (once per
// slot width), a new class label is admitted, or the call is one of those
// sampled for cost (one in Options.CostSampleEvery). Windowed statistics
// read while slots rotate may be off by the few predictions recorded
// during the rotation. No goroutine is started.
//
// # Performance
//
// An instrumented call is measured beside a bare call of the same tiny
// predictor (four multiply-adds), and beside the same call instrumented by
// hand with client_golang (gauge, counter and a histogram with the same
// classic and native buckets, timed with time.Now): BenchmarkOverhead
// alternates chunks of 2,000 calls of the three and reports medians over
// rounds (DESIGN's bar: under 300 ns added, no allocation). Every
// instrumented variant allocates nothing (TestHotPathDoesNotAllocate checks
// the hot path with AllocsPerRun). Most of what Wrap adds is client_golang's
// own work (a histogram observation with native buckets, a counter, a gauge
// up and down) and two clock reads; the window adds two atomic additions
// per successful call. The figures, with the command, are in BENCHMARKS.md
// at the repository's root.
//
// # Testing
//
// Package monitortest builds a Metrics on a fresh pedantic registry in
// one call, with a manual clock and helpers that read back what was
// recorded.
package monitor
