package rollout_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/registry"
)

// Promotion moves an alias of the real registry, whose versions are
// numbers, through NumberedAliases.
func TestPromotionMovesARegistryAlias(t *testing.T) {
	ctx := context.Background()
	store, err := artifact.Open(ctx, "file://"+t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg, err := registry.Open(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{"weights v1", "weights v2"} {
		spec := registry.VersionSpec{Files: []registry.Upload{{Path: "model.bin", Body: strings.NewReader(body)}}}
		if _, err := reg.Register(ctx, "churn", &spec); err != nil {
			t.Fatal(err)
		}
	}
	if err := reg.SetAlias(ctx, "churn", "production", 1); err != nil {
		t.Fatal(err)
	}
	r := newRouter(t, "1", "2", "latest")
	aliases := rollout.NumberedAliases(reg)

	ro, err := rollout.New(r, rollout.Spec{Model: "churn", Stable: "1", Canary: "2", Steps: []rollout.Step{rollout.SetWeight(50)}},
		&rollout.Options{Aliases: aliases})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := ro.Run(ctx); err != nil || st.Phase != rollout.Promoted {
		t.Fatalf("rollout ended %s, %v", st.Phase, err)
	}
	if v, err := reg.Resolve(ctx, "churn@production"); err != nil || v != 2 {
		t.Errorf("churn@production = %d, %v; want 2", v, err)
	}

	// A version name that is no registry number leaves the alias alone.
	for _, name := range []string{"latest", "02", "-1", "0"} {
		if err := aliases.SetAlias(ctx, "churn", "production", name); !errors.Is(err, rollout.ErrInvalid) {
			t.Errorf("SetAlias(%q): %v, want ErrInvalid", name, err)
		}
	}
	if v, _ := reg.Resolve(ctx, "churn@production"); v != 2 {
		t.Errorf("churn@production moved to %d", v)
	}
}
