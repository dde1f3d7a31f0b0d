package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sextant-ml/sextant/dataset/table"
)

const reference = `id,time,sensor,temp,ok,note
1,2026-01-01T00:00:00Z,a,20.5,true,
2,2026-01-01T00:01:00Z,b,21,false,x
3,2026-01-01T00:02:00Z,a,19.25,true,
4,2026-01-01T00:03:00Z,b,22,true,
`

func TestInfer(t *testing.T) {
	got, err := Infer(t.Context(), strings.NewReader(reference), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Schema{Columns: []Column{
		{Name: "id", Type: Int, Min: ptr(1.0), Max: ptr(4.0)},
		{Name: "time", Type: Timestamp},
		{Name: "sensor", Type: String, Allowed: []string{"a", "b"}},
		{Name: "temp", Type: Float, Min: ptr(19.25), Max: ptr(22.0)},
		{Name: "ok", Type: Bool},
		{Name: "note", Type: String, Nullable: true},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Infer (-want +got):\n%s", diff)
	}
	// The inferred schema accepts its reference and survives JSON.
	rep, err := got.Validate(t.Context(), strings.NewReader(reference), nil)
	if err != nil || !rep.Passed {
		t.Errorf("reference fails its own schema: %v\n%s", err, rep)
	}
	data, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}

func TestInferJSONL(t *testing.T) {
	in := `{"n": 1, "s": "1", "b": true, "f": 2.5, "x": [1]}` + "\n" + `{"n": 2, "s": "2", "b": false, "f": 3, "t": "2026-01-02"}` + "\n"
	got, err := Infer(t.Context(), strings.NewReader(in), &InferOptions{Table: table.Options{Format: table.JSONL}, MaxDomain: -1})
	if err != nil {
		t.Fatal(err)
	}
	want := &Schema{Columns: []Column{
		{Name: "n", Type: Int, Min: ptr(1.0), Max: ptr(2.0)},
		{Name: "s", Type: String},
		{Name: "b", Type: Bool},
		{Name: "f", Type: Float, Min: ptr(2.5), Max: ptr(3.0)},
		{Name: "x", Type: String, Nullable: true},
		{Name: "t", Type: Timestamp, Nullable: true},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Infer (-want +got):\n%s", diff)
	}
}

func TestValidate(t *testing.T) {
	s := &Schema{Columns: []Column{
		{Name: "id", Type: Int, Unique: true},
		{Name: "time", Type: Timestamp, MinTime: ptr(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))},
		{Name: "sensor", Type: String, Allowed: []string{"a", "b"}, Pattern: "[a-z]"},
		{Name: "temp", Type: Float, Min: ptr(-40.0), Max: ptr(60.0), Nullable: true, MaxMissing: ptr(0.2)},
		{Name: "ok", Type: Bool},
		{Name: "gone", Type: String},
	}}
	batch := `id,time,sensor,temp,ok,extra
1,2026-01-01T00:00:00Z,a,20,true,
2,2025-12-31,b,99,yes,q
2,2026-01-02,C,,false,
x,2026-01-03 10:00:00,zz,NA,,r
5,2026-01-04,a,-41,TRUE,
6,2026-01-04,a
`
	rep, err := s.Validate(t.Context(), strings.NewReader(batch), &ValidateOptions{MaxExamples: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := &Report{Rows: 5, Passed: false, Anomalies: []Anomaly{
		{Kind: TypeMismatch, Column: "id", Count: 1, Examples: []Example{{5, "x"}}},
		{Kind: Duplicates, Column: "id", Count: 1, Examples: []Example{{4, "2"}}},
		{Kind: OutOfRange, Column: "time", Count: 1, Examples: []Example{{3, "2025-12-31"}}},
		{Kind: OutOfDomain, Column: "sensor", Count: 2, Examples: []Example{{4, "C"}, {5, "zz"}}},
		{Kind: PatternMismatch, Column: "sensor", Count: 2, Examples: []Example{{4, "C"}, {5, "zz"}}},
		{Kind: OutOfRange, Column: "temp", Count: 2, Examples: []Example{{3, "99"}, {6, "-41"}}},
		{Kind: MissingValues, Column: "temp", Count: 2, Examples: []Example{{4, ""}, {5, ""}}},
		{Kind: TypeMismatch, Column: "ok", Count: 1, Examples: []Example{{3, "yes"}}},
		{Kind: MissingValues, Column: "ok", Count: 1, Examples: []Example{{5, ""}}},
		{Kind: MissingColumn, Column: "gone", Count: 5},
		{Kind: NewColumn, Column: "extra", Count: 2, Examples: []Example{{3, "q"}, {5, "r"}}},
		{Kind: MalformedRows, Count: 1, Examples: []Example{{7, ""}}},
	}}
	// Messages are checked for presence, not wording.
	for i := range rep.Anomalies {
		if rep.Anomalies[i].Message == "" {
			t.Errorf("anomaly %d has no message", i)
		}
		rep.Anomalies[i].Message = ""
	}
	// Report order: schema columns, then new columns, then malformed rows;
	// within a column in the order checks are listed in Validate.
	sortWant := func(r *Report) map[string]Anomaly {
		m := map[string]Anomaly{}
		for _, a := range r.Anomalies {
			m[fmt.Sprintf("%s/%s", a.Column, a.Kind)] = a
		}
		return m
	}
	if diff := cmp.Diff(sortWant(want), sortWant(rep)); diff != "" {
		t.Errorf("anomalies (-want +got):\n%s", diff)
	}
	if rep.Rows != want.Rows || rep.Passed {
		t.Errorf("rows %d passed %v", rep.Rows, rep.Passed)
	}
	text := rep.String()
	if !strings.HasPrefix(text, "FAIL: 5 rows, 12 anomalies") {
		t.Errorf("String() = %s", text)
	}
}

func TestValidateJSONL(t *testing.T) {
	s := &Schema{Columns: []Column{
		{Name: "n", Type: Int},
		{Name: "t", Type: Timestamp, Nullable: true},
		{Name: "b", Type: Bool, Nullable: true},
	}, AllowNewColumns: true}
	in := `{"n": 1, "t": "2026-01-01", "b": true, "other": 1}` + "\n" +
		`{"n": "2", "t": 1767225600, "b": "true"}` + "\n" +
		`{"n": 3.0}` + "\n" +
		`{"n": 4}` + "\n"
	rep, err := s.Validate(t.Context(), strings.NewReader(in), &ValidateOptions{Table: table.Options{Format: table.JSONL}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range rep.Anomalies {
		got = append(got, fmt.Sprintf("%s/%s/%d", a.Column, a.Kind, a.Count))
	}
	want := []string{"n/type_mismatch/2", "t/type_mismatch/1", "b/type_mismatch/1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("anomalies (-want +got):\n%s", diff)
	}
	// A JSONL schema column never seen is a missing column.
	s.Columns = append(s.Columns, Column{Name: "never", Type: String})
	rep, _ = s.Validate(t.Context(), strings.NewReader(in), &ValidateOptions{Table: table.Options{Format: table.JSONL}})
	if last := rep.Anomalies[len(rep.Anomalies)-1]; last.Kind != MissingColumn || last.Column != "never" {
		t.Errorf("last anomaly %+v, want missing column never", last)
	}
}

func TestValidateErrors(t *testing.T) {
	s := &Schema{Columns: []Column{{Name: "a", Type: Int}}}
	if _, err := s.Validate(t.Context(), strings.NewReader(""), nil); !errors.Is(err, table.ErrInvalidInput) {
		t.Errorf("empty CSV: %v", err)
	}
	long := "a\n" + strings.Repeat("1", 2000) + "\n"
	if _, err := s.Validate(t.Context(), strings.NewReader(long), &ValidateOptions{Table: table.Options{MaxRecordBytes: 1000}}); !errors.Is(err, table.ErrRecordTooLong) {
		t.Errorf("huge line: %v", err)
	}
	bad := &Schema{Columns: []Column{{Name: "a", Type: "decimal"}}}
	if _, err := bad.Validate(t.Context(), strings.NewReader("a\n1\n"), nil); !errors.Is(err, ErrInvalidSchema) {
		t.Errorf("invalid schema: %v", err)
	}
}

func TestParseRejects(t *testing.T) {
	tests := map[string]string{
		"not json":        `{`,
		"unknown field":   `{"columns": [], "colour": 1}`,
		"unknown type":    `{"columns": [{"name": "a", "type": "decimal"}]}`,
		"empty name":      `{"columns": [{"name": "", "type": "int"}]}`,
		"duplicate":       `{"columns": [{"name": "a", "type": "int"}, {"name": "a", "type": "int"}]}`,
		"min above max":   `{"columns": [{"name": "a", "type": "int", "min": 2, "max": 1}]}`,
		"range on string": `{"columns": [{"name": "a", "type": "string", "min": 1}]}`,
		"time on int":     `{"columns": [{"name": "a", "type": "int", "min_time": "2026-01-01T00:00:00Z"}]}`,
		"bad share":       `{"columns": [{"name": "a", "type": "int", "nullable": true, "max_missing": 1.5}]}`,
		"bad pattern":     `{"columns": [{"name": "a", "type": "string", "pattern": "("}]}`,
		"bad allowed":     `{"columns": [{"name": "a", "type": "int", "allowed": ["x"]}]}`,
		"trailing":        `{"columns": []} {}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(in)); !errors.Is(err, ErrInvalidSchema) {
				t.Errorf("Parse: %v, want ErrInvalidSchema", err)
			}
		})
	}
}

func TestGoldenSchema(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "sensors.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Infer(t.Context(), strings.NewReader(reference), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Errorf("inferred schema differs from testdata/sensors.schema.json (-golden +inferred):\n%s", diff)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"columns": [{"name": "a", "type": "int", "min": 1, "max": 2, "nullable": true, "max_missing": 0.5}]}`))
	f.Add([]byte(`{"columns": [{"name": "s", "type": "string", "allowed": ["x"], "pattern": "[a-z]+", "unique": true}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidSchema) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		// Validation never panics on a valid schema.
		s.Validate(t.Context(), strings.NewReader("a,s\n1,x\n"), nil)
	})
}

func FuzzValidate(f *testing.F) {
	f.Add(reference, false)
	f.Add(`{"id": 1, "temp": "x"}`+"\n", true)
	f.Fuzz(func(t *testing.T, in string, jsonl bool) {
		s, _ := Infer(t.Context(), strings.NewReader(reference), nil)
		opts := &ValidateOptions{Table: table.Options{MaxRecordBytes: 512, MaxColumns: 16}}
		if jsonl {
			opts.Table.Format = table.JSONL
		}
		rep, err := s.Validate(t.Context(), strings.NewReader(in), opts)
		if err != nil {
			if !errors.Is(err, table.ErrInvalidInput) && !errors.Is(err, table.ErrRecordTooLong) && !errors.Is(err, table.ErrTooManyColumns) {
				t.Fatalf("untyped error: %v", err)
			}
			return
		}
		if rep.Passed != (len(rep.Anomalies) == 0) {
			t.Fatalf("passed %v with %d anomalies", rep.Passed, len(rep.Anomalies))
		}
	})
}
