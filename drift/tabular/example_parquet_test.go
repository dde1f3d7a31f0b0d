package tabular_test

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/sextant-ml/sextant/dataset/table"
	"github.com/sextant-ml/sextant/drift"
	"github.com/sextant-ml/sextant/drift/tabular"
)

// ReadParquet reads chosen columns of a Parquet file straight into
// drift.Data, ready to fit a reference profile; here 100 customers written
// by parquet-mr 1.10.0. Missing cells are left out: 97 of the 100 rows
// have each column.
func ExampleReadParquet() {
	f, err := os.Open("testdata/parquet/delta_encoding_optional_column.parquet")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		panic(err)
	}
	data, err := tabular.ReadParquet(context.Background(), f, st.Size(), &table.ColumnOptions{
		Numeric:     []string{"c_birth_year"},
		Categorical: []string{"c_salutation"},
	})
	if err != nil {
		panic(err)
	}
	years := data.Numeric["c_birth_year"]
	fmt.Println(len(years), "birth years from", slices.Min(years), "to", slices.Max(years))

	profile, err := drift.Fit(data, nil)
	if err != nil {
		panic(err)
	}
	c, err := profile.Column("c_salutation")
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Rows, "salutations,", c.Kind)
	// Output:
	// 97 birth years from 1925 to 1991
	// 97 salutations, categorical
}
