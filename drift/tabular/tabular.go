// Package tabular builds drift.Data from the tables package dataset/table
// reads (CSV, JSON Lines and Parquet), so that drift itself depends on
// internal/stats only and programs that never read Parquet do not build
// its decoder.
package tabular

import (
	"context"
	"fmt"
	"io"

	"github.com/sextant-ml/sextant/dataset/table"
	"github.com/sextant-ml/sextant/drift"
)

// FromColumns returns the columns read by package table (table.ReadColumns
// or table.ReadParquetColumns) as drift.Data, sharing their value slices.
// Missing values (absent, null, a CSV null marker) are not values and are
// left out; a column without any value is kept and fails drift.Fit or drift.Compare
// with ErrEmpty, so leave it out of the table options if it may be empty.
func FromColumns(c *table.Columns) drift.Data {
	d := drift.Data{Numeric: map[string][]float64{}, Categorical: map[string][]string{}}
	if c == nil {
		return d
	}
	for name, col := range c.Numeric {
		d.Numeric[name] = col.Values
	}
	for name, col := range c.Categorical {
		d.Categorical[name] = col.Values
	}
	return d
}

// ReadParquet reads columns of the Parquet file held by ra, size bytes
// long, as drift.Data for drift.Fit, drift.Compare or Profile.Compare. The file is read one
// page of each chosen column at a time (see table.NewParquetReader):
// beyond the values Data keeps, memory is bounded by one page and one
// dictionary per column. Naming opts.Numeric or opts.Categorical reads
// only those columns; with neither, every column is read, integer,
// decimal and floating-point ones as numeric and the others (booleans,
// strings, dates, times, timestamps) as categorical.
//
// Errors wrap the sentinels of package table (table.ErrInvalidInput,
// table.ErrUnsupported, table.ErrRecordTooLong, ...) or the context's
// error, and their message starts with "tabular:".
func ReadParquet(ctx context.Context, ra io.ReaderAt, size int64, opts *table.ColumnOptions) (drift.Data, error) {
	c, err := table.ReadParquetColumns(ctx, ra, size, opts)
	if err != nil {
		return drift.Data{}, fmt.Errorf("tabular: read parquet: %w", err)
	}
	return FromColumns(c), nil
}
