// Package table reads CSV and JSON Lines streams row by row, in memory
// bounded by the longest record, and reads whole tables into typed columns
// (numeric and categorical, missing values counted) for drift detection
// and validation.
//
// CSV input has a header row; cells equal to a null marker are Missing.
// JSON Lines input holds one object per line; its keys are the columns, in
// order of first appearance, and null or absent keys are Missing. A bad
// row (ragged, invalid UTF-8, not an object, a duplicated key) is reported
// with ErrMalformedRow and reading goes on; any other error ends it.
//
// # Limits
//
// Two limits keep hostile input from exhausting memory or time; both are
// Options fields and both errors are final:
//
//   - MaxRecordBytes (default 1 MiB) bounds one record, its line break
//     included: a JSON Lines line, or a CSV record with every line break
//     inside its quoted fields. The reader stops reading the input a few
//     KiB past the limit, so a quoted field spanning millions of short
//     lines costs memory in proportion to the limit, not to the field.
//     Exceeding it is ErrRecordTooLong.
//   - MaxColumns (default DefaultMaxColumns, 4096) bounds the columns: the
//     CSV header's fields, or the distinct keys of a JSON Lines stream.
//     Exceeding it is ErrTooManyColumns.
//
// Rows are sparse: a Row holds only the cells it has, so reading a row
// costs time and memory in proportion to its own fields, however many
// columns earlier rows introduced.
//
// A Reader is not safe for concurrent use; ReadColumns is.
package table
