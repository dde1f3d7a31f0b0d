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
	"unicode/utf8"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrMalformedRow reports one bad row: ragged (a different number of
	// fields than the header), not valid UTF-8, not a JSON object, or with
	// a duplicated key. Reading can go on with the next row.
	ErrMalformedRow = errors.New("table: malformed row")
	// ErrLineTooLong reports a line longer than Options.MaxLineBytes.
	// Reading cannot go on.
	ErrLineTooLong = errors.New("table: line too long")
	// ErrInvalidInput reports input that cannot be read as a table at all
	// (no header, an unknown format, a CSV quoting error).
	ErrInvalidInput = errors.New("table: invalid input")
)

// Format is the encoding of a table stream.
type Format string

const (
	// CSV is comma-separated values with a header row (RFC 4180).
	CSV Format = "csv"
	// JSONL is JSON Lines: one JSON object per line, keys are columns.
	JSONL Format = "jsonl"
)

// Kind says what a cell holds.
type Kind uint8

const (
	// Missing is an absent key, a JSON null, or a CSV null marker.
	Missing Kind = iota
	// Text is an untyped CSV cell.
	Text
	// String is a JSON string.
	String
	// Number is a JSON number, Text holding its literal.
	Number
	// Bool is a JSON boolean, Text "true" or "false".
	Bool
	// Nested is a JSON object or array, Text holding its JSON.
	Nested
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
	// MaxLineBytes bounds a physical line, so that a stream without line
	// breaks cannot exhaust memory. Default: 1 MiB.
	MaxLineBytes int
}

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
	if d.MaxLineBytes <= 0 {
		d.MaxLineBytes = 1 << 20
	}
	return d
}

// Row is one record. Values is aligned with Columns() as it was when the
// row was read; for JSON Lines a column first seen in a later row is
// Missing in earlier ones.
type Row struct {
	// Line is the 1-based line number where the row starts.
	Line   int64
	Values []Value
}

// Reader reads rows from a CSV or JSON Lines stream one at a time, in
// memory bounded by the longest line. It is not safe for concurrent use.
type Reader struct {
	opts    Options
	columns []string
	index   map[string]int
	nulls   map[string]bool

	csv     *csv.Reader
	lines   *lineLimiter
	scanner *bufio.Scanner
	line    int64
}

// NewReader starts reading r. For CSV the header row is read at once.
func NewReader(r io.Reader, opts *Options) (*Reader, error) {
	o := opts.withDefaults()
	rd := &Reader{opts: o, index: map[string]int{}, nulls: map[string]bool{}}
	for _, n := range o.NullValues {
		rd.nulls[n] = true
	}
	switch o.Format {
	case CSV:
		rd.lines = &lineLimiter{r: r, max: o.MaxLineBytes}
		rd.csv = csv.NewReader(rd.lines)
		rd.csv.Comma = o.Comma
		rd.csv.FieldsPerRecord = -1
		rd.csv.ReuseRecord = true
		header, err := rd.csv.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: no header row", ErrInvalidInput)
			}
			return nil, rd.wrapCSV(err)
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
	case JSONL:
		rd.scanner = bufio.NewScanner(r)
		rd.scanner.Buffer(make([]byte, 0, min(64<<10, o.MaxLineBytes)), o.MaxLineBytes)
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

// NumColumns returns how many columns are known so far. Unlike Columns it
// copies nothing, so a caller may ask after every row and fetch the names
// only when the count has grown.
func (r *Reader) NumColumns() int { return len(r.columns) }

// Next returns the next row, io.EOF at the end. An error matching
// ErrMalformedRow concerns that row only and the next call goes on; any
// other error is final.
func (r *Reader) Next() (Row, error) {
	if r.csv != nil {
		return r.nextCSV()
	}
	return r.nextJSON()
}

func (r *Reader) wrapCSV(err error) error {
	if errors.Is(err, ErrLineTooLong) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrInvalidInput, err)
}

func (r *Reader) nextCSV() (Row, error) {
	rec, err := r.csv.Read()
	if errors.Is(err, io.EOF) {
		return Row{}, io.EOF
	}
	if err != nil {
		return Row{}, r.wrapCSV(err)
	}
	var line int
	if len(rec) > 0 {
		line, _ = r.csv.FieldPos(0)
	}
	row := Row{Line: int64(line)}
	if len(rec) != len(r.columns) {
		return row, fmt.Errorf("%w: line %d has %d fields, the header %d", ErrMalformedRow, line, len(rec), len(r.columns))
	}
	row.Values = make([]Value, len(rec))
	for i, cell := range rec {
		if !utf8.ValidString(cell) {
			return row, fmt.Errorf("%w: line %d column %q is not valid UTF-8", ErrMalformedRow, line, r.columns[i])
		}
		if r.nulls[cell] {
			continue
		}
		row.Values[i] = Value{Kind: Text, Text: cell}
	}
	return row, nil
}

func (r *Reader) nextJSON() (Row, error) {
	for {
		if !r.scanner.Scan() {
			err := r.scanner.Err()
			if errors.Is(err, bufio.ErrTooLong) {
				return Row{}, fmt.Errorf("%w: line %d is longer than %d bytes", ErrLineTooLong, r.line+1, r.opts.MaxLineBytes)
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
		values, err := r.parseObject(b)
		if err != nil {
			return row, fmt.Errorf("%w: line %d: %v", ErrMalformedRow, r.line, err)
		}
		row.Values = values
		return row, nil
	}
}

// parseObject reads one JSON object, keeping key order.
func (r *Reader) parseObject(b []byte) ([]Value, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	values := make([]Value, len(r.columns))
	seen := map[int]bool{}
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
			i = r.addColumn(key)
			values = append(values, Value{})
		}
		if seen[i] {
			return nil, fmt.Errorf("key %q appears twice", key)
		}
		seen[i] = true
		values[i] = classify(raw)
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the object")
	}
	return values, nil
}

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

// lineLimiter fails a read once a line grows past max bytes.
type lineLimiter struct {
	r    io.Reader
	max  int
	cur  int
	line int64
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.cur = 0
			l.line++
			continue
		}
		l.cur++
		if l.cur > l.max {
			return i, fmt.Errorf("%w: line %d is longer than %d bytes", ErrLineTooLong, l.line+1, l.max)
		}
	}
	return n, err
}
