package pipelinetest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/sextant-ml/sextant/pipeline"
	"github.com/sextant-ml/sextant/pipeline/pipelinetest"
)

// New builds a pipeline whose runs are recorded on a fresh in-memory
// bucket. The kit takes a test's testing.TB; an example has none, so
// testing.Benchmark lends one here (it may call the function more than
// once; each call starts afresh). In a test, pass t.
func ExampleNew() {
	var got []string
	testing.Benchmark(func(t *testing.B) {
		got = got[:0]
		p := pipelinetest.New(t, "retrain", []pipeline.Task{
			{Name: "train", Run: func(ctx context.Context, tr *pipeline.TaskRun) error { tr.Set("version", "4"); return nil }},
		}, nil)
		rec, err := p.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		runs, err := p.Store().Runs(context.Background())
		v, _ := rec.Output("train", "version")
		got = append(got, fmt.Sprint(pipelinetest.Statuses(rec), " version ", v), fmt.Sprint(len(runs), " run recorded ", err))
	})
	for _, line := range got {
		fmt.Println(line)
	}
	// Output:
	// map[train:succeeded] version 4
	// 1 run recorded <nil>
}
