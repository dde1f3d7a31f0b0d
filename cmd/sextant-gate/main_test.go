package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/cmd/internal/oidctest"
	"github.com/sextant-ml/sextant/registry"
)

// cli runs the command in-process and returns its exit status and output.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// fixture is a bucket, a model directory, a key pair and a gate file.
type fixture struct {
	dir, bucket, gate, key, pub string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	// The GitHub Actions variables of the machine running the tests must
	// not leak into the lineage checked here.
	for _, k := range []string{"GITHUB_SHA", "GITHUB_RUN_ID", "GITHUB_RUN_ATTEMPT", "GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_ACTOR", "GITHUB_STEP_SUMMARY", "SEXTANT_BUCKET"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	f := &fixture{
		dir:    dir,
		bucket: "file://" + filepath.ToSlash(filepath.Join(dir, "bucket")),
		gate:   filepath.Join(dir, "gate.yaml"),
		key:    filepath.Join(dir, "signing"),
	}
	f.pub = f.key + ".pub.pem"
	write(t, f.gate, "# promote only clearly better models\nauc:\n  threshold: 0.8\n  greater_is_better: true\nlog_loss:\n  threshold: 0.4\n  min_relative_change: 0.05\n  greater_is_better: false\n")
	if code, _, stderr := cli(t, "keygen", "-out", f.key); code != exitOK {
		t.Fatalf("keygen: %d %s", code, stderr)
	}
	return f
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// model writes a model directory and its metrics file, and returns both paths.
func (f *fixture) model(t *testing.T, name, weights, metrics string) (dir, metricsFile string) {
	t.Helper()
	dir = filepath.Join(f.dir, name)
	write(t, filepath.Join(dir, "model.json"), weights)
	metricsFile = filepath.Join(f.dir, name+"-metrics.json")
	write(t, metricsFile, metrics)
	return dir, metricsFile
}

func (f *fixture) registry(t *testing.T) *registry.Registry {
	t.Helper()
	store, err := artifact.Open(context.Background(), f.bucket, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg, err := registry.Open(context.Background(), store, nil)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestRegisterGatePromote(t *testing.T) {
	f := newFixture(t)
	t.Setenv("GITHUB_SHA", "0123456789abcdef")
	t.Setenv("GITHUB_RUN_ID", "4242")
	t.Setenv("GITHUB_RUN_ATTEMPT", "2")
	t.Setenv("GITHUB_SERVER_URL", "https://github.com")
	t.Setenv("GITHUB_REPOSITORY", "acme/pumps")
	summary := filepath.Join(f.dir, "summary.md")
	t.Setenv("GITHUB_STEP_SUMMARY", summary)
	t.Setenv("SEXTANT_BUCKET", f.bucket)

	// Version 1: good enough in absolute terms; nothing to compare with yet.
	dir1, m1 := f.model(t, "v1", `{"w":[1,2]}`, `{"auc": 0.85, "log_loss": 0.30}`)
	code, out, stderr := cli(t, "register", "-model", "pumps", "-dir", dir1, "-metrics", m1, "-dataset", "sha256:"+strings.Repeat("a", 64), "-sign-key", f.key+".pem")
	if code != exitOK || out != "1\n" {
		t.Fatalf("register v1: %d %q %s", code, out, stderr)
	}
	code, out, stderr = cli(t, "gate", "-model", "pumps", "-gate", f.gate, "-version", "1")
	if code != exitOK || !strings.Contains(out, "pumps: passed") || !strings.Contains(out, "Baseline: production not set") {
		t.Fatalf("gate v1: %d\n%s%s", code, out, stderr)
	}
	code, out, stderr = cli(t, "promote", "-model", "pumps", "-gate", f.gate, "-version", "1", "-trusted-key", f.pub, "-no-authorization")
	if code != exitOK || out != "pumps@production -> version 1\n" || !strings.Contains(stderr, "verified pumps/1") {
		t.Fatalf("promote v1: %d %q %s", code, out, stderr)
	}

	// Version 2 is worse: the gate fails and so does a promotion.
	dir2, m2 := f.model(t, "v2", `{"w":[1,3]}`, `{"auc": 0.86, "log_loss": 0.31}`)
	if code, out, stderr = cli(t, "register", "-model", "pumps", "-dir", dir2, "-metrics", m2, "-sign-key", f.key+".pem"); code != exitOK || out != "2\n" {
		t.Fatalf("register v2: %d %q %s", code, out, stderr)
	}
	code, out, _ = cli(t, "gate", "-model", "pumps", "-gate", f.gate, "-version", "2")
	if code != exitGateFailed || !strings.Contains(out, "pumps: FAILED") || !strings.Contains(out, "| log_loss | 0.31 | 0.3 |") {
		t.Errorf("gate v2: %d\n%s", code, out)
	}
	code, _, stderr = cli(t, "promote", "-model", "pumps", "-gate", f.gate, "-version", "2", "-no-authorization")
	if code != exitGateFailed || !strings.Contains(stderr, "gate") {
		t.Errorf("promote v2: %d %s", code, stderr)
	}

	// A candidate not registered yet is checked from its metrics file.
	_, m3 := f.model(t, "v3", `{}`, `{"auc": 0.9, "log_loss": 0.2}`)
	if code, out, _ = cli(t, "gate", "-model", "pumps", "-gate", f.gate, "-metrics", m3); code != exitOK {
		t.Errorf("gate from a metrics file: %d\n%s", code, out)
	}

	reg := f.registry(t)
	if n, err := reg.Resolve(context.Background(), "pumps@production"); err != nil || n != 1 {
		t.Errorf("production = %d, %v; want 1", n, err)
	}
	v1, err := reg.Get(context.Background(), "pumps/1")
	if err != nil {
		t.Fatal(err)
	}
	wantLineage := registry.Lineage{
		Datasets:     []string{"sha256:" + strings.Repeat("a", 64)},
		CodeRevision: "0123456789abcdef",
		RunID:        "4242-2",
		Source:       "https://github.com/acme/pumps/actions/runs/4242",
	}
	if diff := cmp.Diff(wantLineage, v1.Lineage); diff != "" {
		t.Errorf("lineage (-want +got):\n%s", diff)
	}
	if len(v1.Signatures) != 1 || v1.Card == "" {
		t.Errorf("version 1: %d signatures, card %q", len(v1.Signatures), v1.Card)
	}
	data, err := os.ReadFile(summary)
	if err != nil || strings.Count(string(data), "### Promotion gate") != 3 {
		t.Errorf("step summary holds %d reports (%v), want 3", strings.Count(string(data), "### Promotion gate"), err)
	}
}

func TestPromoteRefusesUnsignedVersion(t *testing.T) {
	f := newFixture(t)
	dir, m := f.model(t, "v1", `{}`, `{"auc": 0.9, "log_loss": 0.1}`)
	if code, _, stderr := cli(t, "register", "-bucket", f.bucket, "-model", "m", "-dir", dir, "-metrics", m); code != exitOK {
		t.Fatal(stderr)
	}
	code, _, stderr := cli(t, "promote", "-bucket", f.bucket, "-model", "m", "-gate", f.gate, "-version", "1", "-trusted-key", f.pub, "-no-authorization")
	if code != exitError || !strings.Contains(stderr, "signature") {
		t.Errorf("promote unsigned: %d %s", code, stderr)
	}
	if _, err := f.registry(t).Resolve(context.Background(), "m@production"); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("alias set despite the refusal: %v", err)
	}
}

func TestPolicy(t *testing.T) {
	f := newFixture(t)
	policy := filepath.Join(f.dir, "policy.yaml")
	write(t, policy, `apiVersion: sextant/v1
kind: Role
metadata: {name: trainer}
rules:
  - {resources: [models, models/versions, models/aliases, artifacts], verbs: [get, list, create, update, sign]}
---
apiVersion: sextant/v1
kind: Role
metadata: {name: release}
rules:
  - {resources: [models, models/versions, models/aliases], verbs: [get, list]}
  - {resources: [models/aliases], verbs: [promote]}
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: ci-trainer}
role: trainer
subjects: [{kind: ServiceAccount, name: ci}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: ci-release}
role: release
subjects: [{kind: ServiceAccount, name: release}]
`)
	dir, m := f.model(t, "v1", `{}`, `{"auc": 0.9, "log_loss": 0.1}`)
	base := []string{"-bucket", f.bucket, "-model", "m", "-policy", policy}
	tests := []struct {
		name string
		args []string
		want int
		text string
	}{
		{"release may not register", []string{"register", "-as", "ServiceAccount:release", "-insecure-subject", "-dir", dir}, exitError, "denied"},
		{"trainer registers", []string{"register", "-as", "ServiceAccount:ci", "-insecure-subject", "-dir", dir, "-metrics", m}, exitOK, "registered m/1"},
		{"trainer may not promote", []string{"promote", "-as", "ServiceAccount:ci", "-insecure-subject", "-version", "1", "-gate", f.gate}, exitError, "denied"},
		{"unknown subject", []string{"gate", "-as", "User:mallory", "-insecure-subject", "-version", "1", "-gate", f.gate}, exitError, "denied"},
		{"asserted subject refused", []string{"promote", "-as", "ServiceAccount:release", "-version", "1", "-gate", f.gate}, exitUsage, "-insecure-subject"},
		{"release promotes", []string{"promote", "-as", "ServiceAccount:release", "-insecure-subject", "-version", "1", "-gate", f.gate}, exitOK, ""},
		{"policy without subject", []string{"gate", "-version", "1", "-gate", f.gate}, exitUsage, "-policy and a subject"},
		{"policy and no authorization", []string{"promote", "-as", "ServiceAccount:release", "-insecure-subject", "-no-authorization", "-version", "1", "-gate", f.gate}, exitUsage, "exclude"},
		{"bad subject kind", []string{"gate", "-as", "Group:x", "-insecure-subject", "-version", "1", "-gate", f.gate}, exitUsage, "kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{tt.args[0]}, base...)
			args = append(args, tt.args[1:]...)
			code, _, stderr := cli(t, args...)
			if code != tt.want || !strings.Contains(stderr, tt.text) {
				t.Errorf("exit %d, want %d; stderr %q should contain %q", code, tt.want, stderr, tt.text)
			}
		})
	}
	v, err := f.registry(t).Get(context.Background(), "m@production")
	if err != nil || v.Number != 1 {
		t.Fatalf("production: %v %v", v, err)
	}
}

func TestUsage(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"no command", nil, exitUsage},
		{"unknown command", []string{"deploy"}, exitUsage},
		{"command help", []string{"gate", "-h"}, exitOK},
		{"promote without policy", []string{"promote", "-bucket", f.bucket, "-model", "m", "-version", "1", "-gate", f.gate}, exitUsage},
		{"missing model", []string{"gate", "-bucket", f.bucket, "-gate", f.gate, "-version", "1"}, exitUsage},
		{"version and metrics", []string{"gate", "-bucket", f.bucket, "-model", "m", "-gate", f.gate, "-version", "1", "-metrics", "x.json"}, exitUsage},
		{"neither version nor metrics", []string{"gate", "-bucket", f.bucket, "-model", "m", "-gate", f.gate}, exitUsage},
		{"stray argument", []string{"promote", "-bucket", f.bucket, "-model", "m", "-version", "1", "-gate", f.gate, "extra"}, exitUsage},
		{"missing gate file flag", []string{"promote", "-bucket", f.bucket, "-model", "m", "-version", "1"}, exitUsage},
		{"gate file absent", []string{"promote", "-bucket", f.bucket, "-model", "m", "-version", "1", "-gate", filepath.Join(f.dir, "none.yaml")}, exitError},
		{"version absent", []string{"gate", "-bucket", f.bucket, "-model", "m", "-gate", f.gate, "-version", "9"}, exitError},
		{"register without dir", []string{"register", "-bucket", f.bucket, "-model", "m"}, exitUsage},
		{"keygen without out", []string{"keygen"}, exitUsage},
		{"not a key", []string{"register", "-bucket", f.bucket, "-model", "m", "-dir", f.dir, "-sign-key", f.gate}, exitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, stderr := cli(t, tt.args...); code != tt.want {
				t.Errorf("exit %d, want %d: %s", code, tt.want, stderr)
			}
		})
	}
}

