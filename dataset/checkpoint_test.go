package dataset

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A checkpoint is a cache of the log: whatever is wrong with the newest one,
// a fresh reader skips it with a warning and reads every version and tag.
func TestBadCheckpointIsSkipped(t *testing.T) {
	tests := []struct{ name, data string }{
		{"does not parse", "{broken"},
		{"newer format", `{"v":2,"versions":[],"tags":{}}`},
		{"version out of place", `{"v":1,"versions":[{"type":"commit","v":1,"number":5,"time":"2026-01-01T00:00:00Z"}],"tags":{}}`},
		{"tag on no version", `{"v":1,"versions":[],"tags":{"prod":3}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			s, ab := newStore(t, "mem", nil, nil)
			v, err := s.Commit(ctx, "d", makeTree(t, map[string]string{"f": "x"}), nil)
			if err != nil {
				t.Fatal(err)
			}
			for i := 2; i <= checkpointEvery; i++ {
				if err := s.Tag(ctx, "d", v.Number, fmt.Sprintf("t%d", i)); err != nil {
					t.Fatal(err)
				}
			}
			for _, content := range []string{"y", "z"} {
				if _, err := s.Commit(ctx, "d", makeTree(t, map[string]string{"f": content}), nil); err != nil {
					t.Fatal(err)
				}
			}
			cp := fmt.Sprintf("datasets/d/checkpoint/%020d.json", checkpointEvery)
			if ok, err := ab.Exists(ctx, cp); !ok || err != nil {
				t.Fatalf("no checkpoint at %s: %v", cp, err)
			}
			if err := ab.WriteAll(ctx, cp, []byte(tt.data)); err != nil {
				t.Fatal(err)
			}
			want, err := s.Versions(ctx, "d")
			if err != nil {
				t.Fatal(err)
			}
			var logged bytes.Buffer
			fresh, err := New(s.Artifacts(), &Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
			if err != nil {
				t.Fatal(err)
			}
			got, err := fresh.Versions(ctx, "d")
			if err != nil {
				t.Fatalf("Versions past a bad checkpoint: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("versions past a bad checkpoint (-want +got):\n%s", diff)
			}
			if len(got) != 3 || len(got[0].Tags) != checkpointEvery-1 {
				t.Errorf("%d versions, %d tags on the first; want 3 and %d", len(got), len(got[0].Tags), checkpointEvery-1)
			}
			if !strings.Contains(logged.String(), "ignoring unreadable checkpoint") {
				t.Errorf("no warning about the checkpoint: %q", logged.String())
			}
		})
	}
}
