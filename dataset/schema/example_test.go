package schema_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/sextant-ml/sextant/dataset/schema"
)

func Example() {
	ctx := context.Background()
	reference := "sensor,temp\na,20.5\nb,21.0\na,19.5\nb,22.5\n"
	s, err := schema.Infer(ctx, strings.NewReader(reference), nil)
	if err != nil {
		panic(err)
	}
	batch := "sensor,temp\na,21.0\nc,20.0\nb,85.5\n"
	report, err := s.Validate(ctx, strings.NewReader(batch), nil)
	if err != nil {
		panic(err)
	}
	fmt.Print(report)
	// Output:
	// FAIL: 3 rows, 2 anomalies
	//   "sensor": 1 value not among the 2 allowed (e.g. line 3 "c")
	//   "temp": 1 value outside [19.5, 22.5] (e.g. line 4 "85.5")
}
