package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/pipeline"
)

// A retraining graph: two feature tasks run in parallel after the load, the
// training waits for both, and its output (a model version) is recorded with
// the run, whose id the registry would keep as lineage.
func Example() {
	ctx := context.Background()
	bucket, err := artifact.OpenBucket(ctx, "mem://")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer bucket.Close()

	step := func(name string) pipeline.Func {
		return func(ctx context.Context, t *pipeline.TaskRun) error {
			t.Set("rows", "1000")
			return nil
		}
	}
	p, err := pipeline.New("retrain", []pipeline.Task{
		{Name: "load", Run: step("load")},
		{Name: "temperature", Deps: []string{"load"}, Run: step("temperature")},
		{Name: "vibration", Deps: []string{"load"}, Run: step("vibration")},
		{Name: "train", Deps: []string{"temperature", "vibration"}, Timeout: time.Minute,
			Retry: &pipeline.Retry{Attempts: 3, Backoff: time.Second, Jitter: 0.2},
			Run: func(ctx context.Context, t *pipeline.TaskRun) error {
				rows, _ := t.Input("load", "rows")
				t.Set("version", "2")
				t.Set("trained_on", rows)
				return nil
			}},
	}, &pipeline.Options{Concurrency: 2, Bucket: bucket})
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := p.Run(ctx, map[string]string{"model": "pump-failure"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range rec.Tasks {
		fmt.Println(t.Name, t.Status, t.Attempts)
	}
	version, _ := rec.Output("train", "version")
	fmt.Println("version", version)

	// The record is on the bucket for auditors.
	runs, _ := p.Store().Runs(ctx)
	fmt.Println(len(runs), "run stored:", runs[0].ID == rec.ID, runs[0].Status)
	// Output:
	// load succeeded 1
	// temperature succeeded 1
	// vibration succeeded 1
	// train succeeded 1
	// version 2
	// 1 run stored: true succeeded
}

// Mistakes in the graph are found when it is built, not when it runs.
func ExampleNew_cycle() {
	noop := func(context.Context, *pipeline.TaskRun) error { return nil }
	_, err := pipeline.New("bad", []pipeline.Task{
		{Name: "train", Deps: []string{"evaluate"}, Run: noop},
		{Name: "evaluate", Deps: []string{"train"}, Run: noop},
	}, nil)
	fmt.Println(errors.Is(err, pipeline.ErrCycle))
	fmt.Println(err)
	// Output:
	// true
	// pipeline: dependency cycle: train -> evaluate -> train
}

// A failed task skips what depends on it while independent branches finish.
func ExamplePipeline_Run_failure() {
	noop := func(context.Context, *pipeline.TaskRun) error { return nil }
	p, _ := pipeline.New("nightly", []pipeline.Task{
		{Name: "fetch", Run: func(context.Context, *pipeline.TaskRun) error {
			return pipeline.Permanent(errors.New("source table missing"))
		}},
		{Name: "train", Deps: []string{"fetch"}, Run: noop},
		{Name: "report", Run: noop},
	}, nil)
	rec, err := p.Run(context.Background(), nil)
	fmt.Println(errors.Is(err, pipeline.ErrFailed))
	for _, t := range rec.Tasks {
		fmt.Printf("%s %s %q\n", t.Name, t.Status, t.Error)
	}
	// Output:
	// true
	// fetch failed "source table missing"
	// train skipped "upstream task fetch failed"
	// report succeeded ""
}

// A scheduler retrains when a drift detector fires (and on an interval when
// one is set), never running two retrainings at once.
func ExampleScheduler() {
	p, _ := pipeline.New("retrain", []pipeline.Task{
		{Name: "train", Run: func(ctx context.Context, t *pipeline.TaskRun) error {
			fmt.Println("retraining because:", t.Param("reason"))
			return nil
		}},
	}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	s := pipeline.NewScheduler(p, &pipeline.SchedulerOptions{
		OnRun: func(rec *pipeline.Record, err error) {
			fmt.Println(rec.Trigger, rec.Status)
			cancel() // one run is enough for this example
		},
	})
	s.Fire("drift: vibration") // e.g. from a drift detector's callback
	err := s.Run(ctx)
	fmt.Println(err, s.Stats().Triggered)
	// Output:
	// retraining because: drift: vibration
	// event succeeded
	// context canceled 1
}
