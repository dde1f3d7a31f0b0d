package table

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type readResult struct {
	Line  int64
	Cells []Cell
	Err   string
}

// cells lists the non-missing values of a dense row as cells.
func cells(values ...Value) []Cell {
	var out []Cell
	for i, v := range values {
		if v.Kind != Missing {
			out = append(out, Cell{Column: i, Value: v})
		}
	}
	return out
}

// readAll reads every row, recording malformed rows by their error.
func readAll(t *testing.T, in string, opts *Options) ([]string, []readResult, error) {
	t.Helper()
	rd, err := NewReader(strings.NewReader(in), opts)
	if err != nil {
		return nil, nil, err
	}
	var out []readResult
	for {
		row, err := rd.Next()
		if n, cols := rd.NumColumns(), rd.Columns(); n != len(cols) {
			t.Fatalf("NumColumns() = %d after line %d, Columns() has %d", n, row.Line, len(cols))
		}
		if errors.Is(err, io.EOF) {
			return rd.Columns(), out, nil
		}
		if errors.Is(err, ErrMalformedRow) {
			out = append(out, readResult{Line: row.Line, Err: "malformed"})
			continue
		}
		if err != nil {
			return rd.Columns(), out, err
		}
		out = append(out, readResult{Line: row.Line, Cells: row.Cells})
	}
}

func tx(s string) Value { return Value{Kind: Text, Text: s} }

func TestCSV(t *testing.T) {
	in := "id,name,score\n1,\"Smith, J\",2.5\n2,NA,\n3,\"multi\nline\",7\n4,x\n5,\xff,1\n6,y,8,9\n7,z,1e3\n"
	cols, rows, err := readAll(t, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []readResult{
		{Line: 2, Cells: cells(tx("1"), tx("Smith, J"), tx("2.5"))},
		{Line: 3, Cells: cells(tx("2"), Value{}, Value{})},
		{Line: 4, Cells: cells(tx("3"), tx("multi\nline"), tx("7"))},
		{Line: 6, Err: "malformed"},
		{Line: 7, Err: "malformed"},
		{Line: 8, Err: "malformed"},
		{Line: 9, Cells: cells(tx("7"), tx("z"), tx("1e3"))},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"id", "name", "score"}, cols); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	// Other delimiter and null markers.
	_, rows, err = readAll(t, "a;b\n-;x\n", &Options{Comma: ';', NullValues: []string{"-"}})
	if err != nil || len(rows[0].Cells) != 1 || rows[0].Cells[0] != (Cell{1, tx("x")}) {
		t.Errorf("semicolon table: %v %+v", err, rows)
	}
}

func TestJSONL(t *testing.T) {
	in := `{"b": 1, "a": "x"}` + "\n\n" +
		`{"a": null, "c": [1, 2], "b": true}` + "\n" +
		`[1]` + "\n" +
		`{"a": 1, "a": 2}` + "\n" +
		`{"a": "\u00e9"} trailing` + "\n" +
		"{\"a\": \"\xff\"}\n" +
		`{"c": {"k": 1.5e3}}` + "\n"
	cols, rows, err := readAll(t, in, &Options{Format: JSONL})
	if err != nil {
		t.Fatal(err)
	}
	want := []readResult{
		{Line: 1, Cells: cells(Value{Number, "1"}, Value{String, "x"})},
		{Line: 3, Cells: cells(Value{Bool, "true"}, Value{}, Value{Nested, "[1, 2]"})},
		{Line: 4, Err: "malformed"},
		{Line: 5, Err: "malformed"},
		{Line: 6, Err: "malformed"},
		{Line: 7, Err: "malformed"},
		{Line: 8, Cells: cells(Value{}, Value{}, Value{Nested, `{"k": 1.5e3}`})},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"b", "a", "c"}, cols); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
}

