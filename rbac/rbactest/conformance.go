package rbactest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/sextant-ml/sextant/rbac"
)

// RunConformance checks that the authorizers made by newAuthorizer keep
// the Authorize contract, whatever their policy: no subject gives
// rbac.ErrNoSubject; a subject of kind Group (or unknown) is refused with
// rbac.ErrInvalidSubject; requests outside the vocabulary are denied; every
// error matches rbac.ErrDenied or rbac.ErrNoSubject, never both; answers
// are deterministic and safe to ask for concurrently. Each behaviour is a
// subtest.
func RunConformance(t *testing.T, newAuthorizer func(t *testing.T) Authorizer) {
	someone := rbac.WithSubject(context.Background(), rbac.Subject{Kind: rbac.User, Name: "conformance-user", Groups: []string{"conformance"}})

	t.Run("no subject gives ErrNoSubject", func(t *testing.T) {
		a := newAuthorizer(t)
		for _, ctx := range []context.Context{
			context.Background(),
			rbac.WithScope(context.Background(), "proj"),
			rbac.WithSubject(context.Background(), rbac.Subject{Kind: rbac.ServiceAccount, Groups: []string{"g"}}),
		} {
			err := a.Authorize(ctx, "get", "models", "m")
			if !errors.Is(err, rbac.ErrNoSubject) || errors.Is(err, rbac.ErrDenied) {
				t.Errorf("Authorize without a subject = %v, want ErrNoSubject (and not ErrDenied)", err)
			}
		}
	})

	t.Run("a group is not a principal", func(t *testing.T) {
		a := newAuthorizer(t)
		for _, k := range []rbac.SubjectKind{rbac.Group, "Robot", "user"} {
			// Named after the group the suite's user belongs to, so an
			// authorizer that reads the kind as a group membership has
			// something to grant.
			ctx := rbac.WithSubject(context.Background(), rbac.Subject{Kind: k, Name: "conformance", Groups: []string{"conformance"}})
			for _, verb := range []string{"get", "list", "create"} {
				err := a.Authorize(ctx, verb, "models", "m")
				if !errors.Is(err, rbac.ErrInvalidSubject) || !errors.Is(err, rbac.ErrDenied) || errors.Is(err, rbac.ErrNoSubject) {
					t.Errorf("Authorize(%s) as kind %q = %v, want ErrInvalidSubject and ErrDenied", verb, k, err)
				}
			}
		}
	})

	outside := []struct{ name, verb, resource, object string }{
		{"unknown verb", "watch", "models", "m"},
		{"verb in the wrong case", "GET", "models", "m"},
		{"wildcard verb", "*", "models", "m"},
		{"unknown resource", "get", "pods", "m"},
		{"wildcard resource", "get", "*", "m"},
		{"empty verb", "", "models", "m"},
		{"path traversal in the name", "get", "models", "../m"},
		{"empty segment in the name", "get", "models", "a//b"},
	}
	for _, o := range outside {
		t.Run("default deny: "+o.name, func(t *testing.T) {
			a := newAuthorizer(t)
			err := a.Authorize(someone, o.verb, o.resource, o.object)
			if !errors.Is(err, rbac.ErrDenied) || errors.Is(err, rbac.ErrNoSubject) {
				t.Errorf("Authorize(%q, %q, %q) = %v, want ErrDenied", o.verb, o.resource, o.object, err)
			}
		})
	}

	t.Run("answers are nil, ErrDenied or ErrNoSubject", func(t *testing.T) {
		a := newAuthorizer(t)
		for _, verb := range rbac.Verbs() {
			for _, res := range rbac.Resources() {
				for _, name := range []string{"", "m", "team/m/3"} {
					err := a.Authorize(someone, verb, res, name)
					if err != nil && !errors.Is(err, rbac.ErrDenied) {
						t.Errorf("Authorize(%q, %q, %q) = %v, want nil or ErrDenied", verb, res, name, err)
					}
					if err != nil && err.Error() == "" {
						t.Errorf("Authorize(%q, %q, %q) returned an error without a message", verb, res, name)
					}
				}
			}
		}
	})

	t.Run("answers are deterministic", func(t *testing.T) {
		a := newAuthorizer(t)
		for _, verb := range rbac.Verbs() {
			first := a.Authorize(someone, verb, "models", "m")
			for range 3 {
				if again := a.Authorize(someone, verb, "models", "m"); (again == nil) != (first == nil) {
					t.Fatalf("Authorize(%q) answered %v, then %v", verb, first, again)
				}
			}
		}
	})

	t.Run("safe for concurrent use", func(t *testing.T) {
		a := newAuthorizer(t)
		verbs := rbac.Verbs()
		want := make([]bool, len(verbs))
		for i, v := range verbs {
			want[i] = a.Authorize(someone, v, "datasets", "d") == nil
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 50 {
					for i, v := range verbs {
						if got := a.Authorize(someone, v, "datasets", "d") == nil; got != want[i] {
							t.Errorf("concurrent Authorize(%q) allowed=%v, sequential %v", v, got, want[i])
							return
						}
					}
				}
			})
		}
		wg.Wait()
	})

	t.Run("a scope does not change a refusal of a malformed request", func(t *testing.T) {
		a := newAuthorizer(t)
		err := a.Authorize(rbac.WithScope(someone, "proj"), "watch", "models", "m")
		if !errors.Is(err, rbac.ErrDenied) {
			t.Errorf("Authorize with a scope = %v, want ErrDenied", err)
		}
	})
}
