package table

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sextant-ml/sextant/internal/errkind"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrMalformedRow reports one bad row: ragged (a different number of
	// fields than the header), not valid UTF-8, not a JSON object, or with
	// a duplicated key. Reading can go on with the next row.
	ErrMalformedRow = errors.New("table: malformed row")
	// ErrRecordTooLong reports a record (a CSV record, quoted line breaks
	// included, or a JSON Lines line) longer than Options.MaxRecordBytes.
	// Reading cannot go on.
	ErrRecordTooLong = errors.New("table: record too long")
	// ErrTooManyColumns reports a table with more columns than
	// Options.MaxColumns: a CSV header that long, or a JSON Lines row
	// bringing the count of distinct keys over it. Reading cannot go on.
	ErrTooManyColumns = errors.New("table: too many columns")
	// ErrInvalidInput reports input that cannot be read as a table at all
	// (no header, an unknown format, a CSV quoting error).
	ErrInvalidInput = errors.New("table: invalid input")
	// ErrUnsupported reports a Parquet file or column this package does not
	// read: an encrypted file, a repeated column (a LIST, a MAP, a repeated
	// field), or a VARIANT, GEOMETRY, GEOGRAPHY, BSON or INTERVAL column.
	// Leave such columns out with Options.ParquetColumns.
	ErrUnsupported = errkind.New("table: unsupported input", errors.ErrUnsupported)
)

// Format is the encoding of a table stream.
type Format string

const (
	// CSV is comma-separated values with a header row (RFC 4180).
	CSV Format = "csv"
	// JSONL is JSON Lines: one JSON object per line, keys are columns.
	JSONL Format = "jsonl"
	// Parquet is an Apache Parquet file. It is not a stream: the reader
	// needs random access (an io.ReaderAt) and the file's size; see
	// NewParquetReader.
	Parquet Format = "parquet"
)

// Kind says what a cell holds.
type Kind uint8

const (
	// Missing is an absent key, a JSON null, a CSV null marker, or a
	// Parquet null (a definition level below the column's maximum).
	Missing Kind = iota
	// Text is an untyped CSV cell.
	Text
	// String is a JSON string or a Parquet string (a BYTE_ARRAY or
	// FIXED_LEN_BYTE_ARRAY, annotated or not, that is valid UTF-8; a UUID
	// in its canonical form; a TIME as "15:04:05" with a fraction of a
	// second when there is one).
	String
	// Number is a JSON number, Text holding its literal, or a Parquet
	// integer or decimal, Text holding its exact decimal form ("-12",
	// "3.50").
	Number
	// Bool is a JSON boolean or a Parquet BOOLEAN, Text "true" or "false".
	Bool
	// Nested is a JSON object or array, Text holding its JSON.
	Nested
	// Float is a Parquet FLOAT, DOUBLE or FLOAT16 value, Text holding the
	// shortest decimal form that reads back to the same value
	// (strconv.FormatFloat with format 'g': "0.5", "1e+21", "NaN",
	// "+Inf"). JSON and CSV numbers are Number or Text, never Float.
	Float
	// Timestamp is a Parquet DATE, TIMESTAMP or INT96 value, Text holding
	// it in RFC 3339 form: "2006-01-02" for a date, "2006-01-02T15:04:05Z"
	// with a fraction of a second when there is one for a timestamp
	// adjusted to UTC, the same without the "Z" for a local one and for
	// INT96.
	Timestamp
)

// Value is one cell.
type Value struct {
	Kind Kind
	Text string
}

