package schema

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"regexp"
	"strings"

	"github.com/sextant-ml/sextant/dataset/table"
)

// AnomalyKind names a kind of finding.
type AnomalyKind string

// Anomaly kinds.
const (
	// MissingColumn: a schema column absent from the data.
	MissingColumn AnomalyKind = "missing_column"
	// NewColumn: a data column the schema does not name.
	NewColumn AnomalyKind = "new_column"
	// TypeMismatch: a value that is not of the column's type.
	TypeMismatch AnomalyKind = "type_mismatch"
	// OutOfRange: a number or timestamp outside [min, max].
	OutOfRange AnomalyKind = "out_of_range"
	// OutOfDomain: a value not among the allowed ones.
	OutOfDomain AnomalyKind = "out_of_domain"
	// PatternMismatch: a value the column's pattern does not match.
	PatternMismatch AnomalyKind = "pattern_mismatch"
	// MissingValues: missing values in a column that is not nullable, or
	// more than its max_missing share.
	MissingValues AnomalyKind = "missing_values"
	// Duplicates: repeated values in a unique column.
	Duplicates AnomalyKind = "duplicates"
	// MalformedRows: rows that could not be read (ragged CSV rows, invalid
	// UTF-8, lines that are not JSON objects).
	MalformedRows AnomalyKind = "malformed_rows"
)

// Example points at one offending row.
type Example struct {
	Line  int64  `json:"line"`
	Value string `json:"value,omitempty"`
}

// Anomaly is one finding: its kind, the column, how many rows, a few
// examples and a sentence.
type Anomaly struct {
	Kind     AnomalyKind `json:"kind"`
	Column   string      `json:"column,omitempty"`
	Count    int64       `json:"count"`
	Examples []Example   `json:"examples,omitempty"`
	Message  string      `json:"message"`
}

// Report is the outcome of a validation. Anomalies come in schema column
// order, then new columns, then malformed rows.
type Report struct {
	Rows      int64     `json:"rows"`
	Passed    bool      `json:"passed"`
	Anomalies []Anomaly `json:"anomalies"`
}

