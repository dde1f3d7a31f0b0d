package registrytest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/registry"
)

var seed = &Seed{Models: []Model{
	{Name: "fraud", Description: "flags transactions", Tags: map[string]string{"team": "risk"},
		Versions: []Version{
			{Files: map[string]string{"model.bin": "v1"}, Metrics: map[string]float64{"auc": 0.9}},
			{Files: map[string]string{"model.bin": "v2", "cfg.json": "{}"}, Metrics: map[string]float64{"auc": 0.92}},
			{Archived: true},
		},
		Aliases: map[string]int{"production": 2, "staging": 1}},
	{Name: "churn", Versions: []Version{{Status: registry.StatusPending}}},
}}

func TestNewSeeds(t *testing.T) {
	ctx := context.Background()
	r := New(t, seed, nil)
	v, err := r.Get(ctx, "fraud@production")
	if err != nil {
		t.Fatal(err)
	}
	if v.Number != 2 || len(v.Files) != 2 || v.Metrics["auc"] != 0.92 || v.Author != "test" {
		t.Fatalf("fraud@production = %+v", v)
	}
	if !v.Created.Equal(v.Created.UTC()) || v.Created.Year() != 2026 {
		t.Fatalf("clock: %v", v.Created)
	}
	if v3, err := r.Get(ctx, "fraud/3"); err != nil || !v3.Archived {
		t.Fatalf("fraud/3 = %+v, %v", v3, err)
	}
	if n, err := r.Resolve(ctx, "fraud@latest"); err != nil || n != 2 {
		t.Fatalf("latest = %d, %v", n, err)
	}
	rc, err := r.OpenFile(ctx, "fraud/1", "model.bin")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "v1" {
		t.Fatalf("file = %q", b)
	}
	page, err := r.ListModels(ctx, nil)
	if err != nil || len(page.Models) != 2 || page.Models[0].Name != "churn" {
		t.Fatalf("models = %+v, %v", page, err)
	}
}

func TestNewEmptyAndFailures(t *testing.T) {
	ctx := context.Background()
	r := New(t, nil, nil)
	if _, err := r.GetModel(ctx, "fraud"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("empty registry: %v", err)
	}
	ft := &fakeT{TB: t}
	func() {
		defer func() { recover() }()
		New(ft, &Seed{Models: []Model{{Name: "bad/name"}}}, nil)
	}()
	if !ft.failed {
		t.Fatal("an invalid seed did not fail the test")
	}
}

// fakeT records Fatalf instead of stopping the real test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Fatalf(string, ...any) { f.failed = true; panic("fatal") }
func (f *fakeT) Helper()               {}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	r, f := NewFaulty(t, seed, nil)
	seq := f.CorruptNext(t, "churn")
	fresh, err := registry.Open(ctx, f.Store, nil)
	if err != nil {
		t.Fatal(err)
	}
	// churn has two entries (created, version 1), so the damaged one is 3.
	if _, err := fresh.Get(ctx, "churn/1"); !errors.Is(err, registry.ErrCorruptEntry) || seq != 3 ||
		!strings.Contains(err.Error(), fmt.Sprintf("entry %d", seq)) {
		t.Fatalf("after CorruptNext (entry %d): %v", seq, err)
	}
	f.FutureNext(t, "fraud")
	if _, err := fresh.Get(ctx, "fraud/1"); !errors.Is(err, registry.ErrUnsupportedEntry) {
		t.Fatalf("after FutureNext: %v", err)
	}
	v, err := r.Get(ctx, "fraud/1") // the registry's own cache predates the fault
	if err != nil {
		t.Fatal(err)
	}
	f.TamperFile(t, v.Files[0].Digest, []byte("evil"))
	if _, err := f.Store.Get(ctx, v.Files[0].Digest); !errors.Is(err, artifact.ErrDigestMismatch) {
		t.Fatalf("after TamperFile: %v", err)
	}
}
