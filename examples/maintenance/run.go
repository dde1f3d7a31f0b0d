package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/drift"
	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/pipeline"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/registry"
)

//go:embed policy.yaml
var policyYAML []byte

// Names used throughout the story.
const (
	modelName   = "pump-failure"
	datasetName = "pump-sensors"
	production  = "production"
	modelFile   = "model.json"
)

// The three service accounts of the story.
var (
	trainer = rbac.Subject{Kind: rbac.ServiceAccount, Name: "trainer"}
	release = rbac.Subject{Kind: rbac.ServiceAccount, Name: "release"}
	serving = rbac.Subject{Kind: rbac.ServiceAccount, Name: "serving"}
)

// Config sets up a run. Zero fields take the documented defaults.
type Config struct {
	// Dir receives local files: data snapshots, reports, dashboard, rules,
	// audit log. Required; created if missing.
	Dir string
	// BucketURL holds the registry, the datasets and the run records.
	// Default file://<Dir>/bucket.
	BucketURL string
	// Seed seeds the simulated fleet. Default 0 (a fixed fleet).
	Seed uint64
	// TrainRows is the number of labelled readings per training snapshot.
	// Default 6000.
	TrainRows int
	// BatchRows is the number of readings per production batch. Default 400.
	BatchRows int
	// MaxBatches is how many production batches are served before the run
	// gives up waiting for drift. Default 8.
	MaxBatches int
	// HorizonHours is the prediction horizon: failure within this many hours.
	// Default 24.
	HorizonHours float64
	// Ageing is how the sensors drift in production. Default: temperature
	// sensors read up to 12 °C high and vibration sensors report 1.8 times
	// the true value.
	Ageing Ageing
	// AnalysisInterval is one canary measurement. Default 200ms.
	AnalysisInterval time.Duration
	// Logger receives the packages' logs. Default: discard.
	Logger *slog.Logger
}

