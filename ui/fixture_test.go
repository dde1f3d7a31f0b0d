package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/registry"
	"github.com/sextant-ml/sextant/tracking"
)

// policy lets alice see everything, bob list and read models only, and
// eve nothing.
const policy = `
apiVersion: sextant/v1
kind: Role
metadata: {name: viewer}
rules:
  - resources: ["*"]
    verbs: [get, list]
---
apiVersion: sextant/v1
kind: Role
metadata: {name: model-reader}
rules:
  - resources: [models]
    verbs: [get, list]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: viewers}
role: viewer
subjects: [{kind: User, name: alice}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: model-readers}
role: model-reader
subjects: [{kind: User, name: bob}]
`

// world is a bucket with two runs, two dataset versions, a model with two
// versions whose lineage names them, and a rollout's history.
type world struct {
	Opts       *Options
	Run1, Run2 string
	Model      string
	DS         string
	DS1, DS2   dataset.Version
	Deployment string
}

var errNoUser = errors.New("no X-User header")

// subjectFromHeader is the tests' Subject: the X-User header names a user.
func subjectFromHeader(r *http.Request) (rbac.Subject, error) {
	u := r.Header.Get("X-User")
	if u == "" {
		return rbac.Subject{}, errNoUser
	}
	return rbac.Subject{Kind: rbac.User, Name: u}, nil
}

func newWorld(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	store, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg, err := registry.Open(ctx, store, &registry.Options{Actor: func(context.Context) string { return "ci" }})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := tracking.Open(ctx, store, &tracking.Options{User: func(context.Context) string { return "ci" }})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := dataset.New(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{Model: "fraud-detector", DS: "transactions", Deployment: "fraud-canary"}

	// Runs: a loss curve and an accuracy per run.
	exp, err := tr.CreateExperiment(ctx, "fraud", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range []*string{&w.Run1, &w.Run2} {
		run, err := tr.CreateRun(ctx, exp, &tracking.RunOptions{Name: fmt.Sprintf("train-%d", i+1)})
		if err != nil {
			t.Fatal(err)
		}
		*id = run.Info.ID
		for step := range 10 {
			m := tracking.Metric{Key: "loss", Value: 1 / float64(step+1+i), Step: int64(step), Timestamp: int64(1_700_000_000_000 + step)}
			if err := tr.LogMetric(ctx, run.Info.ID, m); err != nil {
				t.Fatal(err)
			}
		}
		if err := tr.LogMetric(ctx, run.Info.ID, tracking.Metric{Key: "accuracy", Value: 0.9 + 0.02*float64(i), Timestamp: 1_700_000_000_100}); err != nil {
			t.Fatal(err)
		}
		if err := tr.LogParam(ctx, run.Info.ID, "lr", fmt.Sprint(0.01*float64(i+1))); err != nil {
			t.Fatal(err)
		}
		if _, err := tr.EndRun(ctx, run.Info.ID, tracking.StatusFinished); err != nil {
			t.Fatal(err)
		}
	}

	// Datasets: a CSV whose amounts shift between the versions.
	dir := t.TempDir()
	writeCSV := func(shift float64, rows int) {
		var b strings.Builder
		b.WriteString("amount,site\n")
		for i := range rows {
			site := []string{"north", "south", "east"}[i%3]
			fmt.Fprintf(&b, "%g,%s\n", shift+float64(i%50), site)
		}
		if err := os.WriteFile(filepath.Join(dir, "train.csv"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeCSV(0, 300)
	if w.DS1, err = ds.Commit(ctx, w.DS, dir, &dataset.CommitOptions{Message: "first cut"}); err != nil {
		t.Fatal(err)
	}
	writeCSV(20, 250)
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if w.DS2, err = ds.Commit(ctx, w.DS, dir, &dataset.CommitOptions{Message: "more data", Tags: []string{"latest-good"}}); err != nil {
		t.Fatal(err)
	}

	// Model versions with lineage, and alias moves.
	if _, err := reg.CreateModel(ctx, w.Model, &registry.ModelSpec{Description: "scores card payments"}); err != nil {
		t.Fatal(err)
	}
	for i, spec := range []registry.VersionSpec{
		{Metrics: map[string]float64{"auc": 0.91}, Params: map[string]string{"lr": "0.01"}, Lineage: registry.Lineage{RunID: w.Run1, Datasets: []string{w.DS1.Manifest.String()}, CodeRevision: "abc123"}},
		{Metrics: map[string]float64{"auc": 0.93}, Lineage: registry.Lineage{RunID: w.Run2, Datasets: []string{w.DS2.Manifest.String()}, Parent: 1}},
	} {
		spec.Files = []registry.Upload{{Path: "model.bin", Body: strings.NewReader(fmt.Sprintf("weights %d", i))}}
		if _, err := reg.Register(ctx, w.Model, &spec); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []struct {
		alias string
		v     int
	}{{"prod", 1}, {"staging", 2}, {"prod", 2}} {
		if err := reg.SetAlias(ctx, w.Model, a.alias, a.v); err != nil {
			t.Fatal(err)
		}
	}

	// A rollout that went to full weight.
	bs, err := rollout.NewBlobStore(store.Bucket(), w.Deployment, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, wt := range []float64{0, 10, 50, 100} {
		phase := rollout.Progressing
		if wt == 100 {
			phase = rollout.Promoted
		}
		st := rollout.State{Model: w.Model, Stable: "1", Canary: "2", Phase: phase, Step: i, Weight: wt, Revision: int64(i + 1), Updated: t0.Add(time.Duration(i) * time.Minute), Reason: fmt.Sprintf("step %d", i)}
		if err := bs.Save(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	pol, err := rbac.Parse("policy.yaml", []byte(policy))
	if err != nil {
		t.Fatal(err)
	}
	authz, err := rbac.New(pol, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Opts = &Options{
		Registry: reg, Datasets: ds, Tracker: tr, Artifacts: store,
		Authorizer: authz, Subject: subjectFromHeader,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil)),
	}
	return w
}

// testWriter sends log output to the test's log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
