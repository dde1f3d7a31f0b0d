package registrytest

import (
	"context"
	"errors"
	"testing"

	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/rbac/rbactest"
	"github.com/sextant-ml/sextant/registry"
)

type subjectKey struct{}

// subjectAuthorizer allows the subject "admin" everything and nobody else.
type subjectAuthorizer struct{}

var errNotAdmin = errors.New("not an admin")

func (subjectAuthorizer) Authorize(ctx context.Context, verb, resource, name string) error {
	if s, _ := ctx.Value(subjectKey{}).(string); s == "admin" {
		return nil
	}
	return errNotAdmin
}

func TestRunConformance(t *testing.T) {
	RunConformance(t, func(t *testing.T) (registry.Authorizer, context.Context, context.Context) {
		bg := context.Background()
		return subjectAuthorizer{}, context.WithValue(bg, subjectKey{}, "admin"), context.WithValue(bg, subjectKey{}, "guest")
	})
}

// TestRunConformanceRBAC runs the suite on rbac's compiled authorizer, the
// one most users plug in: a subject bound to every registry permission, and
// one bound to nothing.
func TestRunConformanceRBAC(t *testing.T) {
	RunConformance(t, func(t *testing.T) (registry.Authorizer, context.Context, context.Context) {
		a := rbactest.New(t, `
apiVersion: sextant/v1
kind: Role
metadata: {name: registry-admin}
rules: [{resources: [models, models/versions, models/aliases], verbs: ["*"]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: admins}
role: registry-admin
subjects: [{kind: User, name: ada}]
`)
		bg := context.Background()
		return a, rbac.WithSubject(bg, rbac.Subject{Name: "ada"}), rbac.WithSubject(bg, rbac.Subject{Name: "mallory"})
	})
}
