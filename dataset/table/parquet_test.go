package table

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"github.com/sextant-ml/sextant/internal/memtest"
)

// openTestdata opens a Parquet file of testdata/parquet as a Reader.
func openTestdata(t *testing.T, name string, opts *Options) (*Reader, error) {
	t.Helper()
	f, err := os.Open("testdata/parquet/" + name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	o := Options{Format: Parquet}
	if opts != nil {
		o = *opts
		o.Format = Parquet
	}
	return NewReader(f, &o)
}

// readParquetRows reads every row as column name -> "kind:text".
func readParquetRows(t *testing.T, rd *Reader) []map[string]string {
	t.Helper()
	var rows []map[string]string
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatalf("row %d: %v", len(rows)+1, err)
		}
		if row.Line != int64(len(rows)+1) {
			t.Fatalf("row %d has Line %d", len(rows)+1, row.Line)
		}
		m := map[string]string{}
		for _, c := range row.Cells {
			m[rd.Column(c.Column)] = kindName(c.Kind) + ":" + c.Text
		}
		rows = append(rows, m)
	}
}

func kindName(k Kind) string {
	return [...]string{"missing", "text", "string", "number", "bool", "nested", "float", "timestamp"}[k]
}

// TestParquetOtherWriters reads files written by Impala, parquet-mr and
// parquet-cpp (see testdata/parquet/README.md) and checks the cells
// against the values those files are documented to hold.
func TestParquetOtherWriters(t *testing.T) {
	t.Run("impala alltypes_plain", func(t *testing.T) {
		rd, err := openTestdata(t, "alltypes_plain.parquet", nil)
		if err != nil {
			t.Fatal(err)
		}
		wantCols := []string{"id", "bool_col", "tinyint_col", "smallint_col", "int_col", "bigint_col", "float_col", "double_col", "date_string_col", "string_col", "timestamp_col"}
		if diff := cmp.Diff(wantCols, rd.Columns()); diff != "" {
			t.Errorf("columns (-want +got):\n%s", diff)
		}
		rows := readParquetRows(t, rd)
		if len(rows) != 8 {
			t.Fatalf("%d rows, want 8", len(rows))
		}
		// The last two rows are ids 0 and 1; INT96 holds the Julian day
		// and the nanoseconds of the day.
		want := map[string]string{
			"id": "number:1", "bool_col": "bool:false", "tinyint_col": "number:1", "smallint_col": "number:1",
			"int_col": "number:1", "bigint_col": "number:10", "float_col": "float:1.1", "double_col": "float:10.1",
			"date_string_col": "string:01/01/09", "string_col": "string:1", "timestamp_col": "timestamp:2009-01-01T00:01:00",
		}
		if diff := cmp.Diff(want, rows[7]); diff != "" {
			t.Errorf("row 8 (-want +got):\n%s", diff)
		}
	})
	t.Run("parquet-cpp logical types", func(t *testing.T) {
		rd, err := openTestdata(t, "cluster_test_table_2.snappy.parquet", nil)
		if err != nil {
			t.Fatal(err)
		}
		rows := readParquetRows(t, rd)
		if len(rows) != 3 {
			t.Fatalf("%d rows, want 3", len(rows))
		}
		want := map[string]string{
			"number": "number:1.0", "decimal": "number:12.00", "numeric": "number:123.000", "int": "number:1234",
			"float": "float:1", "double": "float:1.3", "varchar": "string:first", "binary": "string:first-binary",
			"boolean": "bool:true", "date": "timestamp:2022-01-21", "time": "string:14:39:17.164",
			"timestamp_tz": "timestamp:2022-01-21T22:39:17.164Z", "array": "string:[1,2,3]",
		}
		got := map[string]string{}
		for k := range want {
			got[k] = rows[0][k]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("row 1 (-want +got):\n%s", diff)
		}
		// Row 2 is null everywhere but two columns.
		if diff := cmp.Diff(map[string]string{"number": "number:2.0", "timestamp_tz": "timestamp:2022-01-21T22:41:04.026Z"}, rows[1]); diff != "" {
			t.Errorf("row 2 (-want +got):\n%s", diff)
		}
	})
	t.Run("parquet-mr null struct flattened", func(t *testing.T) {
		rd, err := openTestdata(t, "nulls.snappy.parquet", nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"b_struct.b_c_int"}, rd.Columns()); diff != "" {
			t.Errorf("columns (-want +got):\n%s", diff)
		}
		rows := readParquetRows(t, rd)
		if len(rows) != 8 {
			t.Fatalf("%d rows, want 8", len(rows))
		}
		for i, r := range rows {
			if len(r) != 0 {
				t.Errorf("row %d: %v, want all missing", i+1, r)
			}
		}
	})
	t.Run("parquet-mr page v2 with a list column", func(t *testing.T) {
		_, err := openTestdata(t, "datapage_v2.snappy.parquet", nil)
		if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `"e.list.element"`) {
			t.Fatalf("err = %v, want ErrUnsupported naming e.list.element", err)
		}
		rd, err := openTestdata(t, "datapage_v2.snappy.parquet", &Options{ParquetColumns: []string{"a", "b", "c", "d", "absent"}})
		if err != nil {
			t.Fatal(err)
		}
		rows := readParquetRows(t, rd)
		want := []map[string]string{
			{"a": "string:abc", "b": "number:1", "c": "float:2", "d": "bool:true"},
			{"a": "string:abc", "b": "number:2", "c": "float:3", "d": "bool:true"},
			{"a": "string:abc", "b": "number:3", "c": "float:4", "d": "bool:true"},
			{"b": "number:4", "c": "float:5", "d": "bool:false"},
			{"a": "string:abc", "b": "number:5", "c": "float:2", "d": "bool:true"},
		}
		if diff := cmp.Diff(want, rows); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
	})
}

