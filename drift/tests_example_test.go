package drift_test

import (
	"fmt"

	"github.com/sextant-ml/sextant/drift"
)

// KS on two small samples: KSAuto computes the exact p-value and says so in
// the result.
func ExampleKS() {
	reference := []float64{0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37}
	current := []float64{1.77, 1.42, 2.1, 1.9, 0.85, 1.31, 2.4, 1.6, 0.95, 1.88}
	r, err := drift.KS(reference, current, drift.KSAuto)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("D=%.3f p=%.2g method=%v\n", r.D, r.P, r.Method)
	// Output:
	// D=0.933 p=6.7e-06 method=exact
}