// The usage is asked for, not a mistake: printed on standard output, exit 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"--help"}, {"-help"}} {
		t.Run(args[0], func(t *testing.T) {
			code, stdout, stderr := cli(t, args...)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			for _, want := range []string{"usage: sextant-gate", "register", "gate", "promote", "keygen", "-oidc-token", "-insecure-subject", "-no-authorization"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("usage lacks %q:\n%s", want, stdout)
				}
			}
		})
	}
	// Without a command the usage goes to standard error, as a usage error.
	if code, stdout, stderr := cli(t); code != exitUsage || stdout != "" || !strings.Contains(stderr, "usage: sextant-gate") {
		t.Errorf("no command: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

// TestWorkflowSteps runs the commands of .github/workflows/model.yml, in
// order, with the gate and policy files it names.
func TestWorkflowSteps(t *testing.T) {
	f := newFixture(t)
	gate := filepath.Join("..", "..", "examples", "maintenance", "gate.yaml")
	policy := filepath.Join("..", "..", "examples", "maintenance", "policy.yaml")
	model := "pump-failure"
	// Each job proves who it is with a GitHub Actions OIDC token, here
	// issued by keys made for the test, with the sub claims GitHub gives.
	is := oidctest.New(t)
	as := func(alg, sub string) []string {
		return append([]string{"-bucket", f.bucket, "-model", model, "-policy", policy}, is.Flags(is.TokenFile(t, alg, sub))...)
	}
	reviewer := as("RS256", "repo:sextant-ml/sextant:pull_request")
	trainer := as("RS256", "repo:sextant-ml/sextant:ref:refs/heads/main")
	release := as("ES256", "repo:sextant-ml/sextant:environment:production")
	with := func(cmd string, who []string, args ...string) []string {
		return append(append([]string{cmd}, who...), args...)
	}
	for i, metrics := range []string{`{"auc": 0.88, "log_loss": 0.22}`, `{"auc": 0.89, "log_loss": 0.18}`} {
		dir, m := f.model(t, fmt.Sprint("build", i), `{"weights": [1]}`, metrics)
		params := filepath.Join(f.dir, fmt.Sprint("params", i, ".json"))
		write(t, params, `{"epochs": "300"}`)
		// evaluate
		for _, who := range [][]string{reviewer, trainer} { // on a pull request, then on main
			if code, out, stderr := cli(t, with("gate", who, "-gate", gate, "-metrics", m)...); code != exitOK {
				t.Fatalf("gate %d: %d\n%s%s", i, code, out, stderr)
			}
		}
		// register, with the training data versioned first
		data := filepath.Join(f.dir, fmt.Sprint("data", i))
		write(t, filepath.Join(data, "readings.csv"), fmt.Sprintf("temperature,failed\n%d,0\n", 60+i))
		code, out, stderr := cli(t, with("register", trainer, "-dir", dir, "-metrics", m, "-params", params,
			"-data", data, "-dataset-name", "pump-sensors", "-sign-key", f.key+".pem")...)
		if code != exitOK || out != fmt.Sprintln(i+1) || !strings.Contains(stderr, fmt.Sprintf("dataset pump-sensors version %d", i+1)) {
			t.Fatalf("register %d: %d %q %s", i, code, out, stderr)
		}
		// promote
		if code, out, stderr := cli(t, with("promote", release, "-version", fmt.Sprint(i+1), "-gate", gate, "-trusted-key", f.pub)...); code != exitOK {
			t.Fatalf("promote %d: %d %s%s", i, code, out, stderr)
		}
	}
	// Neither the main branch's jobs nor a pull request's can do the
	// release job's step, nor a pull request register.
	for _, who := range [][]string{trainer, reviewer} {
		if code, _, stderr := cli(t, with("promote", who, "-version", "1", "-gate", gate)...); code != exitError || !strings.Contains(stderr, "denied") {
			t.Errorf("promote: %d %s", code, stderr)
		}
	}
	dir, _ := f.model(t, "pr", `{"weights": [2]}`, `{}`)
	if code, _, stderr := cli(t, with("register", reviewer, "-dir", dir)...); code != exitError || !strings.Contains(stderr, "denied") {
		t.Errorf("pull request register: %d %s", code, stderr)
	}
	reg := f.registry(t)
	v2, err := reg.Get(context.Background(), model+"/2")
	if err != nil {
		t.Fatal(err)
	}
	if len(v2.Lineage.Datasets) != 1 || !strings.HasPrefix(v2.Lineage.Datasets[0], "sha256:") {
		t.Errorf("version 2 lineage datasets %v, want the committed manifest", v2.Lineage.Datasets)
	}
	hist, err := reg.History(context.Background(), model)
	if err != nil {
		t.Fatal(err)
	}
	var moves []string
	for _, ev := range hist {
		if ev.Type == registry.EventAliasSet {
			moves = append(moves, fmt.Sprintf("%s %d by %s", ev.Alias, ev.Version, ev.Actor))
		}
	}
	want := []string{"production 1 by User:repo:sextant-ml/sextant:environment:production",
		"production 2 by User:repo:sextant-ml/sextant:environment:production"}
	if diff := cmp.Diff(want, moves); diff != "" {
		t.Errorf("alias moves (-want +got):\n%s", diff)
	}
}
