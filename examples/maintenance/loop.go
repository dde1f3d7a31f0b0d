package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/drift"
	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/pipeline"
	"github.com/sextant-ml/sextant/rbac"
)

type runResult struct {
	rec *pipeline.Record
	err error
}

// watchAndRetrain is steps 2 and 3: serve version 1 while the sensors age,
// check every batch for drift, and let the drift detector trigger the
// retraining pipeline.
func (e *env) watchAndRetrain(ctx context.Context, gen *generator, f *fleet, profile *drift.Profile) error {
	e.step(2, "Serve version 1 while the pump sensors age")
	job := &retrainJob{e: e, gen: newGenerator(e.cfg.Seed+1, e.cfg.HorizonHours), age: e.cfg.Ageing, failLabelsOnFirst: true}
	p, err := newRetrainPipeline(e, job)
	if err != nil {
		return err
	}
	e.retrain, e.job = p, job

	// The scheduler retrains weekly, and at once when drift is detected;
	// never two runs at a time. It runs as the trainer account.
	runs := make(chan runResult, 4)
	sched := pipeline.NewScheduler(p, &pipeline.SchedulerOptions{
		Interval: 7 * 24 * time.Hour,
		OnRun:    func(rec *pipeline.Record, err error) { runs <- runResult{rec, err} },
	})
	schedCtx, stopSched := context.WithCancel(e.trainerCtx)
	schedDone := make(chan error, 1)
	go func() { schedDone <- sched.Run(schedCtx) }()
	defer func() { stopSched(); <-schedDone }()

	var report *drift.Report
	for i := 1; i <= e.cfg.MaxBatches && report == nil; i++ {
		share := min(1, float64(i-1)/4) // the share of pumps whose sensors have aged
		b := gen.batch(e.cfg.BatchRows, e.cfg.Ageing, share)
		failed := f.serve(ctx, b)
		r, err := profile.Compare(drift.Data{Numeric: b.columns()}, nil)
		if err != nil {
			return err
		}
		var drifted []string
		for _, c := range r.Columns {
			e.metrics.SetDrift(modelName, c.Column, string(c.Method), c.Score, c.Drifted)
			if c.Drifted {
				drifted = append(drifted, fmt.Sprintf("%s (%s %.2f)", c.Column, c.Method, c.Score))
			}
		}
		w := e.metrics.Window(modelName, "1")
		e.say("batch %d: %3.0f%% of sensors aged, %d predictions served (%d failed, window %d), drifted: %s",
			i, 100*share, len(b.X), failed, w.Requests, orNone(drifted))
		if r.Drifted {
			report = r
			e.res.DriftBatch = i
			for _, c := range r.Columns {
				if c.Drifted {
					e.res.DriftedColumns = append(e.res.DriftedColumns, c.Column)
				}
			}
		}
	}
	if report == nil {
		return fmt.Errorf("no drift detected in %d batches", e.cfg.MaxBatches)
	}
	if err := e.writeDriftReport(report); err != nil {
		return err
	}
	reason := "drift in " + strings.Join(e.res.DriftedColumns, ", ")
	e.say("drift detector fired: %s (%d of %d columns); report written", reason, report.DriftedColumns, len(report.Columns))
	sched.Fire(reason)

	e.step(3, "Retrain on fresh data, register version 2, compare with version 1")
	var r runResult
	select {
	case r = <-runs:
	case <-ctx.Done():
		return ctx.Err()
	}
	if r.rec == nil {
		return r.err
	}
	e.say("pipeline %s run %s (trigger %s, %q): %s in %s", p.Name(), short(r.rec.ID), r.rec.Trigger, r.rec.Params["reason"],
		r.rec.Status, r.rec.Duration().Round(time.Millisecond))
	e.say("  tasks: %s", pipelineStatus(r.rec))
	if snap, ok := r.rec.Task("snapshot"); ok && snap.Attempts > 1 {
		e.say("  snapshot retried after: %s", snap.Error)
	}
	if r.err != nil {
		return fmt.Errorf("retraining: %w", r.err)
	}
	e.res.RetrainRun = r.rec.ID
	e.res.Candidate = job.candidate.Number
	e.res.V1Fresh, e.res.V2Fresh = job.championMetrics, job.candidateMetrics
	dsv, _ := r.rec.Output("snapshot", "dataset_version")
	e.say("dataset %s version %s: fresh labelled readings, manifest %s", datasetName, dsv, short(job.manifest))
	e.say("on the same fresh holdout: version %d %s", job.champion, job.championMetrics)
	e.say("                           version %d %s", job.candidate.Number, job.candidateMetrics)
	e.say("registered %s by %s with lineage: run %s, dataset %s, parent version %d; signed",
		job.candidate.Ref(), job.candidate.Author, short(job.candidate.Lineage.RunID), short(job.candidate.Lineage.Datasets[0]), job.candidate.Lineage.Parent)
	gate, _ := r.rec.Output("gate", "gate")
	e.res.GatePassed = gate == "passed"
	e.say("promotion gate (auc >= 0.8, log loss <= 0.35 and 10%% below production's): %s", gate)
	return nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func (e *env) writeDriftReport(r *drift.Report) error {
	js, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(e.wrote("drift-report.json"), js, 0o644); err != nil {
		return err
	}
	f, err := os.Create(e.wrote("drift-report.html"))
	if err != nil {
		return err
	}
	if err := r.WriteHTML(f, &drift.HTMLOptions{Title: "Pump sensors: production against training"}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// rollouts is step 4: the canary rollout of the candidate, the trainer's
// refused attempt to promote it directly, and a broken candidate rolled back.
func (e *env) rollouts(ctx context.Context, f *fleet) error {
	cand := e.res.Candidate
	e.step(4, fmt.Sprintf("Canary rollout of version %d, then a broken candidate", cand))
	_, err := e.reg.Promote(e.trainerCtx, fmt.Sprintf("%s/%d", modelName, cand), production, e.gate)
	if !errors.Is(err, rbac.ErrDenied) {
		return fmt.Errorf("the trainer's promotion was not denied: %v", err)
	}
	e.res.Denied = err
	e.say("trainer tries to promote version %d itself: %v", cand, err)

	st, err := e.rollout(ctx, f, 1, cand, e.cfg.Ageing, 11)
	if err != nil {
		return err
	}
	e.res.CanaryPhase = st.Phase

	// A week later the sensors have aged further. The scheduled retraining
	// runs with a configuration change that sets a wrong plausibility limit
	// on temperature: offline the model is better, online it refuses hot
	// readings.
	e.say("\nA week later the sensors have aged further. The weekly retraining (started here by hand) runs")
	e.say("with a configuration change that sets a wrong serving limit, max_temperature=70:")
	older := Ageing{TemperatureOffset: e.cfg.Ageing.TemperatureOffset * 1.6, VibrationGain: e.cfg.Ageing.VibrationGain * 1.3}
	e.job.age, e.job.failLabelsOnFirst = older, false
	rec, err := e.retrain.Run(e.trainerCtx, map[string]string{"reason": "weekly retraining", "max_temperature": "70"})
	if err != nil {
		return fmt.Errorf("second retraining: %w", err)
	}
	e.say("pipeline run %s: %s; gate %s (version %d log loss %.3f vs production's %.3f)", short(rec.ID), rec.Status,
		mustOutput(rec, "gate", "gate"), e.job.candidate.Number, e.job.candidateMetrics.LogLoss, e.job.championMetrics.LogLoss)
	e.res.Broken = e.job.candidate.Number
	st, err = e.rollout(ctx, f, cand, e.res.Broken, older, 12)
	if err != nil {
		return err
	}
	e.res.BrokenPhase = st.Phase
	n, err := e.reg.Resolve(e.servingCtx, modelName+"@"+production)
	if err != nil {
		return err
	}
	e.res.Production = n
	e.say("%s@%s is version %d", modelName, production, n)
	return nil
}

func mustOutput(rec *pipeline.Record, task, key string) string {
	v, _ := rec.Output(task, key)
	return v
}

// rollout moves traffic from stable to canary in steps of 5%, 25% and 100%,
// each followed by analysis of the canary's error rate and latency, while
// production readings flow. Promotion moves the production alias through the
// registry, as the release account and through the gate.
func (e *env) rollout(ctx context.Context, f *fleet, stable, canary int, age Ageing, seed uint64) (rollout.State, error) {
	if err := e.authz.Authorize(e.releaseCtx, "deploy", "deployments", modelName); err != nil {
		return rollout.State{}, err
	}
	if err := f.load(canary); err != nil {
		return rollout.State{}, err
	}
	analysis := rollout.Analysis{
		Checks: []rollout.Check{
			rollout.ErrorRate{Max: 0.02, MinSamples: 20},
			rollout.LatencyQuantile{Quantile: 0.99, Max: 50 * time.Millisecond, MinSamples: 20},
		},
		Interval: e.cfg.AnalysisInterval,
		// Two passes in a row move on; windows with too little traffic to
		// judge are tolerated, up to three of six, and so is one failed
		// window (a single stalled request in a thin window can push its
		// p99 over the limit); a second failure rolls back.
		Count:                   6,
		ConsecutiveSuccessLimit: 2,
		InconclusiveLimit:       3,
		FailureLimit:            1,
	}
	// One log per model under deployments/<model>/: each rollout's states
	// follow the previous rollout's, so the history of every rollout of the
	// model is kept.
	stateStore, err := rollout.NewBlobStore(e.store.Bucket(), modelName, &rollout.BlobStoreOptions{Logger: e.cfg.Logger})
	if err != nil {
		return rollout.State{}, err
	}
	ro, err := rollout.New(f.router, rollout.Spec{
		Model:  modelName,
		Stable: strconv.Itoa(stable),
		Canary: strconv.Itoa(canary),
		Steps: []rollout.Step{
			rollout.SetWeight(5), rollout.Analyze(analysis),
			rollout.SetWeight(25), rollout.Analyze(analysis),
			rollout.SetWeight(100), rollout.Analyze(analysis),
		},
	}, &rollout.Options{
		Store:   stateStore,
		Source:  e.metrics, // the window the router's Observer feeds
		Aliases: aliasPromoter{e},
		Alias:   production,
		Metrics: e.metrics, // weights and phase as sextant_rollout_* gauges
		// Manual operations (abort, pause, promote) are authorised too.
		Authorizer: e.authz,
		OnEvent:    func(ev rollout.Event) { e.printEvent(ev) },
		AfterRollback: func(ctx context.Context, st rollout.State) {
			if err := e.authz.Authorize(e.releaseCtx, "rollback", "deployments", modelName); err != nil {
				e.say("  rollback not authorised: %v", err)
			}
		},
		Logger: e.cfg.Logger,
	})
	if err != nil {
		return rollout.State{}, err
	}
	e.say("rollout %d -> %d as %s:%s (steps %s)", stable, canary, release.Kind, release.Name, stepList(5, 25, 100))
	stop := f.traffic(ctx, e.cfg.Seed+seed, age)
	rctx, cancel := context.WithTimeout(e.releaseCtx, 30*time.Second+30*e.cfg.AnalysisInterval)
	defer cancel()
	st, err := ro.Run(rctx)
	stop()
	if err != nil {
		return st, fmt.Errorf("rollout %d -> %d: %w", stable, canary, err)
	}
	return st, nil
}

func stepList(ws ...int) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = fmt.Sprintf("%d%% + analysis", w)
	}
	return strings.Join(parts, ", ")
}

func (e *env) printEvent(ev rollout.Event) {
	switch ev.Type {
	case rollout.EventWeight:
		e.say("  canary at %3.0f%%", ev.Weight)
	case rollout.EventMeasurement:
		if len(ev.Measurements) == 0 {
			return // the commit of a measurement already printed
		}
		parts := make([]string, len(ev.Measurements))
		for i, m := range ev.Measurements {
			value := fmt.Sprintf("%.1f%%", 100*m.Value) // error rate
			switch {
			case math.IsNaN(m.Value):
				value = "n/a"
			case strings.HasPrefix(m.Check, "latency"):
				value = time.Duration(m.Value * float64(time.Second)).Round(time.Microsecond).String()
			}
			parts[i] = fmt.Sprintf("%s %s %s", m.Check, value, m.Outcome)
		}
		e.say("    measurement %s: %s", ev.Outcome, strings.Join(parts, ", "))
	case rollout.EventPromoted, rollout.EventRolledBack, rollout.EventAborted, rollout.EventPaused:
		e.say("  %s: %s", ev.Type, ev.Reason)
	}
}

// aliasPromoter moves the alias when a rollout promotes, through the
// registry's gate, as the account that drives the rollout.
type aliasPromoter struct{ e *env }

func (a aliasPromoter) SetAlias(ctx context.Context, model, alias, version string) error {
	v, err := a.e.reg.Promote(ctx, model+"/"+version, alias, a.e.gate)
	if err != nil {
		return err
	}
	a.e.say("  registry: %s@%s -> version %d (gate passed)", model, alias, v.Number)
	return nil
}

// account is step 5: what was recorded, and the files for operators.
func (e *env) account(ctx context.Context) error {
	e.step(5, "What was recorded")
	hist, err := e.reg.History(e.servingCtx, modelName)
	if err != nil {
		return err
	}
	e.say("registry history of %s:", modelName)
	for _, ev := range hist {
		line := fmt.Sprintf("  #%-3d %-17s by %-22s", ev.Seq, ev.Type, ev.Actor)
		if ev.Version > 0 {
			line += fmt.Sprintf(" version %d", ev.Version)
		}
		if ev.Alias != "" {
			was := "unset"
			if ev.Previous > 0 {
				was = fmt.Sprint(ev.Previous)
			}
			line += fmt.Sprintf(" alias %s (was %s)", ev.Alias, was)
		}
		e.say("%s", strings.TrimRight(line, " "))
	}
	runs, err := e.retrain.Store().Runs(ctx)
	if err != nil {
		return err
	}
	e.say("pipeline runs under pipelines/%s:", e.retrain.Name())
	for _, r := range runs {
		v, _ := r.Output("register", "version")
		e.say("  %s %-9s %-9s started %s, produced version %s", short(r.ID), r.Trigger, r.Status, r.Start.Format(time.TimeOnly), v)
	}
	v2, err := e.reg.Get(e.servingCtx, fmt.Sprintf("%s/%d", modelName, e.res.Candidate))
	if err != nil {
		return err
	}
	if v2.Lineage.RunID != e.res.RetrainRun {
		return fmt.Errorf("version %d records run %s, want %s", v2.Number, v2.Lineage.RunID, e.res.RetrainRun)
	}
	e.say("lineage: version %d <- run %s <- dataset manifest %s", v2.Number, short(v2.Lineage.RunID), short(v2.Lineage.Datasets[0]))

	card, err := e.reg.Card(e.servingCtx, v2.Ref().String())
	if err != nil {
		return err
	}
	if err := os.WriteFile(e.wrote(fmt.Sprintf("model-card-v%d.md", v2.Number)), card, 0o644); err != nil {
		return err
	}
	if _, _, err := monitor.WriteAssets(ctx, e.cfg.Dir); err != nil {
		return err
	}
	e.res.Files = append(e.res.Files, monitor.DashboardFile, monitor.RulesFile)
	if err := e.writeScrape(); err != nil {
		return err
	}
	e.res.Allowed, e.res.Refused = e.audit.counts()
	e.say("authorisation: %d decisions allowed, %d denied (audit.jsonl)", e.res.Allowed, e.res.Refused)
	e.say("wrote %s", strings.Join(e.res.Files, ", "))
	return nil
}

// writeScrape writes what Prometheus would scrape from the serving process.
func (e *env) writeScrape() error {
	families, err := e.prom.Gather()
	if err != nil {
		return err
	}
	f, err := os.Create(e.wrote("metrics.prom"))
	if err != nil {
		return err
	}
	for _, mf := range families {
		if _, err := expfmt.MetricFamilyToText(f, mf); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}
