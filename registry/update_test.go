package registry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sextant-ml/sextant/registry"
)

// tick returns a clock that advances one minute per reading.
func tick() func() time.Time {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return func() time.Time { at = at.Add(time.Minute); return at }
}

func ptr[T any](v T) *T { return &v }

// TestModelAndVersionUpdates covers CreateModel, UpdateModel, UpdateVersion
// and the lineage a version keeps: what changes, what stays, the timestamps,
// the history, and the refusals that leave the log alone.
func TestModelAndVersionUpdates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := openBucket(t, "mem://")
	r := newRegistry(t, b, &registry.Options{Now: tick(), Actor: func(context.Context) string { return "bob" }})

	m := must[*registry.Model](t)(r.CreateModel(ctx, "fraud", &registry.ModelSpec{
		Description: "first", Tags: map[string]string{"team": "risk", "tier": "1"}}))
	want := &registry.Model{Name: "fraud", Description: "first", Tags: map[string]string{"team": "risk", "tier": "1"},
		Owner: "bob", Created: time.Date(2026, 3, 1, 12, 1, 0, 0, time.UTC), Updated: time.Date(2026, 3, 1, 12, 1, 0, 0, time.UTC)}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Fatalf("created (-want +got):\n%s", diff)
	}
	if _, err := r.CreateModel(ctx, "fraud", nil); !errors.Is(err, registry.ErrExist) {
		t.Fatalf("CreateModel twice = %v, want ErrExist", err)
	}
	m = must[*registry.Model](t)(r.UpdateModel(ctx, "fraud", &registry.ModelUpdate{
		SetTags: map[string]string{"tier": "2"}, DeleteTags: []string{"team"}, Owner: "carol"}))
	want.Tags, want.Owner, want.Updated = map[string]string{"tier": "2"}, "carol", time.Date(2026, 3, 1, 12, 2, 0, 0, time.UTC)
	if diff := cmp.Diff(want, m); diff != "" {
		t.Fatalf("updated; a nil description stays (-want +got):\n%s", diff)
	}
	if _, err := r.UpdateModel(ctx, "ghost", nil); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("UpdateModel of a missing model = %v, want ErrNotFound", err)
	}

	parent := must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{Status: registry.StatusPending,
		Metrics: map[string]float64{"auc": 0.8}, Tags: map[string]string{"stage": "train", "gpu": "a100"}}))
	lineage := registry.Lineage{Parent: 1, RunID: "run-7", Source: "https://ci.example/job/7", CodeRevision: "4f2a9c1"}
	v := must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{Description: "child", Lineage: lineage}))
	if parent.Status != registry.StatusPending || v.Status != registry.StatusReady {
		t.Fatalf("statuses %q and %q, want pending and the default ready", parent.Status, v.Status)
	}
	if diff := cmp.Diff(lineage, v.Lineage); diff != "" {
		t.Fatalf("lineage (-want +got):\n%s", diff)
	}

	// Evaluation after registration: metrics merge, tags change, status moves.
	u := must[*registry.Version](t)(r.UpdateVersion(ctx, "fraud/1", &registry.VersionUpdate{
		Description: ptr("evaluated"), SetTags: map[string]string{"stage": "eval"}, DeleteTags: []string{"gpu"},
		Metrics: map[string]float64{"auc": 0.82, "f1": 0.6}, Status: registry.StatusFailed}))
	if u.Description != "evaluated" || u.Status != registry.StatusFailed ||
		!cmp.Equal(u.Tags, map[string]string{"stage": "eval"}) ||
		!cmp.Equal(u.Metrics, map[string]float64{"auc": 0.82, "f1": 0.6}) ||
		!u.Updated.After(u.Created) || !u.Created.Equal(parent.Created) {
		t.Fatalf("updated version = %+v", u)
	}
	if got := must[*registry.Version](t)(r.Get(ctx, "fraud/1")); !cmp.Equal(u, got) {
		t.Fatalf("Get after update (-update +get):\n%s", cmp.Diff(u, got))
	}
	page := must[*registry.VersionPage](t)(r.SearchVersions(ctx, &registry.SearchOptions{Filter: "status = 'failed' and metrics.f1 > 0.5"}))
	if len(page.Versions) != 1 || page.Versions[0].Number != 1 {
		t.Fatalf("search by the updated status and metric: %+v", page.Versions)
	}

	// An update through an alias lands on the version the alias named.
	if err := r.SetAlias(ctx, "fraud", "staging", 2); err != nil {
		t.Fatal(err)
	}
	if u := must[*registry.Version](t)(r.UpdateVersion(ctx, "fraud@staging", &registry.VersionUpdate{Metrics: map[string]float64{"auc": 0.9}})); u.Number != 2 {
		t.Fatalf("update through staging landed on %d", u.Number)
	}

	hist := must[[]registry.Event](t)(r.History(ctx, "fraud"))
	bad := []struct {
		name string
		ref  string
		upd  *registry.VersionUpdate
		want error
	}{
		{"NaN metric", "fraud/1", &registry.VersionUpdate{Metrics: map[string]float64{"auc": nanValue()}}, registry.ErrInvalidArgument},
		{"bad status", "fraud/1", &registry.VersionUpdate{Status: "done"}, registry.ErrInvalidArgument},
		{"bad tag key", "fraud/1", &registry.VersionUpdate{SetTags: map[string]string{"a b": "x"}}, registry.ErrInvalidArgument},
		{"missing version", "fraud/9", &registry.VersionUpdate{Description: ptr("x")}, registry.ErrNotFound},
		{"bad reference", "fraud/0", nil, registry.ErrInvalidReference},
	}
	for _, tt := range bad {
		if _, err := r.UpdateVersion(ctx, tt.ref, tt.upd); !errors.Is(err, tt.want) {
			t.Errorf("%s: UpdateVersion = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := r.UpdateModel(ctx, "fraud", &registry.ModelUpdate{SetTags: map[string]string{"": "x"}}); !errors.Is(err, registry.ErrInvalidArgument) {
		t.Errorf("UpdateModel with an empty tag key = %v", err)
	}
	if err := r.DeleteVersion(ctx, "fraud/1"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.UpdateVersion(ctx, "fraud/1", &registry.VersionUpdate{Description: ptr("x")}); !errors.Is(err, registry.ErrDeleted) {
		t.Errorf("UpdateVersion of a deleted version = %v, want ErrDeleted", err)
	}
	after := must[[]registry.Event](t)(r.History(ctx, "fraud"))
	if len(after) != len(hist)+1 || after[len(after)-1].Type != registry.EventVersionDelete {
		t.Fatalf("refused updates reached the log: %d events before, %d after", len(hist), len(after))
	}
	var types []registry.EventType
	for _, e := range hist {
		types = append(types, e.Type)
		if e.Actor != "bob" {
			t.Errorf("event %d by %q, want bob", e.Seq, e.Actor)
		}
	}
	wantTypes := []registry.EventType{registry.EventModelCreate, registry.EventModelUpdate, registry.EventVersionRegister,
		registry.EventVersionRegister, registry.EventVersionUpdate, registry.EventAliasSet, registry.EventVersionUpdate}
	if diff := cmp.Diff(wantTypes, types); diff != "" {
		t.Fatalf("history (-want +got):\n%s", diff)
	}
}
