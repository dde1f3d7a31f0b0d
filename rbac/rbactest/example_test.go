package rbactest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/rbac/rbactest"
)

// promote is code under test: it asks before it acts.
func promote(ctx context.Context, authz rbactest.Authorizer, model string) error {
	if err := authz.Authorize(ctx, rbac.VerbPromote, rbac.ResourceModelAliases, model); err != nil {
		return fmt.Errorf("promote %s: %w", model, err)
	}
	return nil
}

func TestPromoteAsksForPermission(t *testing.T) {
	authz := rbactest.New(t, `
apiVersion: sextant/v1
kind: Role
metadata: {name: promoter}
rules: [{resources: [models/aliases], verbs: [promote], names: ["fraud-*"]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: release}
role: promoter
subjects: [{kind: Group, name: release}]
`)
	rec := &rbactest.Recorder{Next: authz}
	ctx := rbac.WithSubject(context.Background(), rbac.Subject{Name: "rita", Groups: []string{"release"}})
	if err := promote(ctx, rec, "fraud-v2"); err != nil {
		t.Fatal(err)
	}
	if err := promote(ctx, rec, "churn"); !errors.Is(err, rbac.ErrDenied) {
		t.Fatalf("promote churn: %v, want a denial", err)
	}
	if calls := rec.Calls(); len(calls) != 2 || calls[0].Verb != "promote" || calls[1].Name != "churn" {
		t.Errorf("calls: %v", calls)
	}
}

// An implementation of the contract of your own runs the same checks.
func TestMyAuthorizerConforms(t *testing.T) {
	rbactest.RunConformance(t, func(t *testing.T) rbactest.Setup {
		// An empty policy: everything is denied, to anyone.
		nobody := rbac.WithSubject(context.Background(), rbac.Subject{Name: "nobody"})
		return rbactest.Setup{Authorizer: rbactest.New(t, ""), Denied: nobody}
	})
}

func Example() {
	ctx := rbac.WithSubject(context.Background(), rbac.Subject{Name: "rita"})
	err := promote(ctx, rbactest.DenyAll{}, "fraud-v2")
	fmt.Println(errors.Is(err, rbac.ErrDenied))
	fmt.Println(promote(ctx, rbactest.AllowAll{}, "fraud-v2"))
	// Output:
	// true
	// <nil>
}
