// Package schema checks tables against a per-column schema, as TFDV and
// Great Expectations do: a type (int, float, string, bool, timestamp),
// nullability and a maximum share of missing values, min and max, allowed
// values, a regular expression, uniqueness.
//
// Infer proposes a schema from reference data; users review and edit it
// and store it as JSON (Parse reads it back strictly). Validate streams a
// CSV or JSON Lines table, or a Parquet file, through the schema without
// holding its rows and
// returns a Report naming each anomaly (missing column, new column, type
// mismatch, out of range, out of domain, pattern mismatch, missing values,
// duplicates, malformed rows) with a count and a few example rows, and
// whether the data passes.
//
// Type rules: in CSV every cell is text and is parsed; in JSON Lines an int
// or float must be a JSON number, a bool a JSON boolean, a timestamp a
// JSON string (RFC 3339, "2006-01-02 15:04:05" or "2006-01-02"); a string
// column accepts any value. Patterns must match the whole value.
//
// Parquet: set Table.Format to table.Parquet and pass a reader that also
// offers ReadAt and a size (*os.File, *bytes.Reader, *io.SectionReader);
// the file is read a page per column at a time (see package table). The
// declared types decide: an int is a Parquet integer or a decimal of
// scale 0, a float any integer, decimal, FLOAT or DOUBLE, a bool a
// BOOLEAN, a timestamp a DATE, TIMESTAMP or INT96 (or a string in one of
// the accepted forms); so Infer proposes float for a DOUBLE column
// holding whole numbers and string for a string column of digits. Row
// numbers stand where line numbers stand for CSV. Struct fields are
// columns with dotted names ("address.city"); a file with a repeated
// column fails with table.ErrUnsupported unless Table.ParquetColumns
// leaves it out.
//
// Hostile input is bounded by the reader's limits (see package table):
// a record longer than Table.MaxRecordBytes (default 1 MiB) fails with
// table.ErrRecordTooLong and a table with more than Table.MaxColumns
// columns (default 4096) with table.ErrTooManyColumns. Validate and Infer
// spend time on each row in proportion to its own fields plus the
// schema's columns, never to the number of columns earlier rows named.
//
// A Schema is safe for concurrent use by several Validate calls once it is
// no longer modified.
package schema
