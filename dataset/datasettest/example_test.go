package datasettest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/dataset/datasettest"
)

// Every function of datasettest takes the test's testing.TB (for cleanup,
// temporary directories and failures), which an example has none of, so
// this example is compiled but not run; TestCheckoutOfACommittedVersion
// runs the same steps.
func ExampleNewCommitted() {
	testCheckout := func(t *testing.T) {
		ctx := context.Background()
		files := map[string]string{"readings.csv": "id,temp\n1,20.5\n", "meta/README": "November"}
		s, v := datasettest.NewCommitted(t, "sensors", files)

		dir := t.TempDir()
		if _, _, err := s.Checkout(ctx, "sensors", "latest", dir, nil); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(files, datasettest.ReadTree(t, dir)); diff != "" {
			t.Fatalf("checkout (-committed +checked out):\n%s", diff)
		}

		datasettest.Corrupt(t, s, v, "readings.csv") // damage the stored bytes
		if _, _, err := s.Checkout(ctx, "sensors", "1", t.TempDir(), nil); !errors.Is(err, dataset.ErrDigestMismatch) {
			t.Fatalf("checkout of corrupted data: %v, want dataset.ErrDigestMismatch", err)
		}
	}
	_ = testCheckout
}