type inner struct {
	City string  `parquet:"city,optional"`
	Zip  *int32  `parquet:"zip,optional"`
	Lat  float32 `parquet:"lat"`
}

type record struct {
	ID    int64     `parquet:"id"`
	Name  *string   `parquet:"name,optional"`
	Score *float64  `parquet:"score,optional"`
	OK    bool      `parquet:"ok"`
	At    time.Time `parquet:"at,timestamp(microsecond)"`
	Small uint32    `parquet:"small"`
	Addr  inner     `parquet:"addr"`
	Blob  []byte    `parquet:"blob,optional"`
}

// writeParquet writes rows with parquet-go, rowsPerGroup to a row group.
func writeParquet(t testing.TB, rows []record, rowsPerGroup int64, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	opts = append(opts, parquet.MaxRowsPerRowGroup(rowsPerGroup))
	w := parquet.NewGenericWriter[record](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func ptr[T any](v T) *T { return &v }

func TestParquetRoundTrip(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	rows := []record{
		{ID: 1, Name: ptr("ann"), Score: ptr(0.5), OK: true, At: at, Small: 4000000000, Addr: inner{City: "Oslo", Zip: ptr(int32(150)), Lat: 59.9}, Blob: []byte("hi")},
		{ID: -2, At: at.Add(time.Hour), Addr: inner{Lat: -1}, Blob: []byte{0xff, 0xfe}},
		{ID: 3, Name: ptr(""), Score: ptr(1e21), At: at, Addr: inner{City: "Bergen"}},
	}
	data := writeParquet(t, rows, 2) // two row groups
	rd, err := NewParquetReader(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantCols := []string{"id", "name", "score", "ok", "at", "small", "addr.city", "addr.zip", "addr.lat", "blob"}
	if diff := cmp.Diff(wantCols, rd.Columns()); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	var got []map[string]string
	var errs []string
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if !errors.Is(err, ErrMalformedRow) {
				t.Fatal(err)
			}
			errs = append(errs, fmt.Sprintf("%d: %v", row.Line, err))
			continue
		}
		m := map[string]string{}
		for _, c := range row.Cells {
			m[rd.Column(c.Column)] = kindName(c.Kind) + ":" + c.Text
		}
		got = append(got, m)
	}
	want := []map[string]string{
		{"id": "number:1", "name": "string:ann", "score": "float:0.5", "ok": "bool:true", "at": "timestamp:2024-05-06T07:08:09.123456Z",
			"small": "number:4000000000", "addr.city": "string:Oslo", "addr.zip": "number:150", "addr.lat": "float:59.9", "blob": "string:hi"},
		{"id": "number:3", "name": "string:", "score": "float:1e+21", "ok": "bool:false", "at": "timestamp:2024-05-06T07:08:09.123456Z",
			"small": "number:0", "addr.city": "string:Bergen", "addr.lat": "float:0"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	// Row 2's blob is not UTF-8: that row alone is malformed.
	if len(errs) != 1 || !strings.HasPrefix(errs[0], `2: table: malformed row: row 2 column "blob"`) {
		t.Errorf("malformed rows: %q", errs)
	}
}

func TestParquetNeedsRandomAccess(t *testing.T) {
	data := writeParquet(t, []record{{ID: 1}}, 10)
	tests := []struct {
		name string
		r    io.Reader
		ok   bool
	}{
		{"stream", io.MultiReader(bytes.NewReader(data)), false},
		{"bytes.Reader", bytes.NewReader(data), true},
		{"SectionReader", io.NewSectionReader(bytes.NewReader(data), 0, int64(len(data))), true},
		{"seeker without Size", struct {
			io.Reader
			io.ReaderAt
			io.Seeker
		}{bytes.NewReader(data), bytes.NewReader(data), bytes.NewReader(data)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd, err := NewReader(tt.r, &Options{Format: Parquet})
			if !tt.ok {
				if !errors.Is(err, ErrInvalidInput) {
					t.Fatalf("err = %v, want ErrInvalidInput", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rows := readParquetRows(t, rd); len(rows) != 1 {
				t.Errorf("%d rows, want 1", len(rows))
			}
		})
	}
}

type failingReaderAt struct {
	r     io.ReaderAt
	after int64 // fail reads past this offset
}

var errDisk = errors.New("disk on fire")

func (f failingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.after && off < f.after+1 {
		return 0, errDisk
	}
	return f.r.ReadAt(p, off)
}

func TestParquetBadInput(t *testing.T) {
	var rows []record
	for i := range 100 {
		rows = append(rows, record{ID: int64(i), Name: ptr(strings.Repeat("x", 100))})
	}
	good := writeParquet(t, rows, 50)
	footerLen := int64(binary.LittleEndian.Uint32(good[len(good)-8:]))
	flip := func(off int, b string) []byte {
		d := bytes.Clone(good)
		copy(d[off:], b)
		return d
	}
	// A footer declaring a list of 2^31-1 schema elements in 7 bytes.
	hugeList := []byte("PAR1")
	footer := []byte{0x15, 0x02, 0x19, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00}
	hugeList = append(hugeList, footer...)
	hugeList = binary.LittleEndian.AppendUint32(hugeList, uint32(len(footer)))
	hugeList = append(hugeList, "PAR1"...)
	tests := []struct {
		name string
		data []byte
		ra   io.ReaderAt
		opts Options
		want error
	}{
		{"empty", nil, nil, Options{}, ErrInvalidInput},
		{"csv", []byte("a,b\n1,2\n3,4\n"), nil, Options{}, ErrInvalidInput},
		{"truncated", good[:len(good)-20], nil, Options{}, ErrInvalidInput},
		{"bad head magic", flip(0, "PAR2"), nil, Options{}, ErrInvalidInput},
		{"encrypted", flip(len(good)-4, "PARE"), nil, Options{}, ErrUnsupported},
		{"footer longer than file", flip(len(good)-8, "\xff\xff\xff\x00"), nil, Options{}, ErrInvalidInput},
		{"huge list in footer", hugeList, nil, Options{}, ErrInvalidInput},
		{"footer over limit", good, nil, Options{MaxPageBytes: int(footerLen - 1)}, ErrRecordTooLong},
		{"page over limit", good, nil, Options{MaxPageBytes: int(footerLen) + 1}, ErrRecordTooLong},
		{"row over limit", good, nil, Options{MaxRecordBytes: 50}, ErrRecordTooLong},
		{"too many columns", good, nil, Options{MaxColumns: 3}, ErrTooManyColumns},
		{"pages garbled", flip(4, strings.Repeat("\x00", 64)), nil, Options{}, ErrInvalidInput},
		{"read error", good, failingReaderAt{bytes.NewReader(good), int64(len(good)) / 2}, Options{}, errDisk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ra := tt.ra
			if ra == nil {
				ra = bytes.NewReader(tt.data)
			}
			var err error
			var n int
			before := memtest.Allocated(func() {
				var rd *Reader
				rd, err = NewParquetReader(ra, int64(len(tt.data)), &tt.opts)
				for err == nil {
					_, err = rd.Next()
					n++
				}
			})
			if !errors.Is(err, tt.want) {
				t.Fatalf("after %d rows: err = %v, want %v", n, err, tt.want)
			}
			if tt.want != errDisk && !strings.HasPrefix(err.Error(), "table: ") {
				t.Errorf("message %q lacks the package prefix", err)
			}
			if errors.Is(err, io.EOF) {
				t.Errorf("error %v matches io.EOF", err)
			}
			if before > 16<<20 {
				t.Errorf("allocated %d bytes", before)
			}
		})
	}
}

func TestReadParquetColumns(t *testing.T) {
	f, err := os.Open("testdata/parquet/datapage_v2.snappy.parquet")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Naming columns reads only them: the list column e is never touched.
	cols, err := ReadColumns(context.Background(), f, &ColumnOptions{Options: Options{Format: Parquet}, Numeric: []string{"b", "c"}, Categorical: []string{"a", "d"}})
	if err != nil {
		t.Fatal(err)
	}
	want := &Columns{
		Rows: 5,
		Numeric: map[string]*NumericColumn{
			"b": {Name: "b", Values: []float64{1, 2, 3, 4, 5}},
			"c": {Name: "c", Values: []float64{2, 3, 4, 5, 2}},
		},
		Categorical: map[string]*CategoricalColumn{
			"a": {Name: "a", Values: []string{"abc", "abc", "abc", "abc"}, Missing: 1},
			"d": {Name: "d", Values: []string{"true", "true", "true", "false", "true"}},
		},
	}
	if diff := cmp.Diff(want, cols); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
	// Automatic kinds follow the Parquet types.
	st, _ := f.Stat()
	cols, err = ReadParquetColumns(context.Background(), f, st.Size(), &ColumnOptions{Options: Options{ParquetColumns: []string{"a", "b", "c", "d"}}})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, n := range []string{"a", "b", "c", "d"} {
		_, num := cols.Numeric[n]
		kinds = append(kinds, fmt.Sprintf("%s %v", n, num))
	}
	if diff := cmp.Diff([]string{"a false", "b true", "c true", "d false"}, kinds); diff != "" {
		t.Errorf("numeric columns (-want +got):\n%s", diff)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadParquetColumns(ctx, f, st.Size(), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestHalfToFloat(t *testing.T) {
	tests := []struct {
		h    uint16
		want string
	}{
		{0x3c00, "1"}, {0xc000, "-2"}, {0x3555, "0.33325195"}, {0x0001, "5.9604645e-08"},
		{0x7bff, "65504"}, {0x7c00, "+Inf"}, {0xfc00, "-Inf"}, {0x7e00, "NaN"}, {0x8000, "-0"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := fmt.Sprint(halfToFloat(tt.h)); got != tt.want {
				t.Errorf("halfToFloat(%#04x) = %s, want %s", tt.h, got, tt.want)
			}
		})
	}
}

func TestScaledDecimal(t *testing.T) {
	tests := []struct {
		unscaled int64
		scale    int
		want     string
	}{
		{1234, 2, "12.34"}, {-5, 3, "-0.005"}, {0, 2, "0.00"}, {42, 0, "42"}, {-1200, 1, "-120.0"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			v, err := decimalConverter(parquet.Int64, tt.scale)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := v(parquet.Int64Value(tt.unscaled))
			if got.Text != tt.want || got.Kind != Number {
				t.Errorf("got %v %q, want %q", got.Kind, got.Text, tt.want)
			}
		})
	}
}
