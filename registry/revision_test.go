package registry

import (
	"context"
	"runtime/debug"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
)

func TestVCSRevision(t *testing.T) {
	stamped := &debug.BuildInfo{Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "4f2a9c1e"}, {Key: "vcs.modified", Value: "false"}}}
	for _, tt := range []struct {
		name string
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{"stamped", stamped, true, "4f2a9c1e"},
		{"no vcs settings", &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "-trimpath", Value: "true"}}}, true, ""},
		{"no build info", nil, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := vcsRevision(tt.info, tt.ok); got != tt.want {
				t.Fatalf("vcsRevision = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRegisterDefaultsCodeRevision checks that a version without a code
// revision gets the binary's, and that one given explicitly is kept.
func TestRegisterDefaultsCodeRevision(t *testing.T) {
	ctx := context.Background()
	b, err := artifact.OpenBucket(ctx, "mem://")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	store, err := artifact.New(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := vcsRevision(debug.ReadBuildInfo()); r.revision != want {
		t.Fatalf("Open took revision %q from the build info, want %q", r.revision, want)
	}
	r.revision = "4f2a9c1e" // as a binary built from a git checkout would carry
	v, err := r.Register(ctx, "fraud", nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Lineage.CodeRevision != "4f2a9c1e" {
		t.Fatalf("default code revision %q", v.Lineage.CodeRevision)
	}
	v, err = r.Register(ctx, "fraud", &VersionSpec{Lineage: Lineage{CodeRevision: "given"}})
	if err != nil {
		t.Fatal(err)
	}
	if v.Lineage.CodeRevision != "given" {
		t.Fatalf("explicit code revision replaced by %q", v.Lineage.CodeRevision)
	}
}
