package table_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/sextant-ml/sextant/dataset/table"
)

func ExampleReadColumns() {
	csv := "temp,site\n20.5,oslo\nNA,rome\n22,oslo\n"
	cols, err := table.ReadColumns(context.Background(), strings.NewReader(csv), nil)
	if err != nil {
		panic(err)
	}
	temp, site := cols.Numeric["temp"], cols.Categorical["site"]
	fmt.Println(temp.Values, "missing", temp.Missing)
	fmt.Println(site.Values, "missing", site.Missing)
	// Output:
	// [20.5 22] missing 1
	// [oslo rome oslo] missing 0
}
