package table

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// bigParquet writes a file of n rows, 5,000 rows per row group, to dir
// and returns its path and the bytes its cells decode to.
func bigParquet(t testing.TB, dir string, n int) (string, int64) {
	t.Helper()
	path := filepath.Join(dir, "big.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[record](f, parquet.MaxRowsPerRowGroup(5000), parquet.Compression(&parquet.Snappy))
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	pad := strings.Repeat("abcdefghij", 10)
	batch := make([]record, 0, 1000)
	for i := range n {
		name := strconv.Itoa(i) + pad
		batch = append(batch, record{ID: int64(i), Name: &name, Score: ptr(float64(i) / 7), OK: i%2 == 0,
			At: at.Add(time.Duration(i) * time.Second), Small: uint32(i), Addr: inner{City: pad[:i%50], Lat: float32(i)}})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := w.Write(batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// Decoded size: the cell text the reader hands out, plus a Cell header
	// per value.
	var size int64
	rd, cleanup := openFile(t, path)
	defer cleanup()
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range row.Cells {
			size += int64(len(c.Text)) + 32
		}
	}
	return path, size
}

func openFile(t testing.TB, path string) (*Reader, func()) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := NewReader(f, &Options{Format: Parquet})
	if err != nil {
		t.Fatal(err)
	}
	return rd, func() { f.Close() }
}

// TestParquetBoundedMemory reads a file of many row groups and checks that
// the heap never grows by more than a small share of what the file
// decodes to: the reader holds a page per column, not the file.
func TestParquetBoundedMemory(t *testing.T) {
	path, decoded := bigParquet(t, t.TempDir(), 200_000)
	fi, _ := os.Stat(path)
	rd, cleanup := openFile(t, path)
	defer cleanup()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	rows := 0
	for {
		_, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rows++; rows%2000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	if rows != 200_000 {
		t.Fatalf("%d rows, want 200000", rows)
	}
	growth := int64(peak) - int64(base)
	t.Logf("file %d bytes, decoded %d bytes, peak heap growth %d bytes", fi.Size(), decoded, growth)
	if growth > decoded/10 {
		t.Errorf("peak heap growth %d bytes, more than a tenth of the %d decoded bytes", growth, decoded)
	}
}

func BenchmarkParquetReader(b *testing.B) {
	path, _ := bigParquet(b, b.TempDir(), 50_000)
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rd, err := NewParquetReader(bytes.NewReader(data), int64(len(data)), nil)
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := rd.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
