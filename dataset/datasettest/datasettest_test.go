package datasettest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/dataset/datasettest"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/rbac/rbactest"
)

// A service's test: check out a dataset version the way production would,
// and make sure corruption in the store is caught.
func TestCheckoutOfACommittedVersion(t *testing.T) {
	ctx := context.Background()
	files := map[string]string{
		"readings.csv": "id,temp\n1,20.5\n",
		"meta/README":  "November",
	}
	s, v := datasettest.NewVersion(t, "sensors", files)
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

// TestAuthorizerConformance runs the one authorization suite on rbac's
// compiled authorizer with the questions a Store asks.
func TestAuthorizerConformance(t *testing.T) {
	rbactest.RunConformance(t, func(t *testing.T) rbactest.Setup {
		a := rbactest.New(t, `
apiVersion: sextant/v1
kind: Role
metadata: {name: data}
rules: [{resources: [datasets, artifacts], verbs: ["*"]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: data}
role: data
subjects: [{kind: User, name: admin}]
`)
		return rbactest.Setup{Authorizer: a,
			Allowed: rbac.WithSubject(t.Context(), rbac.Subject{Name: "admin"}),
			Denied:  rbac.WithSubject(t.Context(), rbac.Subject{Name: "guest"})}
	}, datasettest.Consumer())
}
