package registrytest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/rbac/rbactest"
)

// adminAuthorizer is an authorizer written by hand, not compiled from a
// policy: it allows the user "admin" everything on models and nobody
// anything else, and keeps the contract rbac.Checker states.
type adminAuthorizer struct{}

func (adminAuthorizer) Authorize(ctx context.Context, verb, resource, name string) error {
	s, _ := rbac.SubjectFrom(ctx)
	if err := s.Validate(); errors.Is(err, rbac.ErrNoSubject) {
		return err
	} else if err != nil {
		return fmt.Errorf("%w: %w", rbac.ErrDenied, err)
	}
	wellFormed := slices.Contains(rbac.Verbs(), verb) && slices.Contains(rbac.Resources(), resource) && (name == "" || rbac.ValidName(name))
	onModels := resource == rbac.ResourceModels || resource == rbac.ResourceModelVersions || resource == rbac.ResourceModelAliases
	if wellFormed && onModels && s.Name == "admin" {
		return nil
	}
	return fmt.Errorf("%w: %s may not %s %s %q", rbac.ErrDenied, s.Name, verb, resource, name)
}

func TestConsumer(t *testing.T) {
	rbactest.RunConformance(t, func(t *testing.T) rbactest.Setup {
		bg := context.Background()
		return rbactest.Setup{Authorizer: adminAuthorizer{},
			Allowed: rbac.WithSubject(bg, rbac.Subject{Name: "admin"}),
			Denied:  rbac.WithSubject(bg, rbac.Subject{Name: "guest"})}
	}, Consumer())
}

// TestConsumerRBAC runs the suite on rbac's compiled authorizer, the one
// most users plug in: a subject bound to every registry permission, and
// one bound to nothing.
func TestConsumerRBAC(t *testing.T) {
	rbactest.RunConformance(t, func(t *testing.T) rbactest.Setup {
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
		return rbactest.Setup{Authorizer: a,
			Allowed: rbac.WithSubject(bg, rbac.Subject{Name: "ada"}),
			Denied:  rbac.WithSubject(bg, rbac.Subject{Name: "mallory"})}
	}, Consumer())
}
