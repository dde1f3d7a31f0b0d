package schema

import (
	"context"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sextant-ml/sextant/dataset/table"
)

// TestParquetInferValidate infers a schema from a file Impala wrote (see
// testdata/parquet/README.md), then validates the file against an edited
// schema through the same path as CSV: the options' format.
func TestParquetInferValidate(t *testing.T) {
	ctx := context.Background()
	open := func() *os.File {
		f, err := os.Open("testdata/parquet/alltypes_plain.parquet")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	pq := table.Options{Format: table.Parquet}
	s, err := Infer(ctx, open(), &InferOptions{Table: pq})
	if err != nil {
		t.Fatal(err)
	}
	type col struct {
		Name     string
		Type     Type
		Nullable bool
		Min, Max float64
		Allowed  []string
	}
	var got []col
	for _, c := range s.Columns {
		g := col{Name: c.Name, Type: c.Type, Nullable: c.Nullable, Allowed: c.Allowed}
		if c.Min != nil {
			g.Min, g.Max = *c.Min, *c.Max
		}
		got = append(got, g)
	}
	// The file's eight rows: ids 0 to 7, odd ids carrying 1, 1.1, 10.1,
	// even ones 0; one date string per month, two rows each. A Parquet
	// double holding whole numbers stays a float, and the string column
	// of digits stays a string: the declared types decide, not the text.
	want := []col{
		{Name: "id", Type: Int, Min: 0, Max: 7},
		{Name: "bool_col", Type: Bool},
		{Name: "tinyint_col", Type: Int, Min: 0, Max: 1},
		{Name: "smallint_col", Type: Int, Min: 0, Max: 1},
		{Name: "int_col", Type: Int, Min: 0, Max: 1},
		{Name: "bigint_col", Type: Int, Min: 0, Max: 10},
		{Name: "float_col", Type: Float, Min: 0, Max: 1.1},
		{Name: "double_col", Type: Float, Min: 0, Max: 10.1},
		{Name: "date_string_col", Type: String, Allowed: []string{"01/01/09", "02/01/09", "03/01/09", "04/01/09"}},
		{Name: "string_col", Type: String, Allowed: []string{"0", "1"}},
		{Name: "timestamp_col", Type: Timestamp},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("inferred schema (-want +got):\n%s", diff)
	}

	rep, err := s.Validate(ctx, open(), &ValidateOptions{Table: pq})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Passed || rep.Rows != 8 {
		t.Fatalf("the reference fails its own schema: %v", rep)
	}

	// Edit the schema: ids at most 5, and bigint_col as a float column
	// (an int column is a float too) but float_col as an int (a FLOAT is
	// never an int).
	c, _ := s.Column("id")
	c.Max = ptr(5.0)
	c, _ = s.Column("float_col")
	c.Type, c.Min, c.Max = Int, nil, nil
	rep, err = s.Validate(ctx, open(), &ValidateOptions{Table: pq, MaxExamples: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantAnoms := []Anomaly{
		// Rows hold ids 4 5 6 7 2 3 0 1: the 3rd and 4th are out of range.
		{Kind: OutOfRange, Column: "id", Count: 2, Examples: []Example{{Line: 3, Value: "6"}}, Message: `"id": 2 values outside [0, 5]`},
		{Kind: TypeMismatch, Column: "float_col", Count: 8, Examples: []Example{{Line: 1, Value: "0"}}, Message: `"float_col": 8 values not an int`},
	}
	if diff := cmp.Diff(wantAnoms, rep.Anomalies); diff != "" {
		t.Errorf("anomalies (-want +got):\n%s", diff)
	}
	if rep.Passed {
		t.Error("report passed")
	}
}
