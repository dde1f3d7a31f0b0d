package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/pipeline"
)

// pipelineStep runs a small retraining graph whose data fetch fails once
// and is retried, and reads its record back from the bucket.
func pipelineStep(ctx context.Context, d *demo) error {
	bucket, err := artifact.OpenBucket(ctx, d.bucketURL)
	if err != nil {
		return err
	}
	defer bucket.Close()

	fetch := func(ctx context.Context, t *pipeline.TaskRun) error {
		if t.Attempt() == 1 {
			return errors.New("sensor export not ready")
		}
		t.Set("rows", "5000")
		return nil
	}
	features := func(ctx context.Context, t *pipeline.TaskRun) error {
		t.Set("columns", "temperature,vibration")
		return nil
	}
	train := func(ctx context.Context, t *pipeline.TaskRun) error {
		rows, _ := t.Input("fetch", "rows")
		t.Set("model", "trained on "+rows+" rows, run "+t.RunID()[:8])
		return nil
	}
	p, err := pipeline.New("quickstart-retrain", []pipeline.Task{
		{Name: "fetch", Run: fetch, Retry: &pipeline.Retry{Attempts: 3, Backoff: 10 * time.Millisecond, Jitter: 0.5}},
		{Name: "features", Deps: []string{"fetch"}, Run: features},
		{Name: "train", Deps: []string{"features"}, Run: train, Timeout: time.Minute},
	}, &pipeline.Options{Bucket: bucket})
	if err != nil {
		return err
	}
	rec, err := p.Run(ctx, map[string]string{"reason": "quickstart"})
	if err != nil {
		return err
	}
	for _, t := range rec.Tasks {
		d.printf("task %-8s %s after %d attempt(s)\n", t.Name, t.Status, t.Attempts)
	}
	model, _ := rec.Output("train", "model")
	d.printf("output: %s\n", model)
	runs, err := p.Store().Runs(ctx)
	if err != nil {
		return err
	}
	if len(runs) == 0 || runs[len(runs)-1].ID != rec.ID {
		return fmt.Errorf("run %s not found in the store", rec.ID)
	}
	d.printf("run %s recorded under pipelines/%s (%d run(s) so far)\n", rec.ID, p.Name(), len(runs))
	return nil
}
