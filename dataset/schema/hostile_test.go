package schema

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sextant-ml/sextant/dataset/table"
	"github.com/sextant-ml/sextant/internal/memtest"
)

// newKeyPerRow is JSON Lines whose every row adds one key never seen
// before, the input that made per-row work grow with every column seen.
func newKeyPerRow(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"id\": %d, \"k%d\": %d}\n", i, i, i)
	}
	return b.String()
}

func TestNewKeyPerRowIsLinear(t *testing.T) {
	const rows = 4000 // under the default column limit
	in := newKeyPerRow(rows)
	jsonl := table.Options{Format: table.JSONL}
	s := &Schema{Columns: []Column{{Name: "id", Type: Int, Unique: true}}}
	tests := []struct {
		name string
		run  func() error
	}{
		{"validate", func() error {
			rep, err := s.Validate(t.Context(), strings.NewReader(in), &ValidateOptions{Table: jsonl})
			if err == nil && len(rep.Anomalies) != rows {
				return fmt.Errorf("%d anomalies, want %d new columns", len(rep.Anomalies), rows)
			}
			return err
		}},
		{"validate allowing new columns", func() error {
			s := &Schema{Columns: s.Columns, AllowNewColumns: true}
			rep, err := s.Validate(t.Context(), strings.NewReader(in), &ValidateOptions{Table: jsonl})
			if err == nil && !rep.Passed {
				return fmt.Errorf("report fails:\n%s", rep)
			}
			return err
		}},
		{"infer", func() error {
			got, err := Infer(t.Context(), strings.NewReader(in), &InferOptions{Table: jsonl})
			if err == nil && len(got.Columns) != rows+1 {
				return fmt.Errorf("%d columns, want %d", len(got.Columns), rows+1)
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			n := memtest.Allocated(func() { err = tt.run() })
			if err != nil {
				t.Fatal(err)
			}
			// Work proportional to each row's own fields: at most 8 KiB per
			// row at most. Rows holding every column seen so far would
			// allocate about 12 bytes x rows per row (tens of KiB here).
			if perRow := n / rows; perRow > 8<<10 {
				t.Errorf("allocated %d bytes for %d rows (%d per row), want at most 8 KiB per row", n, rows, perRow)
			}
		})
	}
}

func TestColumnLimit(t *testing.T) {
	s := &Schema{Columns: []Column{{Name: "id", Type: Int}}, AllowNewColumns: true}
	tests := []struct {
		name string
		rows int
		max  int
		want error
	}{
		{"at the default", table.DefaultMaxColumns - 1, 0, nil},
		{"over the default", table.DefaultMaxColumns, 0, table.ErrTooManyColumns},
		{"at the option", 9, 10, nil},
		{"over the option", 10, 10, table.ErrTooManyColumns},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// newKeyPerRow(n) names n+1 columns: "id" and one per row.
			opts := table.Options{Format: table.JSONL, MaxColumns: tt.max}
			_, err := s.Validate(t.Context(), strings.NewReader(newKeyPerRow(tt.rows)), &ValidateOptions{Table: opts})
			if !errors.Is(err, tt.want) {
				t.Errorf("Validate: err = %v, want %v", err, tt.want)
			}
			_, err = Infer(t.Context(), strings.NewReader(newKeyPerRow(tt.rows)), &InferOptions{Table: opts})
			if !errors.Is(err, tt.want) {
				t.Errorf("Infer: err = %v, want %v", err, tt.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "schema: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}