// Options configures a Reader.
type Options struct {
	// Format of the stream. Default: CSV.
	Format Format
	// Comma is the CSV field delimiter. Default: ','.
	Comma rune
	// NullValues are the CSV cells read as Missing. Default: "", "NA",
	// "N/A", "NaN", "nan", "null", "NULL", "None" (as pandas does).
	NullValues []string
	// MaxRecordBytes bounds one record, its line break included: a JSON
	// Lines line, or a CSV record with every line break inside its quoted
	// fields. Reading stops as soon as a record passes the limit, so a
	// quoted field that never closes cannot exhaust memory.
	// Default: 1 MiB.
	MaxRecordBytes int
	// MaxColumns bounds the number of columns: the CSV header's fields, or
	// the distinct keys of a JSON Lines stream, or the leaf columns a
	// Parquet file has (after ParquetColumns). Default: 4096.
	MaxColumns int
	// ParquetColumns, for Parquet, names the columns to read (dotted
	// paths such as "address.city"; a group's name selects every column
	// under it). Names the file lacks are ignored, so the reader yields
	// the columns present, in file order. Only the chosen columns' pages
	// are read. Default: every column.
	ParquetColumns []string
	// MaxPageBytes, for Parquet, bounds the file footer, every page
	// (compressed and uncompressed, as its header declares) and every
	// page's number of values times eight. A file breaking it fails with
	// ErrRecordTooLong. Default: DefaultMaxPageBytes (64 MiB).
	MaxPageBytes int
}

// DefaultMaxPageBytes is the Parquet page and footer limit used when
// Options.MaxPageBytes is zero or negative.
const DefaultMaxPageBytes = 64 << 20

// DefaultMaxColumns is the column limit used when Options.MaxColumns is
// zero or negative.
const DefaultMaxColumns = 4096

func (o *Options) withDefaults() Options {
	var d Options
	if o != nil {
		d = *o
	}
	if d.Format == "" {
		d.Format = CSV
	}
	if d.Comma == 0 {
		d.Comma = ','
	}
	if d.NullValues == nil {
		d.NullValues = []string{"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"}
	}
	if d.MaxRecordBytes <= 0 {
		d.MaxRecordBytes = 1 << 20
	}
	if d.MaxColumns <= 0 {
		d.MaxColumns = DefaultMaxColumns
	}
	if d.MaxPageBytes <= 0 {
		d.MaxPageBytes = DefaultMaxPageBytes
	}
	return d
}

// Cell is one value of a row and the index of its column in Columns().
type Cell struct {
	Column int
	Value
}

// Row is one record. It is sparse: Cells holds only the values the row
// has, so a row costs memory and time in proportion to its own fields,
// however many columns the stream has named before it.
type Row struct {
	// Line is the 1-based line number where the row starts; for Parquet,
	// the 1-based number of the row in the file.
	Line int64
	// Cells are the row's values that are not Missing, in increasing
	// column order. A column without a cell is Missing in this row.
	Cells []Cell
}

// Value returns the row's value in column i (an index into Columns()), the
// zero Value (Missing) if the row has none.
func (r Row) Value(i int) Value {
	j, ok := slices.BinarySearchFunc(r.Cells, i, func(c Cell, i int) int { return c.Column - i })
	if !ok {
		return Value{}
	}
	return r.Cells[j].Value
}

// Reader reads rows from a CSV or JSON Lines stream one at a time, in
// memory bounded by the longest record. It is not safe for concurrent use.
type Reader struct {
	opts    Options
	columns []string
	index   map[string]int
	nulls   map[string]bool
	err     error // final error, returned by every later Next

	csv     *csv.Reader
	limit   *recordLimiter
	line    int64 // JSON Lines: lines read; CSV: line where the last record ended
	scanner *bufio.Scanner
	// lastSet[i] is the number of the JSON Lines row that last set column
	// i, so a duplicated key is found without a per-row set.
	lastSet []int64
	rows    int64

	pq *parquetSource
}

