package registry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/registry"
)

var errNoRun = errors.New("no such run")

type knownRuns map[string]bool

func (k knownRuns) ResolveRun(_ context.Context, id string) error {
	if !k[id] {
		return errNoRun
	}
	return nil
}

// TestRunResolver: with Options.Runs set, Register refuses a lineage run id
// the resolver does not know and records one it knows; without it, run ids
// are recorded unchecked.
func TestRunResolver(t *testing.T) {
	ctx := context.Background()
	b, err := artifact.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	store := newStore(t, b)
	for _, tt := range []struct {
		name    string
		runs    registry.RunResolver
		run     string
		wantErr bool
	}{
		{"known", knownRuns{"r1": true}, "r1", false},
		{"unknown", knownRuns{"r1": true}, "r2", true},
		{"no run id", knownRuns{}, "", false},
		{"no resolver", nil, "r2", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := registry.Open(ctx, store, &registry.Options{Runs: tt.runs})
			if err != nil {
				t.Fatal(err)
			}
			v, err := r.Register(ctx, "m-"+tt.name[:2], &registry.VersionSpec{Lineage: registry.Lineage{RunID: tt.run}})
			if tt.wantErr {
				if !errors.Is(err, registry.ErrNotFound) || !errors.Is(err, errNoRun) {
					t.Fatalf("Register: %v, want ErrNotFound wrapping the resolver's error", err)
				}
				return
			}
			if err != nil || v.Lineage.RunID != tt.run {
				t.Fatalf("Register: %+v, %v", v, err)
			}
		})
	}
}
