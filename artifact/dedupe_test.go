package artifact_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/artifact/artifacttest"
)

// onlyReader hides every method of its reader but Read.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// TestStoredContentNotWrittenAgain counts the bucket operations of storing
// content, then storing it again. A streamed Put uploads a temporary copy
// (it cannot know the digest before reading) and commits it by a
// server-side copy, the first time only; a Put of a seekable source
// hashes first and uploads once to the final name, and not at all when
// the content is stored; PutKnown of stored content writes nothing.
func TestStoredContentNotWrittenAgain(t *testing.T) {
	t.Parallel()
	const text = "content stored once"
	type ops = map[artifacttest.Op]int
	tests := []struct {
		name              string
		src               func() io.Reader
		first, afterAgain ops
	}{
		{"streamed", func() io.Reader { return onlyReader{strings.NewReader(text)} },
			ops{artifacttest.OpWrite: 1, artifacttest.OpCopy: 1}, ops{artifacttest.OpWrite: 2, artifacttest.OpCopy: 1}},
		{"seekable", func() io.Reader { return strings.NewReader(text) },
			ops{artifacttest.OpWrite: 1, artifacttest.OpCopy: 0}, ops{artifacttest.OpWrite: 1, artifacttest.OpCopy: 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, f := artifacttest.NewFaultyStore(t, nil)
			count := func() ops {
				return ops{
					artifacttest.OpWrite: f.Calls(artifacttest.OpWrite),
					artifacttest.OpCopy:  f.Calls(artifacttest.OpCopy),
				}
			}
			d, err := s.Put(ctx, tt.src(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.first, count()); diff != "" {
				t.Fatalf("first Put (-want +got):\n%s", diff)
			}
			again, err := s.Put(ctx, tt.src(), nil)
			if err != nil || again.Digest != d.Digest {
				t.Fatalf("second Put = %v, %v", again, err)
			}
			if diff := cmp.Diff(tt.afterAgain, count()); diff != "" {
				t.Fatalf("second Put (-want +got):\n%s", diff)
			}
			if _, err := s.PutKnown(ctx, d, strings.NewReader(text)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.afterAgain, count()); diff != "" {
				t.Fatalf("PutKnown of stored content (-want +got):\n%s", diff)
			}
			var n int
			if err := s.Walk(ctx, func(artifact.Info) error { n++; return nil }); err != nil || n != 1 {
				t.Fatalf("walk: %d objects, %v", n, err)
			}
		})
	}
}
