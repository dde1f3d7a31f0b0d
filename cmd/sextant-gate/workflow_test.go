package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// workflowPath is the CI/CD workflow offered to users.
var workflowPath = filepath.Join("..", "..", ".github", "workflows", "model.yml")

// workflowRuns returns the run scripts of every step of the workflow, with
// shell line continuations joined.
func workflowRuns(t *testing.T) (env map[string]string, runs []string) {
	t.Helper()
	data, err := os.ReadFile(workflowPath)
	if err != nil {
		t.Fatal(err)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", workflowPath, err)
	}
	var wf struct {
		Env  map[string]string `json:"env"`
		Jobs map[string]struct {
			Steps []struct {
				Run string `json:"run"`
			} `json:"steps"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal(js, &wf); err != nil {
		t.Fatalf("%s: %v", workflowPath, err)
	}
	for _, j := range wf.Jobs {
		for _, s := range j.Steps {
			if s.Run != "" {
				runs = append(runs, strings.ReplaceAll(s.Run, "\\\n", " "))
			}
		}
	}
	return wf.Env, runs
}

// definedFlags returns the flags a command defines, read from its -h output.
func definedFlags(t *testing.T, cmd string) []string {
	t.Helper()
	code, _, stderr := cli(t, cmd, "-h")
	if code != exitOK {
		t.Fatalf("%s -h: exit %d", cmd, code)
	}
	var flags []string
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z-]+)`).FindAllStringSubmatch(stderr, -1) {
		flags = append(flags, m[1])
	}
	return flags
}

// TestWorkflowUsesRealFlags checks every "sextant models" invocation of
// the workflow against the command's flags (the ones sextant-gate runs), and that the files it names exist,
// so an edit on either side that would break users' pipelines fails here.
func TestWorkflowUsesRealFlags(t *testing.T) {
	env, runs := workflowRuns(t)
	invocation := regexp.MustCompile(`sextant models (register|gate|promote|keygen)\b([^\n)]*)`)
	flag := regexp.MustCompile(`(?:^|\s)-([a-z][a-z-]*)`)
	var used []string
	for _, run := range runs {
		for _, m := range invocation.FindAllStringSubmatch(run, -1) {
			cmd := m[1]
			used = append(used, cmd)
			defined := definedFlags(t, cmd)
			for _, f := range flag.FindAllStringSubmatch(m[2], -1) {
				if !slices.Contains(defined, f[1]) {
					t.Errorf("workflow runs sextant models %s -%s; the command defines only %v", cmd, f[1], defined)
				}
			}
		}
	}
	slices.Sort(used)
	if diff := cmp.Diff([]string{"gate", "promote", "register"}, used); diff != "" {
		t.Errorf("sextant models commands in the workflow (-want +got):\n%s", diff)
	}
	for _, k := range []string{"GATE", "POLICY"} {
		if _, err := os.Stat(filepath.Join("..", "..", env[k])); err != nil {
			t.Errorf("workflow env %s: %v", k, err)
		}
	}
	if env["MODEL"] == "" || env["SEXTANT_BUCKET"] == "" {
		t.Errorf("workflow env %v: want MODEL and SEXTANT_BUCKET", env)
	}
}