func (c *Config) defaults() error {
	if c.Dir == "" {
		return errors.New("config: Dir is required")
	}
	if c.BucketURL == "" {
		c.BucketURL = "file://" + filepath.ToSlash(filepath.Join(c.Dir, "bucket"))
	}
	if c.TrainRows == 0 {
		c.TrainRows = 6000
	}
	if c.BatchRows == 0 {
		c.BatchRows = 400
	}
	if c.MaxBatches == 0 {
		c.MaxBatches = 8
	}
	if c.HorizonHours == 0 {
		c.HorizonHours = 24
	}
	if c.Ageing == (Ageing{}) {
		c.Ageing = Ageing{TemperatureOffset: 12, VibrationGain: 1.8}
	}
	if c.AnalysisInterval == 0 {
		c.AnalysisInterval = 200 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return os.MkdirAll(c.Dir, 0o755)
}

// Result is what happened, for the caller (and the test) to check.
type Result struct {
	// DriftBatch is the production batch in which drift was detected, 0 if
	// none; DriftedColumns are the columns found drifted then.
	DriftBatch     int
	DriftedColumns []string
	// RetrainRun is the id of the pipeline run that produced Candidate.
	RetrainRun string
	Candidate  int
	// V1Fresh and V2Fresh score both versions on the same fresh holdout.
	V1Fresh, V2Fresh Metrics
	// GatePassed reports the promotion gate's verdict on Candidate.
	GatePassed bool
	// CanaryPhase is how the rollout of Candidate ended.
	CanaryPhase rollout.Phase
	// Broken is the deliberately broken candidate; BrokenPhase how its
	// rollout ended.
	Broken      int
	BrokenPhase rollout.Phase
	// Production is the version holding the production alias at the end.
	Production int
	// Denied is the refusal of the trainer's attempt to promote.
	Denied error
	// Allowed and Refused count the authorisation decisions taken.
	Allowed, Refused int
	// Files lists what was written into Config.Dir.
	Files []string
}

// env is what the steps share.
type env struct {
	cfg     Config
	out     io.Writer
	store   *artifact.Store
	reg     *registry.Registry
	data    *dataset.Store
	authz   *rbac.Authorizer
	audit   *auditLog
	key     *ecdsa.PrivateKey
	gate    registry.Gate
	prom    *prometheus.Registry
	metrics *monitor.Metrics
	retrain *pipeline.Pipeline
	job     *retrainJob
	res     *Result

	trainerCtx, releaseCtx, servingCtx context.Context
}

func (e *env) say(format string, args ...any) { fmt.Fprintf(e.out, format+"\n", args...) }

func (e *env) step(n int, title string) { e.say("\n== %d. %s", n, title) }

func (e *env) wrote(name string) string {
	e.res.Files = append(e.res.Files, name)
	return filepath.Join(e.cfg.Dir, name)
}

// run tells the whole story and returns what happened.
func run(ctx context.Context, cfg Config, out io.Writer) (Result, error) {
	if err := cfg.defaults(); err != nil {
		return Result{}, err
	}
	start := time.Now()
	e := &env{cfg: cfg, out: out, res: &Result{}}
	if err := e.setup(ctx); err != nil {
		return *e.res, err
	}
	defer e.store.Close()
	defer e.audit.close()

	gen := newGenerator(cfg.Seed, cfg.HorizonHours)
	profile, err := e.firstModel(ctx, gen)
	if err != nil {
		return *e.res, fmt.Errorf("first model: %w", err)
	}
	f, err := newFleet(e)
	if err != nil {
		return *e.res, err
	}
	defer f.close()
	if err := f.load(1); err != nil {
		return *e.res, err
	}
	if err := f.router.Switch("1"); err != nil {
		return *e.res, err
	}
	if err := e.watchAndRetrain(ctx, gen, f, profile); err != nil {
		return *e.res, err
	}
	if err := e.rollouts(ctx, f); err != nil {
		return *e.res, err
	}
	if err := e.account(ctx); err != nil {
		return *e.res, err
	}
	e.say("\nDone in %s. Files are in %s", time.Since(start).Round(time.Millisecond), cfg.Dir)
	return *e.res, nil
}

// setup opens the bucket and builds the authorizer, registry, dataset store,
// signing key and metrics.
func (e *env) setup(ctx context.Context) error {
	var err error
	e.audit, err = newAuditLog(e.wrote("audit.jsonl"))
	if err != nil {
		return err
	}
	policy, err := rbac.Parse("policy.yaml", policyYAML)
	if err != nil {
		return err
	}
	e.authz, err = rbac.New(policy, &rbac.Options{Audit: e.audit.record, Logger: e.cfg.Logger})
	if err != nil {
		return err
	}
	e.trainerCtx = rbac.WithSubject(ctx, trainer)
	e.releaseCtx = rbac.WithSubject(ctx, release)
	e.servingCtx = rbac.WithSubject(ctx, serving)

	e.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	e.store, err = artifact.Open(ctx, e.cfg.BucketURL, nil)
	if err != nil {
		return err
	}
	actor := func(ctx context.Context) string {
		if s, ok := rbac.SubjectFrom(ctx); ok {
			return string(s.Kind) + ":" + s.Name
		}
		return "unknown"
	}
	e.reg, err = registry.Open(ctx, e.store, &registry.Options{
		Authorizer:  e.authz,
		Actor:       actor,
		TrustedKeys: []crypto.PublicKey{e.key.Public()},
		Logger:      e.cfg.Logger,
	})
	if err != nil {
		return err
	}
	e.data, err = dataset.New(e.store, &dataset.Options{Authorizer: e.authz, Logger: e.cfg.Logger})
	if err != nil {
		return err
	}
	e.gate = promotionGate()
	e.prom = prometheus.NewRegistry()
	// The window holds 150 analysis intervals in 600 slots of a quarter
	// interval each, so that a measurement covers its interval closely.
	e.metrics, err = monitor.New(e.prom, &monitor.Options{
		Window: 150 * e.cfg.AnalysisInterval, WindowSlots: 600,
	})
	if err != nil {
		return err
	}
	e.say("Predictive maintenance with Sextant: bucket %s", e.cfg.BucketURL)
	return nil
}

// snapshot writes b as a new version of the training dataset.
func (e *env) snapshot(ctx context.Context, b Batch, name, message string) (dataset.Version, error) {
	dir := filepath.Join(e.cfg.Dir, "data", name)
	if err := b.writeCSV(filepath.Join(dir, "readings.csv")); err != nil {
		return dataset.Version{}, err
	}
	return e.data.Commit(ctx, datasetName, dir, &dataset.CommitOptions{Message: message})
}

// register uploads m with its metrics and lineage, saves its card and signs it.
func (e *env) register(ctx context.Context, m *Model, spec registry.VersionSpec) (*registry.Version, error) {
	body, err := m.encode()
	if err != nil {
		return nil, err
	}
	spec.Files = []registry.Upload{{Path: modelFile, Body: bytes.NewReader(body)}}
	v, err := e.reg.Register(ctx, modelName, &spec)
	if err != nil {
		return nil, err
	}
	ref := v.Ref().String()
	if _, err := e.reg.SaveCard(ctx, ref, nil); err != nil {
		return nil, err
	}
	if _, err := e.reg.Sign(ctx, ref, e.key); err != nil {
		return nil, err
	}
	return e.reg.Get(ctx, ref)
}

// loadModel reads and decodes the model file of the version ref names; the
// registry refuses a version without a trusted signature.
func (e *env) loadModel(ctx context.Context, ref string) (*Model, error) {
	rc, err := e.reg.OpenFile(ctx, ref, modelFile)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, err
	}
	return decodeModel(data)
}

