package schema

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/sextant-ml/sextant/dataset/table"
)

// InferOptions configures Infer.
type InferOptions struct {
	// Table configures the reader. Default: CSV with the table package's
	// defaults.
	Table table.Options
	// MaxDomain is the largest number of distinct values a string column
	// may have for its values to be inferred as the allowed domain (and
	// only if each value appears twice on average, so identifiers do not
	// become domains). Default: 20. Negative: never infer domains.
	MaxDomain int
}

type inferState struct {
	name                               string
	present, missing                   int64
	canInt, canFloat, canBool, canTime bool
	min, max                           float64
	distinct                           map[string]bool
}

// Infer reads reference data once and proposes a schema, as TFDV does:
// per column the narrowest type every value fits (int, float, bool,
// timestamp, else string), nullable when a value was missing, min and max
// of numeric columns set to the observed extremes, the allowed values of a
// low-cardinality string column. The result is meant to be reviewed and
// edited, then stored with encoding/json. Malformed rows are an error.
func Infer(ctx context.Context, r io.Reader, opts *InferOptions) (*Schema, error) {
	var o InferOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxDomain == 0 {
		o.MaxDomain = 20
	}
	rd, err := table.NewReader(r, &o.Table)
	if err != nil {
		return nil, err
	}
	var states []*inferState
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
		if err != nil {
			return nil, fmt.Errorf("schema: infer: %w", err)
		}
		rows++
		for len(states) < rd.NumColumns() {
			states = append(states, &inferState{name: rd.Column(len(states)), canInt: true, canFloat: true, canBool: true, canTime: true,
				min: math.Inf(1), max: math.Inf(-1), distinct: map[string]bool{}})
		}
		for _, c := range row.Cells {
			states[c.Column].observe(c.Value, o.MaxDomain)
		}
	}
	s := &Schema{}
	for _, st := range states {
		// A row without a value in the column, or before its first, or a
		// null: missing.
		st.missing = rows - st.present
		s.Columns = append(s.Columns, st.column(o.MaxDomain))
	}
	return s, nil
}

func (st *inferState) observe(v table.Value, maxDomain int) {
	if v.Kind == table.Missing {
		return
	}
	st.present++
	if st.canInt {
		_, ok := parseAs(Int, v.Text)
		st.canInt = ok && accepts(Int, v.Kind)
	}
	if st.canFloat {
		p, ok := parseAs(Float, v.Text)
		st.canFloat = ok && accepts(Float, v.Kind)
		if st.canFloat && !math.IsNaN(p.num) && !math.IsInf(p.num, 0) {
			st.min, st.max = min(st.min, p.num), max(st.max, p.num)
		}
	}
	if st.canBool {
		_, ok := parseAs(Bool, v.Text)
		st.canBool = ok && accepts(Bool, v.Kind)
	}
	if st.canTime {
		_, ok := parseAs(Timestamp, v.Text)
		st.canTime = ok && accepts(Timestamp, v.Kind)
	}
	if st.distinct != nil {
		st.distinct[v.Text] = true
		if len(st.distinct) > maxDomain {
			st.distinct = nil
		}
	}
}

func (st *inferState) column(maxDomain int) Column {
	c := Column{Name: st.name, Nullable: st.missing > 0}
	switch {
	case st.present == 0:
		c.Type, c.Nullable = String, true
	case st.canInt:
		c.Type = Int
	case st.canFloat:
		c.Type = Float
	case st.canBool:
		c.Type = Bool
	case st.canTime:
		c.Type = Timestamp
	default:
		c.Type = String
	}
	if (c.Type == Int || c.Type == Float) && st.min <= st.max {
		c.Min, c.Max = ptr(st.min), ptr(st.max)
	}
	if c.Type == String && maxDomain > 0 && st.distinct != nil && st.present > 0 && st.present >= 2*int64(len(st.distinct)) {
		for v := range st.distinct {
			c.Allowed = append(c.Allowed, v)
		}
		slices.Sort(c.Allowed)
	}
	return c
}
