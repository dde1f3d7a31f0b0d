// Command tracking runs a small hyperparameter sweep with experiment
// tracking on a bucket, picks the best run and registers it as a model
// version whose lineage names the run; with -serve it then serves MLflow's
// REST API for MLflow clients.
//
//	go run ./examples/tracking                      # on mem://
//	go run ./examples/tracking -bucket file:///tmp/sextant -serve 127.0.0.1:5000
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"net/http"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/registry"
	"github.com/sextant-ml/sextant/tracking"
)

func main() {
	bucket := flag.String("bucket", "mem://", "bucket URL")
	serve := flag.String("serve", "", "address to serve MLflow's REST API on after the sweep")
	flag.Parse()
	if err := run(context.Background(), *bucket, *serve); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context, url, serve string) error {
	store, err := artifact.Open(ctx, url, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	tr, err := tracking.Open(ctx, store, nil)
	if err != nil {
		return err
	}
	reg, err := registry.Open(ctx, store, &registry.Options{Runs: tr, AllowUnsigned: true})
	if err != nil {
		return err
	}
	exp, err := tr.CreateExperiment(ctx, fmt.Sprintf("sweep-%d", time.Now().UnixNano()), nil)
	if err != nil {
		return err
	}
	parent, err := tr.CreateRun(ctx, exp, &tracking.RunOptions{Name: "sweep"})
	if err != nil {
		return err
	}
	for _, lr := range []float64{0.3, 0.1, 0.03} {
		child, err := tr.CreateRun(ctx, exp, &tracking.RunOptions{Name: fmt.Sprintf("lr=%g", lr), ParentID: parent.Info.ID})
		if err != nil {
			return err
		}
		id := child.Info.ID
		if err := tr.LogParam(ctx, id, "lr", fmt.Sprint(lr)); err != nil {
			return err
		}
		// A toy training loop: the loss decays at a rate set by lr.
		var batch tracking.Batch
		for step := range 200 {
			loss := math.Exp(-lr*float64(step)/10) + 0.05/lr/100
			batch.Metrics = append(batch.Metrics, tracking.Metric{Key: "loss", Value: loss, Timestamp: time.Now().UnixMilli(), Step: int64(step)})
		}
		if err := tr.LogBatch(ctx, id, &batch); err != nil {
			return err
		}
		if _, err := tr.LogArtifact(ctx, id, "model/weights.txt", bytes.NewReader([]byte(fmt.Sprintf("lr=%g\n", lr)))); err != nil {
			return err
		}
		if _, err := tr.EndRun(ctx, id, tracking.StatusFinished); err != nil {
			return err
		}
	}
	if _, err := tr.EndRun(ctx, parent.Info.ID, tracking.StatusFinished); err != nil {
		return err
	}
	best, err := tr.BestRun(ctx, &tracking.BestRunQuery{ExperimentIDs: []string{exp}, Metric: "loss",
		Filter: "attributes.parent_run_id = '" + parent.Info.ID + "'"})
	if err != nil {
		return err
	}
	fmt.Printf("best run %s (%s): loss %.4f\n", best.Info.ID, best.Info.Name, best.Metrics["loss"].Value)
	v, err := tr.RegisterModel(ctx, reg, best.Info.ID, "toy", &tracking.RegisterOptions{ArtifactPrefix: "model/"})
	if err != nil {
		return err
	}
	fmt.Printf("registered %s/%d from run %s with %d file(s)\n", v.Model, v.Number, v.Lineage.RunID, len(v.Files))
	if serve == "" {
		return nil
	}
	fmt.Printf("serving MLflow's REST API on http://%s%s\n", serve, tracking.APIPrefix)
	return http.ListenAndServe(serve, tr.Handler())
}
