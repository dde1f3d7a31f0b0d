package datasettest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/dataset/datasettest"
)

// A service's test: check out a dataset version the way production would,
// and make sure corruption in the store is caught.
func TestCheckoutOfACommittedVersion(t *testing.T) {
	ctx := context.Background()
	files := map[string]string{
		"readings.csv": "id,temp\n1,20.5\n",
		"meta/README":  "November",
	}
	s, v := datasettest.NewCommitted(t, "sensors", files)
	dir := t.TempDir()
	if _, _, err := s.Checkout(ctx, "sensors", "latest", dir, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(files, datasettest.ReadTree(t, dir)); diff != "" {
		t.Fatalf("checkout (-committed +checked out):\n%s", diff)
	}

	datasettest.Corrupt(t, s, v, "readings.csv")
	_, _, err := s.Checkout(ctx, "sensors", "1", t.TempDir(), nil)
	if !errors.Is(err, dataset.ErrDigestMismatch) {
		t.Fatalf("checkout of corrupted data: %v, want dataset.ErrDigestMismatch", err)
	}
}

type subjectKey struct{}

// roleAuthorizer allows the subject "admin" everything on datasets.
type roleAuthorizer struct{}

var errForbidden = errors.New("forbidden")

func (roleAuthorizer) Authorize(ctx context.Context, verb, resource, name string) error {
	if ctx.Value(subjectKey{}) == "admin" && resource == "datasets" {
		return nil
	}
	return errForbidden
}

func TestAuthorizerConformance(t *testing.T) {
	datasettest.RunConformance(t, func(t *testing.T) (dataset.Authorizer, context.Context, context.Context) {
		return roleAuthorizer{}, context.WithValue(t.Context(), subjectKey{}, "admin"), context.WithValue(t.Context(), subjectKey{}, "guest")
	})
}
