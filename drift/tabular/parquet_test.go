package tabular

import (
	"context"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
	"github.com/sextant-ml/sextant/dataset/table"
	"github.com/sextant-ml/sextant/drift"
)

// The two files hold 100 TPC-DS customers each, written by parquet-mr
// 1.12.1 (required columns, INT32) and 1.10.0 (optional columns, INT64);
// see testdata/parquet/README.md.
const (
	refFile = "testdata/parquet/delta_encoding_required_column.parquet"
	curFile = "testdata/parquet/delta_encoding_optional_column.parquet"
)

func readParquetFile(t *testing.T, path string, opts *table.ColumnOptions) drift.Data {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	d, err := ReadParquet(context.Background(), f, st.Size(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// birthYears reads c_birth_year through parquet-go's own row reader, apart
// from package table, dropping nulls.
func birthYears(t *testing.T, path string) []float64 {
	t.Helper()
	var out []float64
	if path == refFile {
		type row struct {
			Year int32 `parquet:"c_birth_year:"`
		}
		rows, err := parquet.ReadFile[row](path)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			out = append(out, float64(r.Year))
		}
		return out
	}
	type row struct {
		Year *int64 `parquet:"c_birth_year,optional"`
	}
	rows, err := parquet.ReadFile[row](path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Year != nil {
			out = append(out, float64(*r.Year))
		}
	}
	return out
}

// ksStatistic is the two-sample Kolmogorov-Smirnov D by its definition:
// the largest gap between the two empirical distribution functions,
// evaluated at every observed value.
func ksStatistic(a, b []float64) float64 {
	ecdf := func(s []float64, x float64) float64 {
		n := 0
		for _, v := range s {
			if v <= x {
				n++
			}
		}
		return float64(n) / float64(len(s))
	}
	d := 0.0
	for _, x := range append(slices.Clone(a), b...) {
		d = max(d, math.Abs(ecdf(a, x)-ecdf(b, x)))
	}
	return d
}

func TestParquetFitCompare(t *testing.T) {
	// The 1.12.1 file names its columns with a trailing colon
	// ("c_birth_year:"); the reference takes the other file's names.
	ref := readParquetFile(t, refFile, &table.ColumnOptions{Numeric: []string{"c_birth_year:"}, Categorical: []string{"c_salutation:"}})
	ref = drift.Data{
		Numeric:     map[string][]float64{"c_birth_year": ref.Numeric["c_birth_year:"]},
		Categorical: map[string][]string{"c_salutation": ref.Categorical["c_salutation:"]},
	}
	cur := readParquetFile(t, curFile, &table.ColumnOptions{Numeric: []string{"c_birth_year"}, Categorical: []string{"c_salutation"}})
	wantRef, wantCur := birthYears(t, refFile), birthYears(t, curFile)
	if len(wantRef) < 90 || len(wantCur) < 90 {
		t.Fatalf("independent reads hold %d and %d years", len(wantRef), len(wantCur))
	}
	if diff := cmp.Diff(wantRef, ref.Numeric["c_birth_year"]); diff != "" {
		t.Errorf("reference years (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantCur, cur.Numeric["c_birth_year"]); diff != "" {
		t.Errorf("current years (-want +got):\n%s", diff)
	}

	p, err := drift.Fit(ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := p.Compare(cur, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]drift.Method{}
	for _, c := range rep.Columns {
		got[c.Column] = c.Method
		if c.Column != "c_birth_year" {
			continue
		}
		want := ksStatistic(wantRef, wantCur)
		if want == 0 || math.Abs(c.Statistic-want) > 1e-12 {
			t.Errorf("KS statistic %v, the definition gives %v", c.Statistic, want)
		}
		if c.Reference.Rows != int64(len(wantRef)) || c.Current.Rows != int64(len(wantCur)) {
			t.Errorf("rows %d and %d, want %d and %d", c.Reference.Rows, c.Current.Rows, len(wantRef), len(wantCur))
		}
	}
	// 100 reference rows: KS for the numeric column, chi-square for the
	// categorical one (more than two salutations).
	if diff := cmp.Diff(map[string]drift.Method{"c_birth_year": drift.MethodKS, "c_salutation": drift.MethodChiSquare}, got); diff != "" {
		t.Errorf("methods (-want +got):\n%s", diff)
	}
}

func TestReadParquetErrors(t *testing.T) {
	f, err := os.Open(refFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Too short to be Parquet.
	_, err = ReadParquet(context.Background(), f, 7, nil)
	if !errors.Is(err, table.ErrInvalidInput) || !strings.HasPrefix(err.Error(), "tabular:") {
		t.Errorf("err = %v, want drift-prefixed table.ErrInvalidInput", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadParquet(ctx, f, 1<<20, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}