// NewReader starts reading r. For CSV the header row is read at once.
// For Parquet, r must also be an io.ReaderAt with a size (see
// NewParquetReader): *os.File, *bytes.Reader, *strings.Reader and
// *io.SectionReader are; the file is read through ReadAt from offset 0,
// whatever r's read position.
func NewReader(r io.Reader, opts *Options) (*Reader, error) {
	o := opts.withDefaults()
	rd := &Reader{opts: o, index: map[string]int{}, nulls: map[string]bool{}}
	for _, n := range o.NullValues {
		rd.nulls[n] = true
	}
	switch o.Format {
	case CSV:
		rd.limit = &recordLimiter{r: r, max: int64(o.MaxRecordBytes)}
		rd.csv = csv.NewReader(rd.limit)
		rd.csv.Comma = o.Comma
		rd.csv.FieldsPerRecord = -1
		rd.csv.ReuseRecord = true
		header, err := rd.readCSV()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: no header row", ErrInvalidInput)
			}
			return nil, err
		}
		if len(header) > o.MaxColumns {
			return nil, fmt.Errorf("%w: the header has %d columns, the limit is %d", ErrTooManyColumns, len(header), o.MaxColumns)
		}
		for i, name := range header {
			if !utf8.ValidString(name) {
				return nil, fmt.Errorf("%w: header column %d is not valid UTF-8", ErrInvalidInput, i+1)
			}
			if _, dup := rd.index[name]; dup {
				return nil, fmt.Errorf("%w: header names column %q twice", ErrInvalidInput, name)
			}
			rd.addColumn(name)
		}
	case Parquet:
		ra, size, err := readerAtSize(r)
		if err != nil {
			return nil, err
		}
		return NewParquetReader(ra, size, opts)
	case JSONL:
		rd.scanner = bufio.NewScanner(r)
		rd.scanner.Buffer(make([]byte, 0, min(64<<10, o.MaxRecordBytes)), o.MaxRecordBytes)
	default:
		return nil, fmt.Errorf("%w: unknown format %q", ErrInvalidInput, o.Format)
	}
	return rd, nil
}

func (r *Reader) addColumn(name string) int {
	r.index[name] = len(r.columns)
	r.columns = append(r.columns, name)
	return len(r.columns) - 1
}

// Columns returns the column names known so far: the CSV header, or the
// JSON keys in order of first appearance.
func (r *Reader) Columns() []string { return slices.Clone(r.columns) }

// Column returns the name of column i (0 <= i < NumColumns()) without
// copying the others.
func (r *Reader) Column(i int) string { return r.columns[i] }

// NumColumns returns how many columns are known so far. Unlike Columns it
// copies nothing, so a caller may ask after every row and fetch the names
// only when the count has grown.
func (r *Reader) NumColumns() int { return len(r.columns) }

// Next returns the next row, io.EOF at the end. An error matching
// ErrMalformedRow concerns that row only and the next call goes on; any
// other error is final, and every later call returns it again.
func (r *Reader) Next() (Row, error) {
	if r.err != nil {
		return Row{}, r.err
	}
	var row Row
	var err error
	switch {
	case r.pq != nil:
		row, err = r.nextParquet()
	case r.csv != nil:
		row, err = r.nextCSV()
	default:
		row, err = r.nextJSON()
	}
	if err != nil && !errors.Is(err, ErrMalformedRow) {
		r.err = err
	}
	return row, err
}

// readCSV reads one CSV record and checks its size.
func (r *Reader) readCSV() ([]string, error) {
	rec, err := r.csv.Read()
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	if err != nil {
		if errors.Is(err, ErrRecordTooLong) {
			return nil, fmt.Errorf("%w: the record after line %d is longer than %d bytes", ErrRecordTooLong, r.line, r.opts.MaxRecordBytes)
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalidInput, err)
	}
	end := r.csv.InputOffset()
	if end-r.limit.start > int64(r.opts.MaxRecordBytes) {
		return nil, fmt.Errorf("%w: the record after line %d is longer than %d bytes", ErrRecordTooLong, r.line, r.opts.MaxRecordBytes)
	}
	r.limit.start = end
	// The record ends on the line of its last field plus the line breaks
	// inside that field (a quoted one may hold some).
	if last := len(rec) - 1; last >= 0 {
		line, _ := r.csv.FieldPos(last)
		r.line = int64(line) + int64(strings.Count(rec[last], "\n"))
	}
	return rec, nil
}

