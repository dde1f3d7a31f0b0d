package table

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// NumericColumn holds the values of a numeric column in row order.
type NumericColumn struct {
	Name   string
	Values []float64
	// Missing counts rows where the column was absent or null.
	Missing int
}

// CategoricalColumn holds the values of a categorical column in row order.
type CategoricalColumn struct {
	Name   string
	Values []string
	// Missing counts rows where the column was absent or null.
	Missing int
}

// Columns is a table read column by column, the shape drift detection
// consumes.
type Columns struct {
	// Rows is the number of rows read.
	Rows        int
	Numeric     map[string]*NumericColumn
	Categorical map[string]*CategoricalColumn
}

// ColumnOptions configures ReadColumns.
type ColumnOptions struct {
	// Options of the underlying Reader.
	Options
	// Numeric names columns to read as numbers; a value that is not a
	// number fails with ErrMalformedRow. Categorical names columns to read
	// as strings. When both are empty every column is read, as numeric if
	// all its non-missing values are numbers (JSON numbers, or CSV cells
	// strconv.ParseFloat accepts, including NaN and Inf), else
	// categorical. Default: both empty.
	Numeric, Categorical []string
	// SkipMalformed skips rows matching ErrMalformedRow (ragged, invalid
	// UTF-8) instead of failing. Default: false.
	SkipMalformed bool
}

type colState struct {
	name    string
	num     []float64
	cat     []string
	numeric bool // every value so far was a number
	wantNum bool
	wantCat bool
}

// ReadColumns reads a whole CSV or JSON Lines stream, or a Parquet file
// (Format Parquet; r must then be an io.ReaderAt with a size, as for
// NewReader), into typed columns. Memory is proportional to the values
// kept; rows are not retained, and each row costs time in proportion to
// its own fields. For Parquet, naming Numeric or Categorical columns
// reads only their pages unless Options.ParquetColumns says otherwise.
func ReadColumns(ctx context.Context, r io.Reader, opts *ColumnOptions) (*Columns, error) {
	o := columnOptions(opts, false)
	if o.Format == Parquet {
		ra, size, err := readerAtSize(r)
		if err != nil {
			return nil, err
		}
		return ReadParquetColumns(ctx, ra, size, &o)
	}
	rd, err := NewReader(r, &o.Options)
	if err != nil {
		return nil, err
	}
	return readColumns(ctx, rd, o)
}

// ReadParquetColumns reads the Parquet file held by ra, size bytes long,
// into typed columns, as ReadColumns does, one page of each column at a
// time (see NewParquetReader). Integer, decimal and floating-point columns
// are numeric; booleans, strings, dates, times and timestamps are
// categorical, holding their cell text.
func ReadParquetColumns(ctx context.Context, ra io.ReaderAt, size int64, opts *ColumnOptions) (*Columns, error) {
	o := columnOptions(opts, true)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rd, err := NewParquetReader(ra, size, &o.Options)
	if err != nil {
		return nil, err
	}
	return readColumns(ctx, rd, o)
}

func columnOptions(opts *ColumnOptions, parquet bool) ColumnOptions {
	var o ColumnOptions
	if opts != nil {
		o = *opts
	}
	if parquet {
		o.Format = Parquet
	}
	if o.Format == Parquet && o.ParquetColumns == nil && len(o.Numeric)+len(o.Categorical) > 0 {
		o.ParquetColumns = append(slices.Clone(o.Numeric), o.Categorical...)
	}
	return o
}

func readColumns(ctx context.Context, rd *Reader, o ColumnOptions) (*Columns, error) {
	selected := len(o.Numeric)+len(o.Categorical) > 0
	var states []*colState
	stateFor := func(i int) *colState {
		for len(states) <= i {
			name := rd.columns[len(states)]
			s := &colState{name: name, numeric: true}
			if selected {
				s.wantNum = slices.Contains(o.Numeric, name)
				s.wantCat = slices.Contains(o.Categorical, name)
			} else {
				s.wantNum, s.wantCat = true, true
			}
			states = append(states, s)
		}
		return states[i]
	}
	rows := 0
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
		if errors.Is(err, ErrMalformedRow) && o.SkipMalformed {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, c := range row.Cells {
			s := stateFor(c.Column)
			if !s.wantNum && !s.wantCat {
				continue
			}
			v := c.Value
			if s.wantNum && s.numeric {
				f, ok := toFloat(v)
				switch {
				case ok:
					s.num = append(s.num, f)
				case selected && !s.wantCat:
					return nil, fmt.Errorf("%w: line %d: column %q value %q is not a number", ErrMalformedRow, row.Line, s.name, v.Text)
				default:
					s.numeric, s.num = false, nil
				}
			}
			if s.wantCat {
				s.cat = append(s.cat, v.Text)
			}
		}
		rows++
	}
	// Columns without a value in any row still get a state, missing
	// everywhere.
	if len(rd.columns) > 0 {
		stateFor(len(rd.columns) - 1)
	}
	out := &Columns{Rows: rows, Numeric: map[string]*NumericColumn{}, Categorical: map[string]*CategoricalColumn{}}
	for _, s := range states {
		seen := len(s.cat)
		if s.wantNum && s.numeric {
			seen = len(s.num)
		}
		missing := rows - seen
		switch {
		case s.wantNum && s.numeric && (selected || len(s.num) > 0):
			out.Numeric[s.name] = &NumericColumn{Name: s.name, Values: s.num, Missing: missing}
		case s.wantCat:
			out.Categorical[s.name] = &CategoricalColumn{Name: s.name, Values: s.cat, Missing: missing}
		}
	}
	return out, nil
}

func toFloat(v Value) (float64, bool) {
	if v.Kind != Text && v.Kind != Number && v.Kind != Float {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.Text, 64)
	// Out-of-range literals parse to ±Inf (or ±0), which is what they mean.
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}
