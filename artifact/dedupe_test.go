package artifact_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/artifact/artifacttest"
)

// TestStoredContentNotWrittenAgain counts the bucket operations of storing
// content that is already there: Put uploads its temporary copy (it cannot
// know the digest before reading) but never copies it to the final name
// again, and PutKnown writes nothing at all.
func TestStoredContentNotWrittenAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, f := artifacttest.NewFaultyStore(t, nil)
	const text = "content stored once"
	d, err := s.Put(ctx, strings.NewReader(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	count := func() map[artifacttest.Op]int {
		return map[artifacttest.Op]int{
			artifacttest.OpWrite: f.Calls(artifacttest.OpWrite),
			artifacttest.OpCopy:  f.Calls(artifacttest.OpCopy),
		}
	}
	if diff := cmp.Diff(map[artifacttest.Op]int{artifacttest.OpWrite: 1, artifacttest.OpCopy: 1}, count()); diff != "" {
		t.Fatalf("first Put (-want +got):\n%s", diff)
	}
	again, err := s.Put(ctx, strings.NewReader(text), nil)
	if err != nil || again.Digest != d.Digest {
		t.Fatalf("second Put = %v, %v", again, err)
	}
	if diff := cmp.Diff(map[artifacttest.Op]int{artifacttest.OpWrite: 2, artifacttest.OpCopy: 1}, count()); diff != "" {
		t.Fatalf("second Put (-want +got):\n%s", diff)
	}
	if _, err := s.PutKnown(ctx, d, strings.NewReader(text)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[artifacttest.Op]int{artifacttest.OpWrite: 2, artifacttest.OpCopy: 1}, count()); diff != "" {
		t.Fatalf("PutKnown of stored content (-want +got):\n%s", diff)
	}
	var n int
	if err := s.Walk(ctx, func(artifact.Info) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("walk: %d objects, %v", n, err)
	}
}
