package pipeline

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/internal/logstore"
)

// A checkpoint is a cache of the log: whatever is wrong with the newest one,
// a fresh reader skips it with a warning and reads every run.
func TestBadCheckpointIsSkipped(t *testing.T) {
	tests := []struct{ name, data string }{
		{"does not parse", "{broken"},
		{"newer format", `{"v":2,"runs":[]}`},
		{"repeated run id", `{"v":1,"runs":[{"id":"a"},{"id":"a"}]}`},
		{"null run", `{"v":1,"runs":[null]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			b := openBucket(t, "mem://")
			p, err := New("cp", []Task{{Name: "t", Run: noop}}, &Options{Bucket: b})
			if err != nil {
				t.Fatal(err)
			}
			const n = logstore.DefaultCheckpointEvery/2 + 1 // two entries a run: one checkpoint
			for range n {
				if _, err := p.Run(ctx, nil); err != nil {
					t.Fatal(err)
				}
			}
			want, err := p.Store().Runs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			cp := fmt.Sprintf("pipelines/cp/checkpoint/%020d.json", logstore.DefaultCheckpointEvery)
			if ok, err := b.Exists(ctx, cp); !ok || err != nil {
				t.Fatalf("no checkpoint at %s: %v", cp, err)
			}
			if err := b.WriteAll(ctx, cp, []byte(tt.data)); err != nil {
				t.Fatal(err)
			}
			var logged bytes.Buffer
			fresh, err := New("cp", []Task{{Name: "t", Run: noop}}, &Options{Bucket: b, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
			if err != nil {
				t.Fatal(err)
			}
			got, err := fresh.Store().Runs(ctx)
			if err != nil {
				t.Fatalf("Runs past a bad checkpoint: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("runs past a bad checkpoint (-want +got):\n%s", diff)
			}
			if len(got) != n {
				t.Errorf("%d runs, want %d", len(got), n)
			}
			if !strings.Contains(logged.String(), "ignoring unreadable checkpoint") {
				t.Errorf("no warning about the checkpoint: %q", logged.String())
			}
		})
	}
}
