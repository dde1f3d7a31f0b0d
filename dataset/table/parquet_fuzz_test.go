package table

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParquetReader feeds arbitrary bytes to the Parquet reader: every
// failure must be one of the package's errors, never a panic, an io.EOF
// in disguise or a runaway allocation.
func FuzzParquetReader(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/parquet/*.parquet")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) <= 4<<10 {
			f.Add(b)
		}
	}
	f.Add(writeParquet(f, []record{{ID: 1, Name: ptr("a")}, {ID: 2, Blob: []byte{0xff}}}, 1))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := &Options{MaxPageBytes: 1 << 20, MaxRecordBytes: 1 << 16, MaxColumns: 256}
		rd, err := NewParquetReader(bytes.NewReader(data), int64(len(data)), opts)
		for i := 0; err == nil && i < 10_000; i++ {
			_, err = rd.Next()
			if errors.Is(err, ErrMalformedRow) {
				err = nil
			}
		}
		if err == nil || err == io.EOF {
			return
		}
		if errors.Is(err, io.EOF) {
			t.Fatalf("error matches io.EOF: %v", err)
		}
		for _, s := range []error{ErrInvalidInput, ErrUnsupported, ErrRecordTooLong, ErrTooManyColumns} {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("untyped error: %v", err)
	})
}
