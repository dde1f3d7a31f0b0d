package registry_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/registry"
)

// A checkpoint is a cache of the log: whatever is wrong with the newest one,
// a cold reader skips it with a warning and reads every version.
func TestBadCheckpointIsSkipped(t *testing.T) {
	tests := []struct{ name, data string }{
		{"does not parse", "{broken"},
		{"newer format", `{"format":99,"seq":10,"model":{"name":"fraud"},"versions":[]}`},
		{"header of another model", `{"format":1,"seq":10,"model":{"name":"other"},"versions":[]}`},
		{"version out of place", `{"format":1,"seq":10,"model":{"name":"fraud"},"versions":[{"model":"fraud","number":2}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			b := openBucket(t, "mem://")
			r := newRegistry(t, b, &registry.Options{CheckpointEvery: 5})
			for range 12 {
				must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{Metrics: map[string]float64{"auc": 0.5}}))
			}
			if err := b.WriteAll(ctx, "registry/models/fraud/checkpoint/00000000000000000010.json", []byte(tt.data)); err != nil {
				t.Fatal(err)
			}
			var logged bytes.Buffer
			cold := newRegistry(t, b, &registry.Options{CheckpointEvery: 5, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
			want := must[*registry.VersionPage](t)(r.SearchVersions(ctx, &registry.SearchOptions{Model: "fraud"}))
			got := must[*registry.VersionPage](t)(cold.SearchVersions(ctx, &registry.SearchOptions{Model: "fraud"}))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("versions past a bad checkpoint (-want +got):\n%s", diff)
			}
			if len(got.Versions) != 12 {
				t.Errorf("%d versions, want 12", len(got.Versions))
			}
			if !strings.Contains(logged.String(), "ignoring unreadable checkpoint") {
				t.Errorf("no warning about the checkpoint: %q", logged.String())
			}
		})
	}
}
