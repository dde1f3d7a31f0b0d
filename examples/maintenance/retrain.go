package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sextant-ml/sextant/pipeline"
	"github.com/sextant-ml/sextant/registry"
)

// retrainJob is the retraining pipeline's shared state. Tasks hand data to
// the tasks after them through these fields (the graph orders them) and
// publish what an auditor needs as outputs (kept in the run record).
type retrainJob struct {
	e   *env
	gen *generator
	// age is how the sensors report now; set before a run.
	age Ageing

	dir               string // the snapshot's directory
	manifest          string // the snapshot's dataset manifest digest
	model             *Model
	holdout           Batch
	champion          int
	championMetrics   Metrics
	candidateMetrics  Metrics
	candidate         *registry.Version
	gateFailures      []registry.MetricFailure
	failLabelsOnFirst bool // the label export is late on the first attempt
}

// newRetrainPipeline builds the graph:
//
//	snapshot -> train -> evaluate -> register -> gate
func newRetrainPipeline(e *env, job *retrainJob) (*pipeline.Pipeline, error) {
	retry := &pipeline.Retry{Attempts: 3, Backoff: 20 * time.Millisecond, Jitter: 0.5}
	return pipeline.New("retrain-"+modelName, []pipeline.Task{
		{Name: "snapshot", Run: job.snapshot, Retry: retry, Timeout: time.Minute},
		{Name: "train", Deps: []string{"snapshot"}, Run: job.train, Timeout: time.Minute},
		{Name: "evaluate", Deps: []string{"train"}, Run: job.evaluate, Retry: retry, Timeout: time.Minute},
		// Not retried: an attempt that registered the version and then
		// failed to sign it would register a second version on retry.
		{Name: "register", Deps: []string{"evaluate"}, Run: job.register, Timeout: time.Minute},
		{Name: "gate", Deps: []string{"register"}, Run: job.gate},
	}, &pipeline.Options{Bucket: e.store.Bucket(), Logger: e.cfg.Logger})
}

// snapshot versions fresh labelled readings as the next dataset version.
func (j *retrainJob) snapshot(ctx context.Context, t *pipeline.TaskRun) error {
	if j.failLabelsOnFirst && t.Attempt() == 1 {
		return errors.New("failure labels of the last day not exported yet")
	}
	fresh := j.gen.batch(j.e.cfg.TrainRows, j.age, 1)
	name := "fresh-" + t.RunID()[:8]
	dv, err := j.e.snapshot(ctx, fresh, name, "labelled readings for run "+t.RunID())
	if err != nil {
		return err
	}
	j.dir = filepath.Join(j.e.cfg.Dir, "data", name)
	j.manifest = dv.Manifest.String()
	t.Set("dataset", dv.Manifest.String())
	t.Set("dataset_version", strconv.Itoa(dv.Number))
	return nil
}

// train fits a model on the snapshot as versioned, read back from disk.
func (j *retrainJob) train(ctx context.Context, t *pipeline.TaskRun) error {
	b, err := readCSV(filepath.Join(j.dir, "readings.csv"))
	if err != nil {
		return pipeline.Permanent(err)
	}
	tr, test := b.split(0.25)
	m, err := train(tr, trainCfg)
	if err != nil {
		return pipeline.Permanent(err)
	}
	if v := t.Param("max_temperature"); v != "" {
		limit, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return pipeline.Permanent(fmt.Errorf("max_temperature: %w", err))
		}
		m.Limits = map[string]float64{"temperature": limit}
	}
	j.model, j.holdout = m, test
	t.Set("rows", strconv.Itoa(len(tr.X)))
	return nil
}

// evaluate scores the candidate and the production version on the same
// fresh holdout, and records (and signs) the production version's current
// scores on it, so the gate compares like with like.
func (j *retrainJob) evaluate(ctx context.Context, t *pipeline.TaskRun) error {
	reg := j.e.reg
	n, err := reg.Resolve(ctx, modelName+"@"+production)
	if err != nil {
		return err
	}
	ref := fmt.Sprintf("%s/%d", modelName, n)
	champion, err := j.e.loadModel(ctx, ref)
	if err != nil {
		return err
	}
	// Offline evaluation scores the model itself; serving limits are not
	// part of it.
	scored := *j.model
	scored.Limits = nil
	if j.candidateMetrics, err = evaluate(&scored, j.holdout); err != nil {
		return pipeline.Permanent(err)
	}
	champion.Limits = nil
	if j.championMetrics, err = evaluate(champion, j.holdout); err != nil {
		return pipeline.Permanent(err)
	}
	_, err = reg.UpdateVersion(ctx, ref, &registry.VersionUpdate{
		Metrics: j.championMetrics.registry(),
		SetTags: map[string]string{"evaluated_on": j.manifest},
	})
	if err != nil {
		return err
	}
	// The signature covers the metrics a gate reads: the champion's new
	// scores count as evidence once they are signed.
	if _, err := reg.Sign(ctx, ref, j.e.key); err != nil {
		return err
	}
	j.champion = n
	t.Set("champion", strconv.Itoa(n))
	t.Set("champion_log_loss", fmt.Sprintf("%.4f", j.championMetrics.LogLoss))
	t.Set("candidate_log_loss", fmt.Sprintf("%.4f", j.candidateMetrics.LogLoss))
	return nil
}

// register records the candidate with the run as its lineage, and signs it.
func (j *retrainJob) register(ctx context.Context, t *pipeline.TaskRun) error {
	v, err := j.e.register(ctx, j.model, registry.VersionSpec{
		Description: "Retrained on fresh readings after drift.",
		Metrics:     j.candidateMetrics.registry(),
		Params:      trainCfg.params(),
		Tags:        map[string]string{"horizon_hours": fmt.Sprint(j.e.cfg.HorizonHours), "evaluated_on": j.manifest, "trigger": t.Param("reason")},
		Lineage: registry.Lineage{
			Datasets: []string{j.manifest},
			Parent:   j.champion,
			RunID:    t.RunID(),
			Source:   "pipeline " + t.Pipeline(),
		},
	})
	if err != nil {
		return err
	}
	j.candidate = v
	t.Set("version", strconv.Itoa(v.Number))
	return nil
}

// gate applies the promotion gate to the candidate against production, as
// the release account's promotion will; a failure ends the run.
func (j *retrainJob) gate(ctx context.Context, t *pipeline.TaskRun) error {
	j.gateFailures = j.e.gate.Evaluate(j.candidate.Metrics, j.championMetrics.registry())
	if len(j.gateFailures) > 0 {
		t.Set("gate", "failed")
		return pipeline.Permanent(fmt.Errorf("gate: %v", j.gateFailures))
	}
	t.Set("gate", "passed")
	return nil
}
