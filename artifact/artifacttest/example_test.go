package artifacttest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/artifact/artifacttest"
)

// loadModel stands for code under test in a user's package: it reads a
// model from the store, and must refuse damaged bytes and report a missing
// model as such.
func loadModel(ctx context.Context, s *artifact.Store, d artifact.Digest) (string, error) {
	b, err := s.Get(ctx, d)
	if err != nil {
		return "", fmt.Errorf("load model %s: %w", d, err)
	}
	return string(b), nil
}

// TestLoadModel is written as a user of artifacttest would write it.
func TestLoadModel(t *testing.T) {
	ctx := context.Background()
	s, faults := artifacttest.NewFaultyStore(t, nil)
	model := artifacttest.Seed(t, s, "weights v1")[0]

	t.Run("intact", func(t *testing.T) {
		got, err := loadModel(ctx, s, model.Digest)
		if err != nil || got != "weights v1" {
			t.Fatalf("loadModel = %q, %v", got, err)
		}
	})
	t.Run("corrupted on disk", func(t *testing.T) {
		faults.Corrupt(model.Digest)
		defer faults.Reset()
		if _, err := loadModel(ctx, s, model.Digest); !errors.Is(err, artifact.ErrDigestMismatch) {
			t.Fatalf("err = %v, want ErrDigestMismatch", err)
		}
	})
	t.Run("lost", func(t *testing.T) {
		faults.Hide(model.Digest)
		defer faults.Reset()
		if _, err := loadModel(ctx, s, model.Digest); !errors.Is(err, artifact.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("storage down", func(t *testing.T) {
		faults.Fail(artifacttest.OpRead, nil)
		defer faults.Reset()
		if _, err := loadModel(ctx, s, model.Digest); !errors.Is(err, artifacttest.ErrInjected) {
			t.Fatalf("err = %v, want the injected fault", err)
		}
	})
	t.Run("upload fails", func(t *testing.T) {
		faults.FailNth(artifacttest.OpWrite, faults.Calls(artifacttest.OpWrite)+1, nil)
		defer faults.Reset()
		_, err := s.Put(ctx, strings.NewReader("weights v2"), nil)
		if !errors.Is(err, artifacttest.ErrInjected) {
			t.Fatalf("err = %v, want the injected fault", err)
		}
	})
}
