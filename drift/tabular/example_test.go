package tabular_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/sextant-ml/sextant/dataset/table"
	"github.com/sextant-ml/sextant/drift"
	"github.com/sextant-ml/sextant/drift/tabular"
)

// CSV (or JSON Lines) read by dataset/table becomes drift.Data: numeric
// columns as numbers, the rest as categories, missing cells left out.
func ExampleFromColumns() {
	read := func(csv string) drift.Data {
		cols, err := table.ReadColumns(context.Background(), strings.NewReader(csv), nil)
		if err != nil {
			panic(err)
		}
		return tabular.FromColumns(cols)
	}
	reference := read("temp,site\n" + strings.Repeat("20.5,oslo\n21,rome\n19.5,oslo\n22,rome\n", 25))
	current := read("temp,site\n" + strings.Repeat("24.5,oslo\n25,oslo\nNA,oslo\n26,rome\n", 25))

	report, err := drift.Compare(reference, current, nil)
	if err != nil {
		panic(err)
	}
	for _, c := range report.Columns {
		fmt.Printf("%s: %s drifted=%v\n", c.Column, c.Method, c.Drifted)
	}
	fmt.Println("temperatures kept:", len(current.Numeric["temp"]), "of 100 rows")
	// Output:
	// site: z drifted=true
	// temp: ks drifted=true
	// temperatures kept: 75 of 100 rows
}