// promotionGate is the gate of gate.yaml: a candidate must be good in
// absolute terms and clearly better calibrated than the version it replaces,
// on the same data.
func promotionGate() registry.Gate {
	return registry.Gate{
		"auc":      {Threshold: registry.Float(0.8), GreaterIsBetter: true},
		"log_loss": {Threshold: registry.Float(0.35), MinRelativeChange: registry.Float(0.1)},
	}
}

var trainCfg = trainConfig{Epochs: 300, LearningRate: 0.5, L2: 1e-3}

// firstModel is step 1: version the data, train, register, sign, promote.
// It returns the drift reference profile of the training data.
func (e *env) firstModel(ctx context.Context, gen *generator) (*drift.Profile, error) {
	e.step(1, "Version the data, train, register and promote version 1")
	history := gen.batch(e.cfg.TrainRows, Ageing{}, 0)
	dv, err := e.snapshot(e.trainerCtx, history, "history", "sensor history with failure labels")
	if err != nil {
		return nil, err
	}
	e.say("dataset %s version %d: %d rows, manifest %s", datasetName, dv.Number, len(history.X), short(dv.Manifest.String()))
	back, err := readCSV(filepath.Join(e.cfg.Dir, "data", "history", "readings.csv"))
	if err != nil {
		return nil, err
	}
	tr, test := back.split(0.25)
	m, err := train(tr, trainCfg)
	if err != nil {
		return nil, err
	}
	mt, err := evaluate(m, test)
	if err != nil {
		return nil, err
	}
	e.say("trained on %d rows (failure rate %.1f%%), holdout: %s", len(tr.X), 100*tr.failureRate(), mt)
	v, err := e.register(e.trainerCtx, m, registry.VersionSpec{
		Description: "Logistic regression: failure within the horizon from four pump sensors.",
		Metrics:     mt.registry(),
		Params:      trainCfg.params(),
		Tags:        map[string]string{"horizon_hours": fmt.Sprint(e.cfg.HorizonHours), "evaluated_on": dv.Manifest.String()},
		Lineage:     registry.Lineage{Datasets: []string{dv.Manifest.String()}, Source: "examples/maintenance: initial training"},
	})
	if err != nil {
		return nil, err
	}
	e.say("registered %s by %s: %d file(s), card %s, signed by key %s", v.Ref(), v.Author, len(v.Files), short(string(v.Card)), short(v.Signatures[0].KeyID))
	if _, err := e.reg.Promote(e.releaseCtx, v.Ref().String(), production, e.gate); err != nil {
		return nil, err
	}
	e.say("release set %s@%s -> version %d (gate: thresholds only, no baseline yet)", modelName, production, v.Number)
	profile, err := drift.Fit(drift.Data{Numeric: tr.columns()}, nil)
	if err != nil {
		return nil, err
	}
	pj, err := json.MarshalIndent(profile, "", " ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(e.wrote("reference-profile.json"), pj, 0o644); err != nil {
		return nil, err
	}
	e.say("drift reference profile fitted on the training rows (%d columns)", len(profile.Columns))
	return profile, nil
}

// short abbreviates a digest for printing.
func short(s string) string {
	s = strings.TrimPrefix(s, "sha256:")
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// auditLog writes every authorisation decision as a JSON line and counts them.
type auditLog struct {
	mu      sync.Mutex
	f       *os.File
	enc     *json.Encoder
	allowed int
	denied  int
}

func newAuditLog(path string) (*auditLog, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &auditLog{f: f, enc: json.NewEncoder(f)}, nil
}

func (a *auditLog) record(_ context.Context, ev rbac.AuditEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ev.Decision.Allowed {
		a.allowed++
	} else {
		a.denied++
	}
	_ = a.enc.Encode(map[string]any{
		"subject": string(ev.Subject.Kind) + ":" + ev.Subject.Name, "verb": ev.Verb,
		"resource": ev.Resource, "name": ev.Name, "allowed": ev.Decision.Allowed, "decision": ev.Decision.String(),
	})
}

func (a *auditLog) counts() (allowed, denied int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.allowed, a.denied
}

func (a *auditLog) close() { a.f.Close() }

// pipelineStatus is a one-line summary of a run record.
func pipelineStatus(rec *pipeline.Record) string {
	parts := make([]string, len(rec.Tasks))
	for i, t := range rec.Tasks {
		parts[i] = fmt.Sprintf("%s %s", t.Name, t.Status)
		if t.Attempts > 1 {
			parts[i] += fmt.Sprintf(" after %d attempts", t.Attempts)
		}
	}
	return strings.Join(parts, ", ")
}