// String summarises the report in a few lines.
func (r *Report) String() string {
	var b strings.Builder
	verdict := "PASS"
	if !r.Passed {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "%s: %d rows, %d anomalies\n", verdict, r.Rows, len(r.Anomalies))
	for _, a := range r.Anomalies {
		fmt.Fprintf(&b, "  %s", a.Message)
		if len(a.Examples) > 0 {
			b.WriteString(" (e.g.")
			for i, e := range a.Examples {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, " line %d", e.Line)
				if e.Value != "" {
					fmt.Fprintf(&b, " %q", e.Value)
				}
			}
			b.WriteByte(')')
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// ValidateOptions configures Validate.
type ValidateOptions struct {
	// Table configures the reader (format, delimiter, null markers, record
	// and column limits). Default: CSV with the table package's defaults.
	Table table.Options
	// MaxExamples is the number of example rows kept per anomaly.
	// Default: 3.
	MaxExamples int
}

// finding accumulates one anomaly.
type finding struct {
	count    int64
	examples []Example
}

func (f *finding) add(limit int, line int64, value string) {
	f.count++
	if len(f.examples) < limit {
		f.examples = append(f.examples, Example{Line: line, Value: value})
	}
}

type colCheck struct {
	col     *Column
	index   int   // position in the reader's columns; -1 until seen
	lastRow int64 // the last row that had a value in the column
	allowed map[string]bool
	pattern *regexp.Regexp
	seen    map[uint64]struct{}

	missing, mismatch, outOfRange, outOfDomain, noMatch, dups finding
}

// Validate streams a CSV or JSON Lines table through the schema without
// keeping rows in memory (a unique column keeps a 64-bit hash per distinct
// value), and reports every anomaly. Malformed rows are counted as an
// anomaly and skipped; only unreadable input (no CSV header, a record
// over the length limit, more columns than the limit, a read error)
// returns an error.
func (s *Schema) Validate(ctx context.Context, r io.Reader, opts *ValidateOptions) (*Report, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	var o ValidateOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxExamples <= 0 {
		o.MaxExamples = 3
	}
	rd, err := table.NewReader(r, &o.Table)
	if err != nil {
		return nil, err
	}
	seed := maphash.MakeSeed()
	checks := make([]*colCheck, len(s.Columns))
	byName := map[string]*colCheck{}
	for i := range s.Columns {
		c := &s.Columns[i]
		cc := &colCheck{col: c, index: -1}
		if len(c.Allowed) > 0 {
			cc.allowed = map[string]bool{}
			for _, a := range c.Allowed {
				cc.allowed[a] = true
			}
		}
		if c.Pattern != "" {
			cc.pattern = regexp.MustCompile("^(?:" + c.Pattern + ")$")
		}
		if c.Unique {
			cc.seen = map[uint64]struct{}{}
		}
		checks[i] = cc
		byName[c.Name] = cc
	}
	// byIndex and fresh map a reader column to its check or, for a column
	// the schema does not name, to its finding; each row then costs time
	// in proportion to its own cells and the schema's columns, never to
	// the number of columns seen.
	var byIndex []*colCheck
	var fresh []*finding
	type newColumn struct {
		name string
		f    *finding
	}
	var newCols []newColumn
	var malformed finding
	var rows int64
	for {
		if rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, table.ErrMalformedRow) {
			malformed.add(o.MaxExamples, row.Line, "")
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("schema: validate: %w", err)
		}
		rows++
		for i := len(byIndex); i < rd.NumColumns(); i++ {
			name := rd.Column(i)
			cc, ok := byName[name]
			var f *finding
			if ok {
				cc.index = i
			} else if !s.AllowNewColumns {
				f = &finding{}
				newCols = append(newCols, newColumn{name, f})
			}
			byIndex, fresh = append(byIndex, cc), append(fresh, f)
		}
		for _, c := range row.Cells {
			if cc := byIndex[c.Column]; cc != nil {
				cc.lastRow = rows
				cc.check(o.MaxExamples, seed, row.Line, c.Value)
			} else if f := fresh[c.Column]; f != nil && c.Kind != table.Missing {
				f.add(o.MaxExamples, row.Line, c.Text)
			}
		}
		for _, cc := range checks {
			if cc.lastRow != rows {
				cc.check(o.MaxExamples, seed, row.Line, table.Value{})
			}
		}
	}

	rep := &Report{Rows: rows}
	add := func(kind AnomalyKind, col string, f *finding, msg string) {
		if f.count > 0 {
			rep.Anomalies = append(rep.Anomalies, Anomaly{Kind: kind, Column: col, Count: f.count, Examples: f.examples, Message: msg})
		}
	}
	for _, cc := range checks {
		c := cc.col
		if cc.index < 0 {
			rep.Anomalies = append(rep.Anomalies, Anomaly{Kind: MissingColumn, Column: c.Name, Count: rows,
				Message: fmt.Sprintf("%q: column missing", c.Name)})
			continue
		}
		add(TypeMismatch, c.Name, &cc.mismatch, fmt.Sprintf("%q: %s not %s", c.Name, values(cc.mismatch.count), article(c.Type)))
		add(OutOfRange, c.Name, &cc.outOfRange, fmt.Sprintf("%q: %s outside %s", c.Name, values(cc.outOfRange.count), c.rangeText()))
		add(OutOfDomain, c.Name, &cc.outOfDomain, fmt.Sprintf("%q: %s not among the %d allowed", c.Name, values(cc.outOfDomain.count), len(c.Allowed)))
		add(PatternMismatch, c.Name, &cc.noMatch, fmt.Sprintf("%q: %s not matching %s", c.Name, values(cc.noMatch.count), c.Pattern))
		switch {
		case !c.Nullable:
			add(MissingValues, c.Name, &cc.missing, fmt.Sprintf("%q: %s missing (not nullable)", c.Name, values(cc.missing.count)))
		case c.MaxMissing != nil && rows > 0 && float64(cc.missing.count)/float64(rows) > *c.MaxMissing:
			add(MissingValues, c.Name, &cc.missing, fmt.Sprintf("%q: %s missing, a share of %.3g above %.3g", c.Name, values(cc.missing.count), float64(cc.missing.count)/float64(rows), *c.MaxMissing))
		}
		add(Duplicates, c.Name, &cc.dups, fmt.Sprintf("%q: %s repeating an earlier value (unique)", c.Name, values(cc.dups.count)))
	}
	for _, nc := range newCols {
		rep.Anomalies = append(rep.Anomalies, Anomaly{Kind: NewColumn, Column: nc.name, Count: nc.f.count, Examples: nc.f.examples,
			Message: fmt.Sprintf("%q: column not in the schema", nc.name)})
	}
	add(MalformedRows, "", &malformed, fmt.Sprintf("%d malformed rows", malformed.count))
	rep.Passed = len(rep.Anomalies) == 0
	return rep, nil
}

// values counts values in words: "1 value", "3 values".
func values(n int64) string {
	if n == 1 {
		return "1 value"
	}
	return fmt.Sprintf("%d values", n)
}

func article(t Type) string {
	if t == Int {
		return "an int"
	}
	return "a " + string(t)
}

func (c *Column) rangeText() string {
	lo, hi := "-inf", "+inf"
	if c.Type == Timestamp {
		if c.MinTime != nil {
			lo = c.MinTime.Format("2006-01-02T15:04:05Z07:00")
		}
		if c.MaxTime != nil {
			hi = c.MaxTime.Format("2006-01-02T15:04:05Z07:00")
		}
	} else {
		if c.Min != nil {
			lo = fmt.Sprint(*c.Min)
		}
		if c.Max != nil {
			hi = fmt.Sprint(*c.Max)
		}
	}
	return "[" + lo + ", " + hi + "]"
}

// accepts reports whether a cell of kind k can hold a value of type t.
func accepts(t Type, k table.Kind) bool {
	switch t {
	case Int:
		return k == table.Text || k == table.Number
	case Float:
		return k == table.Text || k == table.Number || k == table.Float
	case Bool:
		return k == table.Text || k == table.Bool
	case Timestamp:
		return k == table.Text || k == table.String || k == table.Timestamp
	}
	return true
}

func (cc *colCheck) check(limit int, seed maphash.Seed, line int64, v table.Value) {
	c := cc.col
	if v.Kind == table.Missing {
		cc.missing.add(limit, line, "")
		return
	}
	p, ok := parseAs(c.Type, v.Text)
	if !ok || !accepts(c.Type, v.Kind) {
		cc.mismatch.add(limit, line, v.Text)
		return
	}
	switch c.Type {
	case Int, Float:
		if (c.Min != nil && !(p.num >= *c.Min)) || (c.Max != nil && !(p.num <= *c.Max)) || (math.IsNaN(p.num) && (c.Min != nil || c.Max != nil)) {
			cc.outOfRange.add(limit, line, v.Text)
		}
	case Timestamp:
		if (c.MinTime != nil && p.t.Before(*c.MinTime)) || (c.MaxTime != nil && p.t.After(*c.MaxTime)) {
			cc.outOfRange.add(limit, line, v.Text)
		}
	}
	if cc.allowed != nil && !cc.allowed[v.Text] {
		cc.outOfDomain.add(limit, line, v.Text)
	}
	if cc.pattern != nil && !cc.pattern.MatchString(v.Text) {
		cc.noMatch.add(limit, line, v.Text)
	}
	if cc.seen != nil {
		h := maphash.String(seed, v.Text)
		if _, dup := cc.seen[h]; dup {
			cc.dups.add(limit, line, v.Text)
		} else {
			cc.seen[h] = struct{}{}
		}
	}
}
