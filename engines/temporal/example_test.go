package temporal_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/engines/temporal"
	"github.com/sextant-ml/sextant/pipeline"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// retrain is the pipeline definition, the same whether it runs with
// pipeline.Run or on Temporal.
func retrain(b *artifact.Bucket) (*pipeline.Pipeline, error) {
	return pipeline.New("retrain", []pipeline.Task{
		{Name: "snapshot", Run: func(ctx context.Context, tr *pipeline.TaskRun) error {
			tr.Set("dataset", "sha256:...") // the digest of the data version trained on
			return nil
		}},
		{Name: "train", Deps: []string{"snapshot"}, Timeout: 2 * time.Hour,
			Retry: &pipeline.Retry{Attempts: 3, Backoff: time.Minute},
			Run: func(ctx context.Context, tr *pipeline.TaskRun) error {
				data, _ := tr.Input("snapshot", "dataset")
				tr.Set("model", "trained on "+data)
				return nil
			}},
	}, &pipeline.Options{Bucket: b})
}

// A worker process registers the pipeline on a task queue; any process with
// a client starts runs and reads their records. The records land on the
// bucket, where sextant runs list and the UI show them beside local runs.
// (Not run here: it needs a Temporal server at localhost:7233.)
func Example() {
	ctx := context.Background()
	b, err := artifact.OpenBucket(ctx, "file:///var/lib/ml")
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	p, err := retrain(b)
	if err != nil {
		log.Fatal(err)
	}
	c, err := client.Dial(client.Options{HostPort: "localhost:7233"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	w := worker.New(c, "ml", worker.Options{})
	if err := temporal.Register(w, p, nil); err != nil {
		log.Fatal(err)
	}
	if err := w.Start(); err != nil {
		log.Fatal(err)
	}
	defer w.Stop()

	rec, err := temporal.Run(ctx, c, "retrain", temporal.Input{Params: map[string]string{"reason": "drift"}},
		client.StartWorkflowOptions{ID: "retrain-churn", TaskQueue: "ml"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.Status, rec.Tasks[1].Outputs["model"])
}
