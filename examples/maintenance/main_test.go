package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/internal/s3test"
	"github.com/sextant-ml/sextant/pipeline"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/registry"
)

// TestStory runs the whole loop, as `go run ./examples/maintenance` does
// with a smaller fleet, on a local bucket and on S3 (the AWS SDK against an
// in-process server), and checks that the story happened.
func TestStory(t *testing.T) {
	backends := map[string]func(t *testing.T) string{
		"file": func(t *testing.T) string { return "" }, // the default: file://<dir>/bucket
		"s3": func(t *testing.T) string {
			srv := s3test.New(t)
			s3test.SetEnv(t)
			srv.Bucket(t, "maintenance")
			return srv.URL("maintenance") + "&prefix=sextant"
		},
	}
	for name, bucketURL := range backends {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			url := bucketURL(t)
			cfg := Config{Dir: dir, BucketURL: url, Seed: 7, TrainRows: 4000, BatchRows: 300}
			var out bytes.Buffer
			res, err := run(context.Background(), cfg, &out)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			checkStory(t, res, out.String())
			checkFiles(t, dir, res)
			if url == "" {
				url = "file://" + filepath.ToSlash(filepath.Join(dir, "bucket"))
			}
			checkRunRecord(t, url, res)
		})
	}
}

func checkStory(t *testing.T, res Result, out string) {
	t.Helper()
	if res.DriftBatch < 2 {
		t.Errorf("drift detected in batch %d; batch 1 has no aged sensors, so drift must come later", res.DriftBatch)
	}
	if !slices.Contains(res.DriftedColumns, "temperature") && !slices.Contains(res.DriftedColumns, "vibration") {
		t.Errorf("drifted columns %v: want an aged sensor among them", res.DriftedColumns)
	}
	if res.Candidate != 2 || !res.GatePassed || res.CanaryPhase != rollout.Promoted {
		t.Errorf("candidate %d, gate passed %v, canary %s: want version 2 promoted through the gate", res.Candidate, res.GatePassed, res.CanaryPhase)
	}
	if !(res.V2Fresh.LogLoss < 0.9*res.V1Fresh.LogLoss) {
		t.Errorf("log loss on fresh data: v1 %.3f, v2 %.3f: retraining should have helped", res.V1Fresh.LogLoss, res.V2Fresh.LogLoss)
	}
	if res.Broken != 3 || res.BrokenPhase != rollout.RolledBack {
		t.Errorf("broken candidate %d ended %s, want version 3 rolled back", res.Broken, res.BrokenPhase)
	}
	if res.Production != 2 {
		t.Errorf("production is version %d, want 2", res.Production)
	}
	if !errors.Is(res.Denied, rbac.ErrDenied) {
		t.Errorf("the trainer's promotion: %v, want rbac.ErrDenied", res.Denied)
	}
	if res.Refused != 1 || res.Allowed < 20 {
		t.Errorf("%d decisions allowed, %d denied: want many allowed and exactly the one denial", res.Allowed, res.Refused)
	}
	if len(res.RetrainRun) != 32 {
		t.Errorf("retraining run id %q", res.RetrainRun)
	}
	for _, want := range []string{
		"== 1. ", "== 2. ", "== 3. ", "== 4. ", "== 5. ",
		"drift detector fired",
		"snapshot succeeded after 2 attempts",
		"promoted: all steps completed",
		"rolled-back: step 1: analysis failed",
		"pump-failure@production is version 2",
		"lineage: version 2 <- run " + res.RetrainRun[:12],
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the story lacks %q:\n%s", want, out)
		}
	}
	// The registry's history, as step 5 prints it: the trainer registered
	// and signed versions 1 and 2, and only the release account moved the
	// production alias, to 1 and then to 2 (never to the broken 3).
	for _, want := range []string{
		`signature\.add +by ServiceAccount:trainer version 1\n`,
		`alias\.set +by ServiceAccount:release version 1 alias production \(was unset\)\n`,
		`signature\.add +by ServiceAccount:trainer version 2\n`,
		`alias\.set +by ServiceAccount:release version 2 alias production \(was 1\)\n`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("the registry history lacks %s:\n%s", want, out)
		}
	}
	// The canary of version 2 went through 5%, 25% and 100%, each step
	// with at least one analysis that passed on errors and latency (a window
	// too thin to judge is tolerated), before promotion.
	m := `(    measurement [^\n]*\n)*?    measurement pass: error-rate [^\n]* pass, latency-p99 [^\n]* pass\n(    measurement [^\n]*\n)*`
	canary := regexp.MustCompile(`(?s)rollout 1 -> 2 [^\n]*\n  canary at +5%\n` + m + `  canary at +25%\n` + m + `  canary at 100%\n` + m +
		`  registry: pump-failure@production -> version 2`)
	if !canary.MatchString(out) {
		t.Errorf("the story lacks the 5%%, 25%%, 100%% canary of version 2 with passing analyses:\n%s", out)
	}
	if n := strings.Count(out, "alias.set "); n != 2 {
		t.Errorf("the production alias moved %d times, want 2 (to version 1, then 2)", n)
	}
}

