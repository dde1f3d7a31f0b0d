// Package drift detects distribution drift between reference data and
// current data: two-sample tests and distances whose numbers match SciPy,
// reference profiles that are fitted once, persisted and merged across
// shards, a lock-free streaming detector for serving paths, and reports as
// stable JSON and self-contained HTML.
//
// # Comparing data
//
// [Compare] tests a reference [Data] against current data column by
// column; [Fit] profiles the reference once so that [Profile.Compare] can
// test later batches without it. Each column gets a [ColumnResult] (method,
// statistic, score, threshold, verdict, counts, chart shares) and the
// [Report] a dataset verdict by a [Rule]: the share of drifted columns
// (default 0.5, as Evidently), Bonferroni, or Benjamini-Hochberg over the
// p-values (as alibi-detect offers).
//
// The tests and distances are also available on raw samples or counts:
// [KS], [MannWhitney], [CramerVonMises], [ChiSquare],
// [ChiSquareGoodnessOfFit], [TwoProportionZ], [Wasserstein],
// [WassersteinNormed], and, on bin or category counts (see [Bin]), [PSI],
// [KullbackLeibler], [JensenShannon], [Hellinger] and [LInfinity].
//
// With [MethodAuto] a column's method is chosen as Evidently does: numeric
// columns use [MethodKS] up to 1000 reference rows and normed
// [MethodWasserstein] above; categorical columns use [MethodZ] (at most two
// categories) or [MethodChiSquare] up to 1000 rows and
// [MethodJensenShannon] above; a numeric column with at most five distinct
// values is treated as categorical. Every method and threshold can be set
// per column with [ColumnOptions]. Tests flag drift when p < threshold
// (default 0.05), distances when the distance >= threshold (default 0.1).
// Evidently's chi-square is the goodness-of-fit form ([MethodChiSquareGOF]);
// the default here is the contingency form, which stays defined when the
// current data has categories the reference never saw.
//
// # Numbers and conventions
//
// The statistics match SciPy 1.10 to |got-want| <= 1e-9 + 1e-6|want|,
// checked against testdata/drift_scipy.json (written by
// testdata/gen_drift_golden.py) on every field:
//
//   - KS is scipy.stats.ks_2samp, two-sided, exact p-values when the larger
//     sample has at most 10,000 values and asymptotic (SciPy's kstwo) above,
//     or as chosen by [ColumnOptions.KSMethod].
//   - Chi-square is chi2_contingency on the 2xK table of categories seen on
//     either side (Yates only at one degree of freedom); goodness of fit is
//     chisquare(current, reference shares * current total); z is the pooled
//     two-proportion test on the first category.
//   - Cramér-von Mises is cramervonmises_2samp with the asymptotic p-value;
//     Mann-Whitney U is mannwhitneyu(two-sided, asymptotic, continuity and
//     tie corrections).
//   - Wasserstein is wasserstein_distance; normed divides it by the
//     reference's population standard deviation, floored at [StdFloor].
//   - Binned distances use 10 bins at the reference's deciles (NumPy's
//     linear quantiles, duplicates dropped, open outer bins, a value on an
//     edge goes right; see [QuantileEdges] and [Bin]); PSI and KL replace
//     empty shares by [Epsilon]; Jensen-Shannon is the base-2 distance;
//     Hellinger is sqrt(1 - sum sqrt(p q)); L-infinity the largest share
//     difference. Categorical columns use category shares instead of bins.
//
// # Edge cases
//
// NaN and ±Inf in numeric columns, and empty strings in categorical ones,
// are counted (Counts.NaN, Counts.Inf) and dropped. A column with no usable
// value is an error wrapping [ErrEmpty]. A constant reference has a single
// distinct value: it is compared as a one-category column, and normed
// Wasserstein divides by [StdFloor]. Categories unseen in the reference are
// listed in ColumnResult.Unseen and take part in chi-square, z and the
// distances (with [Epsilon] for PSI and KL); goodness of fit is undefined
// for them ([ErrInvalid]). A single category on both sides gives chi-square
// 0 with p = 1 and z = 0 with p = 1. Current data must have exactly the
// profile's columns ([ErrUnknownColumn]).
//
// Bad input is an error, never a panic: every error about the input wraps
// one of the package's Err variables (test with errors.Is; WriteHTML also
// passes on the writer's errors) and its message starts with "drift:". A
// threshold must be finite and positive (at most 1 for a p-value), bins
// number 2 to [MaxBins], a stream window at most [MaxWindowSize] values,
// and counts must be finite, non-negative and sum within range
// ([ErrInvalid], also for a merge whose summed counts would overflow).
// Compare, Merge and NewStream check the profiles they are given and
// reject a nil one ([ErrInvalid]) or one that breaks the invariants Fit
// guarantees, such as a hand-built Profile or counts that overflow
// ([ErrCorrupt]).
//
// # Profiles
//
// A [Profile] holds per numeric column the moments, the bin edges and
// counts, and a sample of distinct values with their counts; per
// categorical column the category counts. It marshals with encoding/json
// and [Parse] (or json.Unmarshal) validates it, rejecting anything
// inconsistent with [ErrCorrupt]; it is fuzzed (FuzzParse), and whatever
// it accepts can be compared, merged and streamed without a panic.
//
// Profiles merge ([Merge]) so a data set can be profiled on many machines.
// Bins must agree across shards: fit the first shard, pass its
// [Profile.Edges] as [FitOptions.Edges] when fitting the others. Then the
// merged profile equals the profile of the concatenated data fitted with
// those edges: counts, bins, categories and the sample exactly, the
// moments up to floating-point rounding. The sample keeps the
// [FitOptions.SampleSize] (default 20,000) distinct values with the
// smallest seeded hash, with their full counts; a value's fate depends only
// on the value, which is what makes the merge exact. While a column has no
// more distinct values than that, the sample is the whole column
// (NumericProfile.Complete) and every test equals SciPy's on the raw data.
// Beyond it the sample-based methods (KS, Cramér-von Mises, Mann-Whitney,
// Wasserstein) compare against a sample of distinct values: for continuous
// data that is a uniform random sample of about SampleSize values, so the
// reference distribution function is off by at most about
// sqrt(ln(2/0.01)/(2*20000)) = 0.012 with 99% probability
// (Dvoretzky-Kiefer-Wolfowitz), and so is a KS statistic computed against
// it (TestBoundedSampleWithinStatedError checks the bound). Their
// p-values take the sample as the reference, so the reference size they
// use is the sample's total count, not the column's, which makes them
// somewhat conservative. Bins, PSI and the other binned distances,
// categories and moments stay exact at any size.
//
// # Reading Parquet and tables
//
// Package drift/tabular builds [Data] from the tables package
// dataset/table reads: tabular.ReadParquet reads columns of a Parquet file
// (an io.ReaderAt and its size) one page of each chosen column at a time,
// so that beyond the values Data keeps memory is bounded by a page and a
// dictionary per column; integer, decimal and floating-point columns are
// numeric, the others categorical, and nulls are left out.
// tabular.FromColumns turns anything table.ReadColumns read (CSV, JSON
// Lines, Parquet) into Data. It is a package of its own so that drift
// depends on internal/stats only and never builds a Parquet decoder.
//
// # Streaming
//
// [Stream] watches one column of live traffic against a profile: Observe
// (or ObserveCategory) costs one atomic increment and one or two atomic
// stores, without locks or allocation (ObserveBatch one increment per
// batch); the window holds the Size most
// recent values, or those within Window of a clock that tests may replace.
// Check compares the window through the same code as Profile.Compare.
//
// # Reports
//
// [Report] marshals to JSON with a fixed field order and sorted columns.
// Fields are only ever added: a column's entry keeps its verdict, counts
// and chart (shares per bin or category) and now also carries Stats (per
// side: rows, count, missing share; for numeric columns mean, population
// std, min, 25/50/75% quantiles interpolated linearly, max; for
// categorical ones distinct categories and the most frequent), PValue (the
// score of a test, or beside a distance the p-value of MethodKS on numeric
// and MethodChiSquare on categorical columns) and, for numeric columns,
// Histogram (HistogramBins equal-width bins over both sides' range, edges
// included) and ECDF (at most ECDFPoints steps per side). On a sampled
// profile the reference quantiles, histogram and ECDF come from the sample
// and NumericSummary.Approximate is set; moments are always exact. A
// Stream's WindowResult embeds the same ColumnResult, so each check carries
// these fields for its window too.
// [Report.WriteHTML] writes one page with a summary table (with p-values
// beside distances) and per column a table of both sides' statistics, then
// inline SVG charts 960 pixels wide: for numeric columns a histogram on a
// value axis labelled at every bin edge and an overlay of both ECDFs, for
// categorical columns the shares per category. It loads no scripts, fonts
// or style sheets. The tests parse the page, and the test in
// drift/internal/reportrender renders it in headless Chromium (Debian
// package chromium, which that test needs) to check that the bars are
// painted.
//
// # Concurrency
//
// Functions and methods of this package are safe for concurrent use:
// profiles and reports are not modified after they are returned (do not
// modify them concurrently yourself), and a [Stream] accepts Observe and
// Check from any number of goroutines. A Check concurrent with Observe sees
// each in-flight value either before or after it lands. Nothing here
// starts a goroutine that outlives the call; large samples are sorted and
// counted on two goroutines that are joined before returning.
//
// # Dependencies
//
// The statistics live in the internal package internal/stats, shared with
// deploy; its chi-square tail uses gonum's regularized incomplete gamma
// function (gonum.org/v1/gonum/mathext), a port of Cephes as SciPy uses.
// Reading files goes through package dataset/table, and so Parquet through
// github.com/parquet-go/parquet-go.
//
// # Performance
//
// KS and PSI sort and bin with a radix sort on order-preserving keys and a
// single pass over sorted values. Fit keeps one copy of each numeric
// column, sorted in place (an in-place radix sort on the same memory seen as
// keys, no scratch buffer), takes moments, edges and bin counts from it, and
// streams the sample from its runs of equal values with a heap of
// SampleSize hashes: Fit allocates about the column's size once more, and
// the profile keeps the sample (TestFitMemory measures both with
// runtime.MemStats on a 1,000,000-value column; the bar is 2x the column).
// Streaming adds a value with atomic increments and no allocation.
//
// BenchmarkKS1M and BenchmarkPSI1M run the Go side and SciPy 1.10 / NumPy
// (testdata/bench_scipy.py under /usr/bin/python3, one serving process)
// alternately on the same 1,000,000 vs 1,000,000 values, check that the
// statistic, p-value and PSI agree, and report SciPy's time over ours, of
// the minima and of the medians; without SciPy they say so and report the
// Go time alone. The figures, with the command for each, are in
// BENCHMARKS.md at the repository's root.
//
// # Testing
//
// Package drift/drifttest provides a manual clock and streams wired to it,
// reproducible and shifted samples, NaN/Inf and corrupt-profile fault
// injection, assertions on reports, and RunConformance for detectors built
// on top of [Stream].
package drift
