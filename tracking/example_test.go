package tracking_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/registry"
	"github.com/sextant-ml/sextant/tracking"
)

// t0 is the examples' clock, in Unix milliseconds for metric timestamps.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// exampleTracker returns a tracker on a fresh in-memory store with a fixed
// user and clock, and the store.
func exampleTracker() (*tracking.Tracker, *artifact.Store) {
	ctx := context.Background()
	store, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	tr, err := tracking.Open(ctx, store, &tracking.Options{
		User: func(context.Context) string { return "alice" },
		Now:  func() time.Time { return t0 },
	})
	if err != nil {
		log.Fatal(err)
	}
	return tr, store
}

// sweep logs one finished run per learning rate, with its final AUC.
func sweep(tr *tracking.Tracker, exp string, runs map[string]float64) {
	ctx := context.Background()
	for _, lr := range []string{"0.3", "0.1", "0.03"} {
		auc, ok := runs[lr]
		if !ok {
			continue
		}
		run, err := tr.CreateRun(ctx, exp, &tracking.RunOptions{Name: "lr=" + lr})
		if err != nil {
			log.Fatal(err)
		}
		id := run.Info.ID
		err = tr.LogBatch(ctx, id, &tracking.Batch{
			Params:  []tracking.Param{{Key: "lr", Value: lr}},
			Metrics: []tracking.Metric{{Key: "auc", Value: auc - 0.05, Timestamp: t0.UnixMilli(), Step: 1}, {Key: "auc", Value: auc, Timestamp: t0.UnixMilli(), Step: 2}},
			Tags:    []tracking.Tag{{Key: "team", Value: "risk"}},
		})
		if err != nil {
			log.Fatal(err)
		}
		if _, err := tr.EndRun(ctx, id, tracking.StatusFinished); err != nil {
			log.Fatal(err)
		}
	}
}

