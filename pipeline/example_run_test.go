package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/pipeline"
)

// A task is retried on error with backoff, up to Retry.Attempts; an error
// wrapped by Permanent is not retried.
func ExampleRetry() {
	var exports, validations atomic.Int32 // the tasks run concurrently
	flaky := func(ctx context.Context, t *pipeline.TaskRun) error {
		exports.Add(1)
		if t.Attempt() < 3 {
			return errors.New("export service busy")
		}
		return nil
	}
	broken := func(ctx context.Context, t *pipeline.TaskRun) error {
		validations.Add(1)
		return pipeline.Permanent(errors.New("schema changed"))
	}
	retry := &pipeline.Retry{Attempts: 5, Backoff: time.Millisecond}
	p, err := pipeline.New("export", []pipeline.Task{
		{Name: "export", Run: flaky, Retry: retry},
		{Name: "validate", Run: broken, Retry: retry},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, _ := p.Run(context.Background(), nil)
	for _, t := range rec.Tasks {
		fmt.Println(t.Name, t.Status, "after", t.Attempts, "attempts")
	}
	fmt.Println("calls:", exports.Load(), validations.Load())
	// Output:
	// export succeeded after 3 attempts
	// validate failed after 1 attempts
	// calls: 3 1
}

// Tasks read the run's parameters and their dependencies' outputs, and set
// outputs of their own, which the record keeps.
func ExampleTaskRun_Input() {
	p, err := pipeline.New("score", []pipeline.Task{
		{Name: "fetch", Run: func(ctx context.Context, t *pipeline.TaskRun) error {
			t.Set("rows", "1200")
			t.Set("day", t.Param("day"))
			return nil
		}},
		{Name: "score", Deps: []string{"fetch"}, Run: func(ctx context.Context, t *pipeline.TaskRun) error {
			rows, _ := t.Input("fetch", "rows")
			day, _ := t.Input("fetch", "day")
			t.Set("summary", fmt.Sprintf("%s rows scored for %s in %s/%s", rows, day, t.Pipeline(), t.Task()))
			return nil
		}},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := p.Run(context.Background(), map[string]string{"day": "2026-03-02"})
	if err != nil {
		fmt.Println(err)
		return
	}
	summary, _ := rec.Output("score", "summary")
	fmt.Println(summary)
	fetch, _ := rec.Task("fetch")
	fmt.Println(fetch.Outputs)
	// Output:
	// 1200 rows scored for 2026-03-02 in score/score
	// map[day:2026-03-02 rows:1200]
}

// The records of every run stay on the bucket; OpenStore reads them from
// another process (an auditor, the web UI) without the pipeline's tasks.
func ExampleOpenStore() {
	ctx := context.Background()
	bucket, err := artifact.OpenBucket(ctx, "mem://")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer bucket.Close()
	noop := func(context.Context, *pipeline.TaskRun) error { return nil }
	p, err := pipeline.New("nightly", []pipeline.Task{{Name: "train", Run: noop}}, &pipeline.Options{Bucket: bucket})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		if _, err := p.Run(ctx, nil); err != nil {
			fmt.Println(err)
			return
		}
	}

	store, err := pipeline.OpenStore(bucket, "nightly")
	if err != nil {
		fmt.Println(err)
		return
	}
	runs, err := store.Runs(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range runs {
		got, err := store.Get(ctx, r.ID)
		fmt.Println(r.Pipeline, r.Status, len(r.Tasks), got.ID == r.ID, err)
	}
	// Output:
	// nightly succeeded 1 true <nil>
	// nightly succeeded 1 true <nil>
}
