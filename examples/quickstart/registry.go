package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/registry"
)

// registryStep registers a model version from files on disk, points the
// production alias at it and renders its model card, all on the shared bucket.
func registryStep(ctx context.Context, d *demo) error {
	dir := filepath.Join(d.dir, "fraud-model")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, body := range map[string]string{
		"model.onnx":  strings.Repeat("fraud detector weights\n", 1000),
		"config.json": `{"threshold": 0.7}` + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	store, err := artifact.Open(ctx, d.bucketURL, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	reg, err := registry.Open(ctx, store, &registry.Options{Actor: func(context.Context) string { return "quickstart" }})
	if err != nil {
		return err
	}
	v, err := reg.RegisterDir(ctx, "fraud", dir, &registry.VersionSpec{
		Description: "Gradient-boosted trees on card transactions.",
		Params:      map[string]string{"max_depth": "6"},
		Metrics:     map[string]float64{"auc": 0.93, "recall": 0.81},
		Lineage:     registry.Lineage{RunID: "quickstart-run", Source: "examples/quickstart"},
	})
	if err != nil {
		return err
	}
	weights, _ := v.File("model.onnx")
	d.printf("registered %s with %d files; model.onnx is %s\n", v.Ref(), len(v.Files), weights.Digest)
	if err := reg.SetAlias(ctx, "fraud", "production", v.Number); err != nil {
		return err
	}
	n, err := reg.Resolve(ctx, "fraud@production")
	if err != nil {
		return err
	}
	d.printf("fraud@production -> version %d\n", n)
	digest, err := reg.SaveCard(ctx, "fraud@production", nil)
	if err != nil {
		return err
	}
	card, err := reg.Card(ctx, "fraud@production")
	if err != nil {
		return err
	}
	d.printf("model card stored as %s; its headings and metrics:\n", digest)
	sc := bufio.NewScanner(bytes.NewReader(card))
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "#") || strings.HasPrefix(line, "| auc") {
			d.printf("  %s\n", line)
		}
	}
	return nil
}