func checkFiles(t *testing.T, dir string, res Result) {
	t.Helper()
	for _, name := range []string{"drift-report.json", "drift-report.html", "sextant-dashboard.json", "sextant-rules.yml", "metrics.prom", "model-card-v2.md", "audit.jsonl"} {
		if !slices.Contains(res.Files, name) {
			t.Errorf("Result.Files lacks %s", name)
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(data) == 0 {
			t.Errorf("%s: %v (%d bytes)", name, err, len(data))
			continue
		}
		switch name {
		case "drift-report.json", "sextant-dashboard.json":
			if !json.Valid(data) {
				t.Errorf("%s is not valid JSON", name)
			}
		case "drift-report.html":
			if !bytes.Contains(data, []byte(`id="drift-summary"`)) {
				t.Errorf("drift report has no summary table")
			}
		case "metrics.prom":
			for _, m := range []string{`sextant_predictions_total{model="pump-failure",outcome="error",version="3"}`, "sextant_feature_drift_score", `sextant_rollout_weight{model="pump-failure",version="2"} 1`} {
				if !bytes.Contains(data, []byte(m)) {
					t.Errorf("metrics.prom lacks %s", m)
				}
			}
		case "model-card-v2.md":
			if !bytes.Contains(data, []byte(res.RetrainRun)) {
				t.Errorf("model card of version 2 does not name its run")
			}
		case "audit.jsonl":
			denied := 0
			sc := bufio.NewScanner(bytes.NewReader(data))
			for sc.Scan() {
				var ev struct {
					Subject, Verb, Resource string
					Allowed                 bool
				}
				if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
					t.Fatalf("audit line %q: %v", sc.Text(), err)
				}
				if !ev.Allowed {
					denied++
					if ev.Subject != "ServiceAccount:trainer" || ev.Verb != "promote" || ev.Resource != "models/aliases" {
						t.Errorf("unexpected denial %+v", ev)
					}
				}
			}
			if denied != 1 {
				t.Errorf("audit log holds %d denials, want 1", denied)
			}
		}
	}
}

// checkRunRecord reads the retraining run back from the bucket, as an
// auditor following version 2's lineage would.
func checkRunRecord(t *testing.T, url string, res Result) {
	t.Helper()
	ctx := context.Background()
	b, err := artifact.OpenBucket(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	s, err := pipeline.OpenStore(b, "retrain-pump-failure")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := s.Get(ctx, res.RetrainRun)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := rec.Output("register", "version"); rec.Status != pipeline.Succeeded || rec.Trigger != "event" || v != "2" {
		t.Errorf("stored run: status %s, trigger %s, version %q", rec.Status, rec.Trigger, v)
	}
	runs, err := s.Runs(ctx)
	if err != nil || len(runs) != 2 {
		t.Errorf("%d runs stored (%v), want the drift run and the weekly one", len(runs), err)
	}
}

// TestGateFileMatches keeps gate.yaml, which the CI workflow hands to
// sextant-gate, identical to the gate the example applies.
func TestGateFileMatches(t *testing.T) {
	data, err := os.ReadFile("gate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	var spec map[string]struct {
		Threshold         *float64 `json:"threshold"`
		MinAbsoluteChange *float64 `json:"min_absolute_change"`
		MinRelativeChange *float64 `json:"min_relative_change"`
		GreaterIsBetter   bool     `json:"greater_is_better"`
	}
	if err := json.Unmarshal(js, &spec); err != nil {
		t.Fatal(err)
	}
	got := registry.Gate{}
	for name, c := range spec {
		got[name] = registry.MetricThreshold{Threshold: c.Threshold, MinAbsoluteChange: c.MinAbsoluteChange, MinRelativeChange: c.MinRelativeChange, GreaterIsBetter: c.GreaterIsBetter}
	}
	if diff := cmp.Diff(promotionGate(), got); diff != "" {
		t.Errorf("gate.yaml differs from promotionGate (-want +got):\n%s", diff)
	}
}

// TestTrainOnly checks the CI form: the files sextant-gate registers, with
// metrics that pass the gate's thresholds.
func TestTrainOnly(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "build")
	var out bytes.Buffer
	if err := trainOnly(Config{Dir: dir, Seed: 3, TrainRows: 3000}, &out); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "model", modelFile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeModel(data)
	if err != nil || len(m.Weights) != len(Features) {
		t.Fatalf("model file: %v %+v", err, m)
	}
	var metrics map[string]float64
	data, err = os.ReadFile(filepath.Join(dir, "metrics.json"))
	if err != nil || json.Unmarshal(data, &metrics) != nil {
		t.Fatalf("metrics.json: %v %s", err, data)
	}
	if failures := promotionGate().Evaluate(metrics, nil); len(failures) > 0 {
		t.Errorf("first model fails the gate's thresholds: %v", failures)
	}
	if _, err := os.Stat(filepath.Join(dir, "params.json")); err != nil {
		t.Error(err)
	}
	if b, err := readCSV(filepath.Join(dir, "data", "readings.csv")); err != nil || len(b.X) != 3000 {
		t.Errorf("training data: %d rows, %v", len(b.X), err)
	}
}
