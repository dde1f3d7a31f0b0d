package tracking_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sextant-ml/sextant/registry"
	"github.com/sextant-ml/sextant/tracking"
)

func TestRegisterModelFromRun(t *testing.T) {
	ctx := context.Background()
	tr, store := newTracker(t, nil)
	reg := must[*registry.Registry](t)(registry.Open(ctx, store, &registry.Options{Runs: tr, AllowUnsigned: true}))
	run := must[*tracking.Run](t)(tr.CreateRun(ctx, "", nil)).Info.ID
	if err := tr.LogBatch(ctx, run, &tracking.Batch{
		Params:  []tracking.Param{{"lr", "0.1"}},
		Metrics: []tracking.Metric{{Key: "auc", Value: 0.8, Step: 1}, {Key: "auc", Value: 0.9, Step: 2}, {Key: "odd", Value: math.NaN()}},
	}); err != nil {
		t.Fatal(err)
	}
	a := must[tracking.Artifact](t)(tr.LogArtifact(ctx, run, "model/weights.bin", bytes.NewReader([]byte("w"))))
	if _, err := tr.LogArtifact(ctx, run, "plots/loss.png", bytes.NewReader([]byte("p"))); err != nil {
		t.Fatal(err)
	}
	v := must[*registry.Version](t)(tr.RegisterModel(ctx, reg, run, "fraud", &tracking.RegisterOptions{ArtifactPrefix: "model/"}))
	if v.Lineage.RunID != run || v.Params["lr"] != "0.1" {
		t.Fatalf("version lineage %+v params %v", v.Lineage, v.Params)
	}
	if diff := cmp.Diff(map[string]float64{"auc": 0.9}, v.Metrics); diff != "" {
		t.Fatalf("metrics (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]registry.File{{Path: "weights.bin", Digest: a.Digest, Size: 1}}, v.Files); diff != "" {
		t.Fatalf("files (-want +got):\n%s", diff)
	}
	// The registry resolves lineage run ids through the tracker.
	_, err := reg.Register(ctx, "fraud", &registry.VersionSpec{Lineage: registry.Lineage{RunID: "0123456789abcdef0123456789abcdef"}})
	if !errors.Is(err, registry.ErrNotFound) || !errors.Is(err, tracking.ErrNotFound) {
		t.Fatalf("unknown lineage run: %v, want registry and tracking ErrNotFound", err)
	}
	if _, err := reg.Register(ctx, "fraud", &registry.VersionSpec{Lineage: registry.Lineage{RunID: run}}); err != nil {
		t.Fatalf("known lineage run: %v", err)
	}
	if _, err := tr.RegisterModel(ctx, reg, "0123456789abcdef0123456789abcdef", "fraud", nil); !errors.Is(err, tracking.ErrNotFound) {
		t.Fatalf("unknown run: %v", err)
	}
}
