package registrytest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sextant-ml/sextant/registry"
	"github.com/sextant-ml/sextant/registry/registrytest"
)

// New seeds a registry from Go literals. The kit takes a test's
// testing.TB; an example has none, so testing.Benchmark lends one here (it
// may call the function more than once; each call starts afresh). In a
// test, pass t, as TestLoadProduction does.
func ExampleNew() {
	var got string
	testing.Benchmark(func(t *testing.B) {
		r := registrytest.New(t, &registrytest.Seed{Models: []registrytest.Model{{
			Name: "fraud",
			Versions: []registrytest.Version{
				{Files: map[string]string{"model.onnx": "old weights"}},
				{Files: map[string]string{"model.onnx": "new weights"}, Metrics: map[string]float64{"auc": 0.93}},
			},
			Aliases: map[string]int{"production": 2},
		}}}, nil)
		v, err := r.Get(context.Background(), "fraud@production")
		if err != nil {
			t.Fatal(err)
		}
		got = fmt.Sprintf("%s auc=%v by %s at %s", v.Ref(), v.Metrics["auc"], v.Author, v.Created.Format("2006-01-02T15:04:05"))
	})
	fmt.Println(got)
	// Output:
	// fraud/2 auc=0.93 by test at 2026-01-01T00:00:02
}

// NewFaulty returns the registry with Faults beside it: here a log entry
// that a newer writer wrote, which a registry reading the log afresh
// refuses instead of misreading.
func ExampleNewFaulty() {
	var got []string
	testing.Benchmark(func(t *testing.B) {
		got = got[:0]
		ctx := context.Background()
		_, faults := registrytest.NewFaulty(t, &registrytest.Seed{Models: []registrytest.Model{{
			Name: "fraud", Versions: []registrytest.Version{{Files: map[string]string{"model.bin": "w"}}},
		}}}, nil)
		seq := faults.FutureNext(t, "fraud")
		fresh, err := registry.Open(ctx, faults.Store, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = fresh.Get(ctx, "fraud/1")
		got = append(got, fmt.Sprint("entry ", seq, ": unsupported=", errors.Is(err, registry.ErrUnsupportedEntry)))
	})
	for _, line := range got {
		fmt.Println(line)
	}
	// Output:
	// entry 3: unsupported=true
}
