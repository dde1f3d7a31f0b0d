package artifact_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/pipeline"
	"github.com/sextant-ml/sextant/registry"
	"github.com/sextant-ml/sextant/tracking"
)

// TestCollectComposesReferrers shares one bucket between a registry, a
// dataset store, pipeline runs and tracked runs, and collects it once: what any of them
// references survives, what none does is deleted, and a referrer that
// fails stops the collection before anything is deleted.
func TestCollectComposesReferrers(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	put := func(s string) artifact.Digest {
		d, err := store.Put(ctx, strings.NewReader(s), nil)
		if err != nil {
			t.Fatal(err)
		}
		return d.Digest
	}

	reg, err := registry.Open(ctx, store, &registry.Options{AllowUnsigned: true})
	if err != nil {
		t.Fatal(err)
	}
	v, err := reg.Register(ctx, "pumps", &registry.VersionSpec{Files: []registry.Upload{{Path: "model.bin", Body: strings.NewReader("weights")}}})
	if err != nil {
		t.Fatal(err)
	}
	card, err := reg.SaveCard(ctx, v.Ref().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// A deleted version's files are not live.
	gone, err := reg.Register(ctx, "pumps", &registry.VersionSpec{Files: []registry.Upload{{Path: "model.bin", Body: strings.NewReader("old weights")}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.DeleteVersion(ctx, gone.Ref().String()); err != nil {
		t.Fatal(err)
	}

	data, err := dataset.New(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "readings.csv"), []byte("t,v\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dv, err := data.Commit(ctx, "readings", dir, nil)
	if err != nil {
		t.Fatal(err)
	}

	output := put("evaluation report")
	p, err := pipeline.New("retrain", []pipeline.Task{{Name: "evaluate", Run: func(ctx context.Context, tr *pipeline.TaskRun) error {
		tr.Set("report", output.String())
		tr.Set("rows", "1000") // not a digest: ignored
		return nil
	}}}, &pipeline.Options{Bucket: store.Bucket()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Run(ctx, nil); err != nil {
		t.Fatal(err)
	}
	tr, err := tracking.Open(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	run, err := tr.CreateRun(ctx, tracking.DefaultExperimentID, nil)
	if err != nil {
		t.Fatal(err)
	}
	plot, err := tr.LogArtifact(ctx, run.Info.ID, "plots/loss.svg", strings.NewReader("<svg/>"))
	if err != nil {
		t.Fatal(err)
	}
	orphan := put("nobody refers to this")

	refs := []artifact.Referrer{reg, data, pipeline.References(store.Bucket()), tr}
	later := &artifact.GCOptions{Grace: time.Minute, Now: func() time.Time { return time.Now().Add(time.Hour) }}

	failing := artifact.ReferrerFunc(func(context.Context, func(artifact.Digest) error) error { return errors.New("log unreadable") })
	if _, err := store.Collect(ctx, append(refs, failing), later); err == nil {
		t.Fatal("Collect with a failing referrer succeeded")
	}
	if ok, _ := store.Exists(ctx, orphan); !ok {
		t.Fatal("a failing referrer's collection deleted content")
	}

	stats, err := store.Collect(ctx, refs, later)
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]artifact.Digest{"model file": v.Files[0].Digest, "card": card, "dataset manifest": artifact.Digest(dv.Manifest), "pipeline output": output, "run artifact": plot.Digest}
	m, err := data.Manifest(ctx, dv.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	live["dataset file"] = artifact.Digest(m.Entries[0].Digest)
	for what, d := range live {
		if ok, err := store.Exists(ctx, d); !ok || err != nil {
			t.Errorf("%s %s was collected (%v)", what, d, err)
		}
	}
	for what, d := range map[string]artifact.Digest{"orphan": orphan, "deleted version's file": gone.Files[0].Digest} {
		if ok, _ := store.Exists(ctx, d); ok {
			t.Errorf("%s %s survived", what, d)
		}
	}
	if stats.Deleted != 2 {
		t.Errorf("Deleted = %d, want 2 (%+v)", stats.Deleted, stats)
	}
}
