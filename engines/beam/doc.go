// Package beam fits drift reference profiles (package drift) on Apache
// Beam, so a reference data set too large for one machine is profiled by
// a Beam pipeline on Dataflow, Flink, Spark or Beam's local prism runner,
// and the result is the profile drift.Fit would fit on the same rows.
//
// It is a Go module of its own (github.com/sextant-ml/sextant/engines/beam)
// so that programs using only the core module never download Beam's SDK.
//
// # What maps to what
//
//   - A record is a [Row]: numeric values in Row.Num, categorical values
//     in Row.Cat, by column name. [Data] gives the drift.Data a slice of
//     rows stands for (a column missing from a row contributes nothing,
//     as drift/tabular leaves nulls out); convert your own records to Row
//     with a ParDo.
//   - [ProfileFn] is a Beam CombineFn from Row to *drift.Profile. Its
//     accumulator ([Accumulator]) is a partial drift profile: AddInput
//     buffers rows and fits them with drift.Fit every 16,384 rows,
//     MergeAccumulators merges partial profiles with drift.Merge (a merge
//     is the profile of the union), ExtractOutput returns the profile,
//     validated by drift.Parse. The accumulator's coder, registered with
//     Beam, writes the partial profile in drift's own JSON encoding, so
//     runners that move accumulators between workers (lifted combines,
//     as Dataflow, Flink and prism run them) carry a profile drift can
//     read and validate.
//   - drift's profiles merge only when they share bin edges. ProfileFn
//     therefore needs the edges of every numeric column in
//     FitOptions.Edges (from a profile fitted before, for example) and
//     fits in one pass. [FitProfile] takes them from the data in two
//     passes: a first combine with one bin per column collects counts,
//     moments and the sample; the edges are cut at the sample's quantiles
//     with drift.QuantileEdgesCounted; a second pass counts the rows into
//     those bins; the counts are put into the first profile.
//   - Both return a PCollection with one *drift.Profile, encoded between
//     stages by drift's JSON. Persist it with json.Marshal in a DoFn (for
//     example to a bucket through package artifact) or pass it on.
//
// # What is exact
//
// Counts (rows, NaN, ±Inf, finite), category counts, bin counts, minimum,
// maximum and the sample of distinct values are integer counts or values
// chosen by a hash of the value alone, so they are the same whatever the
// sharding and merge order, and equal drift.Fit's. Mean and M2 (the sum of
// squared deviations) are merged as Chan et al. do, so they agree with
// drift.Fit's one-by-one sums to rounding (the tests hold them to a
// relative 1e-9); reports computed from them agree to the same rounding.
//
// Bin edges equal drift.Fit's when FitOptions.Edges gives them, and for a
// column with at most FitOptions.SampleSize distinct values (its sample is
// complete, NumericProfile.Complete): then the profile is the profile
// drift.Fit fits on [Data] of the same rows, field by field. A column with
// more distinct values is cut at the quantiles of its sample of
// SampleSize distinct values (for continuous data, each bin's share is off
// from 1/Bins by about the Dvoretzky-Kiefer-Wolfowitz bound the drift
// package states, 0.012 at the default 20,000); its bin counts are still
// exact for those edges, so the profile equals drift.Fit run with
// FitOptions.Edges set to the profile's Edges.
//
// # Running it
//
// The same pipeline runs on any Beam runner: build it with FitProfile and
// run it with beamx.Run after beam.Init, choosing the runner with Beam's
// flags (--runner=dataflow with --project, --region and
// --staging_location; --runner=flink or --runner=spark with
// --endpoint of a job server; prism in process by default). The package
// registers its functions, types and coders with Beam when it is
// initialised, as Beam requires for its workers; it registers nothing
// else and starts nothing.
//
// The tests run on prism, Beam's local runner, in the test process
// (loopback workers): profiles fitted over several input shards are
// checked against drift.Fit, reports against the single-machine ones,
// and errors against drift.Fit's. Prism lifts the combine (a pre-combine,
// a shuffle that encodes the accumulators, then the merge), but it ran
// each test pipeline's pre-combine as one bundle, so merging many
// accumulators is checked by driving ProfileFn as a distributed runner
// does: shards accumulated apart, encoded and decoded, merged in random
// orders and tree shapes (TestMergeAnyOrder).
//
//	cd engines/beam && go test -race ./...
//
// # Cost
//
// On one machine, ProfileFn costs about three times drift.Fit of the same
// columns in one call (fn/fit 2.9-3.3 in three alternated runs, 100,000
// rows of four numeric and two categorical columns): per row it appends
// each value to its column's buffer, and every 16,384 rows it fits the
// buffer and merges the fit into the partial profile. The buffers are kept
// between flushes; they were rebuilt each time, and drift.Merge copied a
// profile through JSON, which together took it to 4.3.
//
//	cd engines/beam && go test -run '^$' -bench '^BenchmarkProfileFn$' -benchtime 10x -benchmem
//
// # Limits
//
//   - Bounded data in the global window: FitProfile is for reference
//     data sets, not for windows of a stream (drift.Stream watches live
//     traffic).
//   - FitProfile reads its input twice; ProfileFn with edges reads it
//     once.
//   - One combine produces one profile: every accumulator of a key ends
//     on one worker, whose memory holds a profile (the sample is at most
//     SampleSize values per numeric column; categorical columns hold
//     every category) and a buffer of 16,384 rows.
//   - Errors cross the runner as text: the pipeline fails with drift's
//     message (drift.ErrEmpty's "drift: empty input" and so on), which a
//     caller matches as text, not with errors.Is.
//
// # Concurrency
//
// Beam calls a CombineFn's methods on one accumulator at a time; an
// Accumulator is not safe for concurrent use, and nothing here starts a
// goroutine.
package beam
