//go:build integration

package tracking_test

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// mlflowJS is the npm package and version of the independent MLflow REST
// client this test drives.
const mlflowJS = "mlflow@2.0.7"

// TestMLflowJSClient runs the npm package "mlflow" (an MLflow REST client
// we did not write) under node against Handler. npm installs it into a
// temporary directory, or SEXTANT_MLFLOW_JS_DIR names a directory where it
// is already installed. A missing node or npm fails the test.
func TestMLflowJSClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is required for this test: %v", err)
	}
	dir := os.Getenv("SEXTANT_MLFLOW_JS_DIR")
	if dir == "" {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Fatalf("npm is required to install %s: %v", mlflowJS, err)
		}
		dir = t.TempDir()
		cmd := exec.Command(npm, "install", "--no-audit", "--no-fund", "--prefix", dir, mlflowJS)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm install %s: %v\n%s", mlflowJS, err, out)
		}
	}
	modules := filepath.Join(dir, "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "mlflow", "package.json")); err != nil {
		t.Fatalf("%s is not installed under %s: %v", mlflowJS, modules, err)
	}
	tr, _ := newTracker(t, nil)
	srv := httptest.NewServer(tr.Handler())
	defer srv.Close()
	cmd := exec.Command(node, filepath.Join("testdata", "mlflow_js_client.js"), srv.URL)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node client: %v\n%s", err, stderr.String())
	}
	var got struct {
		Experiment   map[string]any   `json:"experiment"`
		ChangedParam map[string]any   `json:"changedParam"`
		UnknownRun   map[string]any   `json:"unknownRun"`
		History      []map[string]any `json:"history"`
		Updated      map[string]any   `json:"updated"`
		Run          struct {
			Info map[string]any `json:"info"`
			Data struct {
				Params []map[string]string `json:"params"`
				Tags   []map[string]string `json:"tags"`
			} `json:"data"`
		} `json:"run"`
		Search      []any `json:"search"`
		AfterDelete []any `json:"afterDelete"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("client output %q: %v", out, err)
	}
	if got.Experiment["name"] != "js-client" || got.Experiment["lifecycle_stage"] != "active" {
		t.Errorf("experiment %v", got.Experiment)
	}
	if got.ChangedParam["error_code"] != "INVALID_PARAMETER_VALUE" {
		t.Errorf("changed param answered %v", got.ChangedParam)
	}
	if got.UnknownRun["error_code"] != "RESOURCE_DOES_NOT_EXIST" {
		t.Errorf("unknown run answered %v", got.UnknownRun)
	}
	if len(got.History) != 4 || got.History[3]["step"] != 3.0 || got.History[3]["value"] != 0.125 {
		t.Errorf("history %v", got.History)
	}
	if got.Updated["status"] != "FINISHED" || got.Run.Info["end_time"] != 1700000000100.0 {
		t.Errorf("updated %v, run info %v", got.Updated, got.Run.Info)
	}
	params := map[string]string{}
	for _, p := range got.Run.Data.Params {
		params[p["key"]] = p["value"]
	}
	if params["lr"] != "0.01" || params["depth"] != "4" || len(params) != 2 {
		t.Errorf("params %v", params)
	}
	if len(got.Search) != 1 || len(got.AfterDelete) != 0 {
		t.Errorf("search %d runs, after delete %d", len(got.Search), len(got.AfterDelete))
	}
}
