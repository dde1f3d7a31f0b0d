// Package table reads CSV and JSON Lines streams and Parquet files row by
// row, in memory bounded by the longest record (for Parquet, by one page
// per column), and reads whole tables into typed columns (numeric and
// categorical, missing values counted) for drift detection and
// validation.
//
// CSV input has a header row; cells equal to a null marker are Missing.
// JSON Lines input holds one object per line; its keys are the columns, in
// order of first appearance, and null or absent keys are Missing. A bad
// row (ragged, invalid UTF-8, not an object, a duplicated key) is reported
// with ErrMalformedRow and reading goes on; any other error ends it.
//
// # Parquet
//
// A Parquet file is read through an io.ReaderAt and its size
// (NewParquetReader, ReadParquetColumns), not as a stream: its metadata
// sits in a footer at the end. NewReader and ReadColumns accept Format
// Parquet for a reader that also offers ReadAt and a size (*os.File,
// *bytes.Reader, *io.SectionReader), so code written for CSV takes Parquet
// by changing the format. Rows come out row group by row group; each Next
// decodes at most a page of each chosen column, so memory is bounded by
// one page and one dictionary per column, never by the file or the row
// group. Row.Line is the 1-based row number in the file.
//
// Columns are the file's leaf columns in file order. Struct groups are
// flattened: the leaf city of group address is column "address.city", and
// a null group makes its leaves Missing. Repeated columns (LIST, MAP, a
// repeated field) and VARIANT, GEOMETRY, GEOGRAPHY, BSON and INTERVAL
// columns are refused with ErrUnsupported naming the column; leave them
// out with Options.ParquetColumns, which also limits the pages read to the
// columns named. Encrypted files are ErrUnsupported too.
//
// Parquet types become cells as follows; a null (definition level below
// the maximum) is Missing, as is every value of a NULL-typed column:
//
//	BOOLEAN                                Bool, "true" / "false"
//	INT32, INT64 (any INT annotation)      Number, decimal; unsigned ones as unsigned
//	DECIMAL (INT32, INT64, byte arrays)    Number, exact: "12.50"
//	FLOAT, DOUBLE, FLOAT16                 Float, strconv 'g' form: "1.1", "1e+21", "NaN"
//	DATE                                   Timestamp, "2006-01-02"
//	TIMESTAMP (milli, micro, nano)         Timestamp, RFC 3339 with "Z" when adjusted to UTC, without otherwise
//	INT96 (legacy timestamps)              Timestamp, RFC 3339 without zone
//	TIME                                   String, "15:04:05.000"
//	UUID                                   String, canonical form
//	STRING, ENUM, JSON, plain byte arrays  String if valid UTF-8; otherwise the row is ErrMalformedRow
//
// ReadColumns reads Number and Float cells as numeric, the others as
// categorical text.
//
// A damaged or hostile file fails with ErrInvalidInput, never a panic:
// before parquet-go decodes the footer or a page header, its Thrift
// encoding is walked and refused if a declared length overruns its bytes
// or its lists would decode to more than 64 times its size plus 1 MiB;
// each page header must declare sizes within Options.MaxPageBytes and fit
// in its column chunk, each chunk must hold one value per row, and a
// Snappy page may not declare more bytes than its header; a panic inside
// parquet-go is recovered and reported as ErrInvalidInput. An error of
// the io.ReaderAt itself is returned wrapped ("table: read: ..."). Not
// bounded by these checks: a gzip, brotli, LZ4 or zstd page that inflates
// past the size its header declares is decompressed by parquet-go's
// codecs in full.
//
// # Limits
//
// Limits keep hostile input from exhausting memory or time; they are
// Options fields and their errors are final:
//
//   - MaxRecordBytes (default 1 MiB) bounds one record, its line break
//     included: a JSON Lines line, or a CSV record with every line break
//     inside its quoted fields; for Parquet, the text of one row's cells.
//     The reader stops reading the input a few KiB past the limit, so a
//     quoted field spanning millions of short lines costs memory in
//     proportion to the limit, not to the field. Exceeding it is
//     ErrRecordTooLong.
//   - MaxColumns (default DefaultMaxColumns, 4096) bounds the columns: the
//     CSV header's fields, the distinct keys of a JSON Lines stream, or the
//     Parquet leaf columns chosen. Exceeding it is ErrTooManyColumns.
//   - MaxPageBytes (default DefaultMaxPageBytes, 64 MiB), for Parquet,
//     bounds the footer, each page's compressed and uncompressed size and
//     eight times its number of values. Exceeding it is ErrRecordTooLong.
//
// Rows are sparse: a Row holds only the cells it has, so reading a row
// costs time and memory in proportion to its own fields, however many
// columns earlier rows introduced.
//
// # Dependencies
//
// Parquet decoding (pages, encodings, codecs, levels) is
// github.com/parquet-go/parquet-go, the maintained pure-Go implementation;
// this package adds the checks above, the flattening and the cell mapping.
//
// # Performance
//
// BenchmarkParquetReader reads a 50,000-row, 10-row-group Snappy file;
// TestParquetBoundedMemory reads 200,000 rows (40 row groups, about 88 MB
// of cell text) and checks that the heap never grows by a tenth of that
// (measured: about 4 MB).
//
// A Reader is not safe for concurrent use; ReadColumns and
// ReadParquetColumns are.
package table