// Track a sweep and pick its best run: experiments hold runs, runs hold
// params, metric series and tags.
func Example() {
	ctx := context.Background()
	tr, _ := exampleTracker()
	exp, err := tr.CreateExperiment(ctx, "fraud", nil)
	if err != nil {
		log.Fatal(err)
	}
	sweep(tr, exp, map[string]float64{"0.3": 0.88, "0.1": 0.93, "0.03": 0.91})
	best, err := tr.BestRun(ctx, &tracking.BestRunQuery{ExperimentIDs: []string{exp}, Metric: "auc", Maximize: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(best.Info.Name, best.Info.Status, best.Info.UserID, best.Params["lr"], best.Metrics["auc"].Value)
	// Output:
	// lr=0.1 FINISHED alice 0.1 0.93
}

// SearchRuns takes MLflow's filter and order-by syntax.
func ExampleTracker_SearchRuns() {
	ctx := context.Background()
	tr, _ := exampleTracker()
	exp, _ := tr.CreateExperiment(ctx, "fraud", nil)
	sweep(tr, exp, map[string]float64{"0.3": 0.88, "0.1": 0.93, "0.03": 0.91})
	page, err := tr.SearchRuns(ctx, &tracking.RunSearch{
		ExperimentIDs: []string{exp},
		Filter:        "metrics.auc > 0.9 and params.lr != '0.3'",
		OrderBy:       []string{"metrics.auc DESC"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range page.Runs {
		fmt.Println(r.Info.Name, r.Metrics["auc"].Value)
	}
	_, err = tr.SearchRuns(ctx, &tracking.RunSearch{ExperimentIDs: []string{exp}, Filter: "metrics.auc >>> 1"})
	fmt.Println(errors.Is(err, tracking.ErrInvalidFilter))
	// Output:
	// lr=0.1 0.93
	// lr=0.03 0.91
	// true
}

// A metric is a series; the run keeps its latest point, MetricHistory
// returns all of them.
func ExampleTracker_MetricHistory() {
	ctx := context.Background()
	tr, _ := exampleTracker()
	run, err := tr.CreateRun(ctx, "", nil) // "" is the Default experiment
	if err != nil {
		log.Fatal(err)
	}
	for step, loss := range []float64{0.9, 0.5, 0.3} {
		m := tracking.Metric{Key: "loss", Value: loss, Timestamp: t0.UnixMilli(), Step: int64(step)}
		if err := tr.LogMetric(ctx, run.Info.ID, m); err != nil {
			log.Fatal(err)
		}
	}
	points, err := tr.MetricHistory(ctx, run.Info.ID, "loss")
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range points {
		fmt.Println(p.Step, p.Value)
	}
	// Output:
	// 0 0.9
	// 1 0.5
	// 2 0.3
}

// Params are immutable: logging one again with another value fails.
func ExampleTracker_LogParam() {
	ctx := context.Background()
	tr, _ := exampleTracker()
	run, _ := tr.CreateRun(ctx, "", nil)
	fmt.Println(tr.LogParam(ctx, run.Info.ID, "lr", "0.1"))
	fmt.Println(tr.LogParam(ctx, run.Info.ID, "lr", "0.1")) // the same value again is fine
	err := tr.LogParam(ctx, run.Info.ID, "lr", "0.2")
	fmt.Println(errors.Is(err, tracking.ErrParamChanged))
	// Output:
	// <nil>
	// <nil>
	// true
}

// CompareRuns lays runs side by side and marks what differs.
func ExampleTracker_CompareRuns() {
	ctx := context.Background()
	tr, _ := exampleTracker()
	exp, _ := tr.CreateExperiment(ctx, "fraud", nil)
	sweep(tr, exp, map[string]float64{"0.3": 0.88, "0.1": 0.93})
	page, _ := tr.SearchRuns(ctx, &tracking.RunSearch{ExperimentIDs: []string{exp}, OrderBy: []string{"params.lr"}})
	c, err := tr.CompareRuns(ctx, page.Runs[0].Info.ID, page.Runs[1].Info.ID)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range c.Params {
		fmt.Println("param", p.Key, p.Values, p.Differs)
	}
	for _, m := range c.Metrics {
		fmt.Println("metric", m.Key, m.Values, m.Differs)
	}
	for _, t := range c.Tags {
		if t.Key == "team" {
			fmt.Println("tag", t.Key, t.Values, t.Differs)
		}
	}
	// Output:
	// param lr [0.1 0.3] true
	// metric auc [0.93 0.88] true
	// tag team [risk risk] false
}

// Artifacts of a run are stored by digest in the artifact store, and a run
// becomes a model version whose lineage names it.
func ExampleTracker_RegisterModel() {
	ctx := context.Background()
	tr, store := exampleTracker()
	reg, err := registry.Open(ctx, store, &registry.Options{Runs: tr, AllowUnsigned: true})
	if err != nil {
		log.Fatal(err)
	}
	run, _ := tr.CreateRun(ctx, "", &tracking.RunOptions{Name: "xgb"})
	a, err := tr.LogArtifact(ctx, run.Info.ID, "model/weights.bin", strings.NewReader("weights"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a.Path, a.Digest == artifact.FromBytes([]byte("weights")))
	rc, err := tr.OpenArtifact(ctx, run.Info.ID, "model/weights.bin")
	if err != nil {
		log.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	fmt.Printf("%q\n", b)

	v, err := tr.RegisterModel(ctx, reg, run.Info.ID, "fraud", &tracking.RegisterOptions{ArtifactPrefix: "model/"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.Ref(), v.Files[0].Path, v.Lineage.RunID == run.Info.ID)
	// Output:
	// model/weights.bin true
	// "weights"
	// fraud/1 weights.bin true
}

// Handler serves the part of MLflow's REST API that MLflow's clients use.
func ExampleTracker_Handler() {
	ctx := context.Background()
	tr, _ := exampleTracker()
	if _, err := tr.CreateExperiment(ctx, "fraud", nil); err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(tr.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + tracking.APIPrefix + "experiments/get-by-name?experiment_name=fraud")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Experiment struct {
			ID             string `json:"experiment_id"`
			Name           string `json:"name"`
			LifecycleStage string `json:"lifecycle_stage"`
		} `json:"experiment"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, body.Experiment.ID, body.Experiment.Name, body.Experiment.LifecycleStage)

	// A run that does not exist: 404, RESOURCE_DOES_NOT_EXIST, as MLflow answers.
	resp2, err := http.Post(srv.URL+tracking.APIPrefix+"runs/log-batch", "application/json", bytes.NewReader([]byte(`{"run_id":"nope"}`)))
	if err != nil {
		log.Fatal(err)
	}
	resp2.Body.Close()
	fmt.Println(resp2.StatusCode)
	// Output:
	// 200 1 fraud active
	// 404
}

// The validators check what a REST handler of one's own receives before
// it is logged, with MLflow's limits.
func ExampleValidateMetric() {
	fmt.Println(tracking.ValidateMetric(tracking.Metric{Key: "auc", Value: 0.9, Timestamp: t0.UnixMilli()}))
	err := tracking.ValidateMetric(tracking.Metric{Key: "../auc", Value: 0.9})
	fmt.Println(errors.Is(err, tracking.ErrInvalidParameter))
	b, err := tracking.DecodeLogBatch([]byte(`{"params":[{"key":"lr","value":"0.1"}],"metrics":[{"key":"auc","value":0.9,"timestamp":1,"step":0}]}`))
	fmt.Println(len(b.Params), len(b.Metrics), err)
	// Output:
	// <nil>
	// true
	// 1 1 <nil>
}
