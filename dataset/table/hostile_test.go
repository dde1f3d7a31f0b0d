package table

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/sextant-ml/sextant/internal/memtest"
)

// repeated yields s over and over until n bytes have been read, without
// holding them.
type repeated struct {
	s string
	n int64
	i int
}

func (r *repeated) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	k := 0
	for k < len(p) {
		c := copy(p[k:], r.s[r.i:])
		k += c
		r.i = (r.i + c) % len(r.s)
	}
	r.n -= int64(k)
	return k, nil
}

// TestCSVRecordLimit feeds a quoted field of many short lines, far over
// the record limit though no single line comes near it.
func TestCSVRecordLimit(t *testing.T) {
	const limit = 1 << 20
	const field = 64 << 20
	tests := []struct {
		name   string
		prefix string
	}{
		{"header", `"`},
		{"row", "id,note\n1,\"start\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := io.MultiReader(strings.NewReader(tt.prefix), &repeated{s: "ab\n", n: field}, strings.NewReader("\"\n"))
			var err error
			n := memtest.Allocated(func() {
				var rd *Reader
				rd, err = NewReader(in, &Options{MaxRecordBytes: limit})
				for err == nil {
					_, err = rd.Next()
				}
			})
			if !errors.Is(err, ErrRecordTooLong) {
				t.Fatalf("err = %v, want ErrRecordTooLong", err)
			}
			if !strings.HasPrefix(err.Error(), "table: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			// The reader stops near the limit: a few growing buffers of up to
			// 1 MiB (about 6 MiB in all), never the 64 MiB field.
			if n > 16*limit {
				t.Errorf("allocated %d bytes reading a %d-byte field with a %d-byte limit", n, field, limit)
			}
		})
	}
}

func TestRecordLimitIsExact(t *testing.T) {
	// A record of exactly the limit (line break included) is read, one
	// byte more is not, whether it spans lines or not.
	for _, rec := range []string{"\"" + strings.Repeat("x\n", 20) + "\"\n", strings.Repeat("y", 40) + "\n"} {
		in := "h\n" + rec + "z\n"
		for _, tt := range []struct {
			limit int
			want  error
		}{{len(rec), io.EOF}, {len(rec) - 1, ErrRecordTooLong}} {
			t.Run(fmt.Sprintf("%d bytes, limit %d", len(rec), tt.limit), func(t *testing.T) {
				_, rows, err := readAll(t, in, &Options{MaxRecordBytes: tt.limit})
				if tt.want == io.EOF {
					if err != nil || len(rows) != 2 {
						t.Fatalf("rows %+v, err %v; want 2 rows", rows, err)
					}
					return
				}
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
			})
		}
	}
	// Records under the limit but together far over it are fine.
	in := "a,b\n" + strings.Repeat("\"1\n2\",3\n", 10000)
	if _, rows, err := readAll(t, in, &Options{MaxRecordBytes: 16}); err != nil || len(rows) != 10000 {
		t.Fatalf("%d rows, err %v", len(rows), err)
	}
}

func TestMaxColumns(t *testing.T) {
	header := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "c%d", i)
		}
		return b.String() + "\n"
	}
	keys := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "{\"k%d\": 1}\n", i)
		}
		return b.String()
	}
	jsonl := func(o Options) *Options { o.Format = JSONL; return &o }
	tests := []struct {
		name string
		in   string
		opts *Options
		want error
	}{
		{"csv at the default", header(DefaultMaxColumns), nil, nil},
		{"csv over the default", header(DefaultMaxColumns + 1), &Options{MaxRecordBytes: 1 << 20}, ErrTooManyColumns},
		{"csv at the option", header(3), &Options{MaxColumns: 3}, nil},
		{"csv over the option", header(4), &Options{MaxColumns: 3}, ErrTooManyColumns},
		{"jsonl at the default", keys(DefaultMaxColumns), jsonl(Options{}), nil},
		{"jsonl over the default", keys(DefaultMaxColumns + 1), jsonl(Options{}), ErrTooManyColumns},
		{"jsonl over the option in one row", `{"a": 1, "b": 2, "c": 3, "d": 4}`, jsonl(Options{MaxColumns: 3}), ErrTooManyColumns},
		{"jsonl at the option", keys(3) + keys(3), jsonl(Options{MaxColumns: 3}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, tt.in, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// The error is final: the next call returns it again.
	rd, err := NewReader(strings.NewReader(keys(3)), jsonl(Options{MaxColumns: 2}))
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		rd.Next()
	}
	for range 2 {
		if _, err := rd.Next(); !errors.Is(err, ErrTooManyColumns) {
			t.Fatalf("Next after the limit: %v", err)
		}
	}
}

// TestSparseRows checks that a JSON Lines row adding a key per row costs
// allocations in proportion to its own fields, not to the columns seen.
func TestSparseRows(t *testing.T) {
	const rows = 4000
	var b strings.Builder
	for i := range rows {
		fmt.Fprintf(&b, "{\"id\": %d, \"k%d\": %d}\n", i, i, i)
	}
	in := b.String()
	var err error
	n := memtest.Allocated(func() {
		var rd *Reader
		rd, err = NewReader(strings.NewReader(in), &Options{Format: JSONL})
		for err == nil {
			var row Row
			row, err = rd.Next()
			if err == nil && len(row.Cells) != 2 {
				err = fmt.Errorf("line %d has %d cells", row.Line, len(row.Cells))
			}
		}
	})
	if !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if perRow := n / rows; perRow > 4<<10 {
		t.Errorf("allocated %d bytes per row, want at most 4 KiB", perRow)
	}
	cols, err := ReadColumns(t.Context(), strings.NewReader(in), &ColumnOptions{Options: Options{Format: JSONL}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cols.Numeric) != rows+1 || cols.Numeric["k7"].Missing != rows-1 || len(cols.Numeric["id"].Values) != rows {
		t.Errorf("ReadColumns: %d numeric columns, k7 %+v", len(cols.Numeric), cols.Numeric["k7"])
	}
}

func TestRowValue(t *testing.T) {
	row := Row{Cells: []Cell{{1, tx("a")}, {4, tx("b")}, {9, tx("c")}}}
	for i, want := range map[int]Value{0: {}, 1: tx("a"), 2: {}, 4: tx("b"), 9: tx("c"), 10: {}} {
		if got := row.Value(i); got != want {
			t.Errorf("Value(%d) = %+v, want %+v", i, got, want)
		}
	}
}

func TestReadColumnsEmptyJSONL(t *testing.T) {
	got, err := ReadColumns(t.Context(), strings.NewReader("\n\n"), &ColumnOptions{Options: Options{Format: JSONL}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != 0 || len(got.Numeric)+len(got.Categorical) != 0 {
		t.Errorf("empty stream read as %+v", got)
	}
}
