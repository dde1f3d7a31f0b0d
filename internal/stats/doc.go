// Package stats holds the statistical primitives shared by drift and deploy:
// two-sample tests (Kolmogorov-Smirnov, Mann-Whitney U, Cramér-von Mises,
// chi-square, two-proportion z) and the distributions behind their p-values.
//
// Every function is a pure computation on its arguments and matches SciPy
// (version 1.10) within floating-point error: the same statistic, the same
// p-value, the same conventions for ties, continuity corrections and small
// samples. Input slices are never modified.
//
// Bad input is reported with an error wrapping one of the sentinels
// [ErrEmpty], [ErrNaN] or [ErrInvalid]; nothing here panics on user input.
//
// All functions are safe for concurrent use; the package holds no state.
package stats
