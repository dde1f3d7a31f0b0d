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

// loadModel is code under test: it reads a model from the store and must
// refuse damaged bytes.
func loadModel(ctx context.Context, s *artifact.Store, d artifact.Digest) (string, error) {
	b, err := s.Get(ctx, d)
	if err != nil {
		return "", fmt.Errorf("load model: %w", err)
	}
	return string(b), nil
}

func Example() {
	t := &testing.T{} // in a real test, the *testing.T of the test function
	ctx := context.Background()

	s, faults := artifacttest.NewFaultyStore(t, nil)
	model := artifacttest.Seed(t, s, "weights v1")[0]

	m, err := loadModel(ctx, s, model.Digest)
	fmt.Println(m, err)

	faults.Corrupt(model.Digest)
	_, err = loadModel(ctx, s, model.Digest)
	fmt.Println(errors.Is(err, artifact.ErrDigestMismatch))

	faults.Reset()
	faults.FailNth(artifacttest.OpWrite, 1, nil)
	_, err = s.Put(ctx, strings.NewReader("weights v2"), nil)
	fmt.Println(errors.Is(err, artifacttest.ErrInjected))
	// Output:
	// weights v1 <nil>
	// true
	// true
}
