package registry

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func cardFixture() (*Model, *Version) {
	m := &Model{Name: "fraud", Description: "Flags card transactions for review."}
	v := &Version{Model: "fraud", Number: 3, Description: "Gradient-boosted trees, retrained on March data.",
		Status: StatusReady, Author: "alice", Created: time.Date(2026, 3, 2, 10, 30, 0, 0, time.UTC),
		Files: []File{{Path: "model.onnx", Digest: testDigest, Size: 3}, {Path: "a|b.txt", Digest: testDigest, Size: 3}},
		Tags:  map[string]string{"team": "risk"}, Params: map[string]string{"max_depth": "6", "lr": "0.1"},
		Metrics: map[string]float64{"auc": 0.93, "recall": 0.8125},
		Lineage: Lineage{Datasets: []string{testDigest}, CodeRevision: "4f2a9c1", RunID: "run-42", Parent: 2, Source: "jobs/train.go"},
		Aliases: []string{"champion", "production"}}
	return m, v
}

func TestRenderCardGolden(t *testing.T) {
	m, v := cardFixture()
	got, err := RenderCard(m, v, "")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "card.golden.md")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("card differs from %s (run with -update to accept):\n%s", golden, got)
	}
	for _, section := range []string{"## Overview", "## Training data", "## Evaluation metrics", "## Deployment"} {
		if !strings.Contains(string(got), section) {
			t.Errorf("card lacks %q", section)
		}
	}
	if !strings.Contains(string(got), `a\|b.txt`) {
		t.Error("a '|' in a file name is not escaped in the table")
	}
}

func TestRenderCardUserTemplate(t *testing.T) {
	m, v := cardFixture()
	got, err := RenderCard(m, v, `{{.Ref}} by {{.Version.Author}}:{{range .Metrics}} {{.Name}}={{.Value}}{{end}}`)
	if err != nil {
		t.Fatal(err)
	}
	if want := "fraud/3 by alice: auc=0.93 recall=0.8125"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, bad := range []string{"{{.Nope}}", "{{if}}", "{{.Version.Number.X}}"} {
		if _, err := RenderCard(m, v, bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("template %q: %v, want ErrInvalidArgument", bad, err)
		}
	}
}