func (r *Reader) nextCSV() (Row, error) {
	rec, err := r.readCSV()
	if err != nil {
		return Row{}, err
	}
	var line int
	if len(rec) > 0 {
		line, _ = r.csv.FieldPos(0)
	}
	row := Row{Line: int64(line)}
	if len(rec) != len(r.columns) {
		return row, fmt.Errorf("%w: line %d has %d fields, the header %d", ErrMalformedRow, line, len(rec), len(r.columns))
	}
	cells := make([]Cell, 0, len(rec))
	for i, cell := range rec {
		if !utf8.ValidString(cell) {
			return row, fmt.Errorf("%w: line %d column %q is not valid UTF-8", ErrMalformedRow, line, r.columns[i])
		}
		if r.nulls[cell] {
			continue
		}
		cells = append(cells, Cell{Column: i, Value: Value{Kind: Text, Text: cell}})
	}
	row.Cells = cells
	return row, nil
}

func (r *Reader) nextJSON() (Row, error) {
	for {
		if !r.scanner.Scan() {
			err := r.scanner.Err()
			if errors.Is(err, bufio.ErrTooLong) {
				return Row{}, fmt.Errorf("%w: line %d is longer than %d bytes", ErrRecordTooLong, r.line+1, r.opts.MaxRecordBytes)
			}
			if err != nil {
				return Row{}, fmt.Errorf("table: read: %w", err)
			}
			return Row{}, io.EOF
		}
		r.line++
		b := bytes.TrimSpace(r.scanner.Bytes())
		if len(b) == 0 {
			continue
		}
		row := Row{Line: r.line}
		if !utf8.Valid(b) {
			return row, fmt.Errorf("%w: line %d is not valid UTF-8", ErrMalformedRow, r.line)
		}
		cells, err := r.parseObject(b)
		if errors.Is(err, ErrTooManyColumns) {
			return row, fmt.Errorf("%w: line %d brings the columns over %d", err, r.line, r.opts.MaxColumns)
		}
		if err != nil {
			return row, fmt.Errorf("%w: line %d: %v", ErrMalformedRow, r.line, err)
		}
		row.Cells = cells
		return row, nil
	}
}

// parseObject reads one JSON object into the cells it holds, in column
// order. Its work is proportional to the object's own keys.
func (r *Reader) parseObject(b []byte) ([]Cell, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	r.rows++
	var cells []Cell
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		i, ok := r.index[key]
		if !ok {
			if len(r.columns) >= r.opts.MaxColumns {
				return nil, ErrTooManyColumns
			}
			i = r.addColumn(key)
			r.lastSet = append(r.lastSet, 0)
		}
		if r.lastSet[i] == r.rows {
			return nil, fmt.Errorf("key %q appears twice", key)
		}
		r.lastSet[i] = r.rows
		if v := classify(raw); v.Kind != Missing {
			cells = append(cells, Cell{Column: i, Value: v})
		}
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the object")
	}
	if !slices.IsSortedFunc(cells, compareCells) {
		slices.SortFunc(cells, compareCells)
	}
	return cells, nil
}

func compareCells(a, b Cell) int { return a.Column - b.Column }

func classify(raw json.RawMessage) Value {
	switch raw[0] {
	case 'n':
		return Value{}
	case 't', 'f':
		return Value{Kind: Bool, Text: string(raw)}
	case '"':
		var s string
		json.Unmarshal(raw, &s)
		return Value{Kind: String, Text: s}
	case '{', '[':
		return Value{Kind: Nested, Text: string(raw)}
	}
	return Value{Kind: Number, Text: string(raw)}
}

// csvReadAhead is how far encoding/csv's buffered reader may read past
// the record it is parsing (the size of a default bufio.Reader).
const csvReadAhead = 4096

// recordLimiter fails a read once the CSV record being parsed has passed
// max bytes, allowing for the csv reader's read-ahead, and never reads
// further than that: memory stays bounded by the limit even inside a
// quoted field spanning many lines. The Reader moves start to the end of
// each record it accepts.
type recordLimiter struct {
	r     io.Reader
	max   int64
	read  int64 // bytes read from r
	start int64 // input offset where the current record starts
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	room := l.start + l.max + csvReadAhead - l.read
	if room <= 0 {
		return 0, ErrRecordTooLong
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}
