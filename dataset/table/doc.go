// Package table reads CSV and JSON Lines streams row by row, in memory
// bounded by the longest line, and reads whole tables into typed columns
// (numeric and categorical, missing values counted) for drift detection
// and validation.
//
// CSV input has a header row; cells equal to a null marker are Missing.
// JSON Lines input holds one object per line; its keys are the columns, in
// order of first appearance, and null or absent keys are Missing. A bad
// row (ragged, invalid UTF-8, not an object, a duplicated key) is reported
// with ErrMalformedRow and reading goes on; a line longer than the limit
// (ErrLineTooLong) or unreadable input (ErrInvalidInput) ends it.
//
// A Reader is not safe for concurrent use; ReadColumns is.
package table