func TestReaderErrors(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name string
		in   string
		opts *Options
		want error
	}{
		{"empty csv", "", nil, ErrInvalidInput},
		{"duplicate header", "a,a\n1,2\n", nil, ErrInvalidInput},
		{"bad quote", "a,b\n1,\"x\"y\n", nil, ErrInvalidInput},
		{"invalid header", "a,\xff\n", nil, ErrInvalidInput},
		{"unknown format", "", &Options{Format: "xml"}, ErrInvalidInput},
		{"long csv line", "a\n" + long + "\n", &Options{MaxRecordBytes: 100}, ErrRecordTooLong},
		{"long csv header", long, &Options{MaxRecordBytes: 100}, ErrRecordTooLong},
		{"long jsonl line", `{"a": "` + long + `"}`, &Options{Format: JSONL, MaxRecordBytes: 100}, ErrRecordTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, tt.in, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReadColumns(t *testing.T) {
	in := "x,city,flag,empty\n1.5,Oslo,1,\n,Rome,0,\n-2,Oslo,yes,\nNaN,NA,1,\n"
	got, err := ReadColumns(t.Context(), strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Columns{
		Rows:    4,
		Numeric: map[string]*NumericColumn{"x": {Name: "x", Values: []float64{1.5, -2}, Missing: 2}},
		Categorical: map[string]*CategoricalColumn{
			"city":  {Name: "city", Values: []string{"Oslo", "Rome", "Oslo"}, Missing: 1},
			"flag":  {Name: "flag", Values: []string{"1", "0", "yes", "1"}},
			"empty": {Name: "empty", Missing: 4},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("auto columns (-want +got):\n%s", diff)
	}
	// Selected columns: flag forced numeric fails on "yes".
	_, err = ReadColumns(t.Context(), strings.NewReader(in), &ColumnOptions{Numeric: []string{"flag"}})
	if !errors.Is(err, ErrMalformedRow) {
		t.Errorf("non-number in a numeric column: %v", err)
	}
	got, err = ReadColumns(t.Context(), strings.NewReader(in), &ColumnOptions{Numeric: []string{"x"}, Categorical: []string{"flag"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Numeric) != 1 || len(got.Categorical) != 1 || got.Categorical["flag"].Values[2] != "yes" {
		t.Errorf("selected columns: %+v", got)
	}
	// JSON Lines: a column first seen late counts as missing before.
	jl := `{"a": 1}` + "\n" + `{"a": 2, "b": "u"}` + "\n" + `{"b": "v", "a": "oops"}` + "\n" + `{"bad"` + "\n"
	got, err = ReadColumns(t.Context(), strings.NewReader(jl), &ColumnOptions{Options: Options{Format: JSONL}, SkipMalformed: true})
	if err != nil {
		t.Fatal(err)
	}
	want = &Columns{
		Rows:        3,
		Numeric:     map[string]*NumericColumn{},
		Categorical: map[string]*CategoricalColumn{"a": {Name: "a", Values: []string{"1", "2", "oops"}}, "b": {Name: "b", Values: []string{"u", "v"}, Missing: 1}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("jsonl columns (-want +got):\n%s", diff)
	}
	if _, err := ReadColumns(t.Context(), strings.NewReader(jl), &ColumnOptions{Options: Options{Format: JSONL}}); !errors.Is(err, ErrMalformedRow) {
		t.Errorf("malformed row not reported: %v", err)
	}
}

func FuzzReader(f *testing.F) {
	f.Add("a,b\n1,2\n3\n", false)
	f.Add("a\n\"x\ny\"\n", false)
	f.Add(`{"a": 1, "b": [true]}`+"\n"+`{"a": null}`, true)
	f.Add("{\"a\":\"\xff\"}\n[]\n", true)
	f.Add("a,b,c,d,e,f,g,h,i\n", false)
	f.Add("\"a\n\n\nb\",c\n\"x\ny\",z\n", false)
	f.Add(`{"a":1,"b":2,"c":3,"d":4}`+"\n"+`{"e":1,"f":2,"g":3,"h":4,"i":5}`, true)
	f.Fuzz(func(t *testing.T, in string, jsonl bool) {
		opts := &Options{MaxRecordBytes: 256, MaxColumns: 8}
		if jsonl {
			opts.Format = JSONL
		}
		rd, err := NewReader(strings.NewReader(in), opts)
		if err != nil {
			if !errors.Is(err, ErrInvalidInput) && !errors.Is(err, ErrRecordTooLong) && !errors.Is(err, ErrTooManyColumns) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		for range 10000 {
			if rd.NumColumns() > 8 {
				t.Fatalf("%d columns over the limit of 8", rd.NumColumns())
			}
			row, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if errors.Is(err, ErrMalformedRow) {
				continue
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidInput) && !errors.Is(err, ErrRecordTooLong) && !errors.Is(err, ErrTooManyColumns) {
					t.Fatalf("untyped error: %v", err)
				}
				if _, again := rd.Next(); !errors.Is(again, err) {
					t.Fatalf("final error %v, then %v", err, again)
				}
				return
			}
			for i, c := range row.Cells {
				if c.Column < 0 || c.Column >= rd.NumColumns() || (i > 0 && c.Column <= row.Cells[i-1].Column) {
					t.Fatalf("cell %d names column %d of %d, after %+v", i, c.Column, rd.NumColumns(), row.Cells[:i])
				}
				if c.Kind == Missing {
					t.Fatalf("cell %d is missing", i)
				}
				if got := row.Value(c.Column); got != c.Value {
					t.Fatalf("Value(%d) = %+v, want %+v", c.Column, got, c.Value)
				}
			}
		}
	})
}
