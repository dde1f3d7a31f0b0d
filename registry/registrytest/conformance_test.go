package registrytest

import (
	"context"
	"errors"
	"testing"

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
