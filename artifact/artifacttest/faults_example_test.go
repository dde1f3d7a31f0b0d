package artifacttest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/artifact/artifacttest"
)

// The stores of artifacttest are made for a test and take its testing.TB
// (for cleanup and failures), which an example has none of, so this
// example is compiled but not run; TestLoadModel runs the same faults.
func ExampleNewFaultyStore() {
	testLoad := func(t *testing.T) {
		ctx := context.Background()
		s, faults := artifacttest.NewFaultyStore(t, nil)
		model := artifacttest.Seed(t, s, "weights v1")[0]

		faults.Corrupt(model.Digest) // the bucket returns damaged bytes
		if _, err := s.Get(ctx, model.Digest); !errors.Is(err, artifact.ErrDigestMismatch) {
			t.Fatalf("err = %v, want ErrDigestMismatch", err)
		}
		faults.Reset()

		faults.Fail(artifacttest.OpRead, nil) // storage is down
		if _, err := s.Get(ctx, model.Digest); !errors.Is(err, artifacttest.ErrInjected) {
			t.Fatalf("err = %v, want the injected fault", err)
		}
	}
	_ = testLoad
}
