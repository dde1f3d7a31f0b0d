package rbactest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/sextant-ml/sextant/rbac"
)

// Question is one permission a package asks an authorizer for: a verb of
// rbac.Verbs on a resource of rbac.Resources.
type Question struct{ Verb, Resource string }

// Setup is an authorizer under test and the subjects RunConformance asks
// as. The zero Setup is not usable: Authorizer is required.
type Setup struct {
	// Authorizer is the implementation under test.
	Authorizer Authorizer
	// Allowed carries (rbac.WithSubject) a subject the authorizer allows
	// every question of every Consumer given to RunConformance, whatever
	// the name asked about. Nil when the authorizer allows nobody anything.
	Allowed context.Context
	// Denied carries a subject the authorizer refuses every question of
	// every Consumer. Nil when it refuses nobody (rbactest.AllowAll).
	//
	// At least one of Allowed and Denied is required, and both are when
	// consumers are given.
	Denied context.Context
}

// Consumer is what a package that takes an authorizer asks of it: the
// questions, and optionally a run of the package itself with the
// authorizer plugged in. registrytest.Consumer and datasettest.Consumer
// describe the registry and the dataset store.
type Consumer struct {
	// Name names the consumer's subtests, for example "registry".
	Name string
	// Questions are the permissions the package asks for and needs
	// answered yes for its operations to work.
	Questions []Question
	// Exercise, when set, plugs s.Authorizer into the package and checks
	// that s.Allowed may use it and that s.Denied is refused by every
	// operation and changes nothing.
	Exercise func(t *testing.T, s Setup)
}

// names are the object names every question is asked about: none (a
// list, or a question about the kind) and one.
var names = [...]string{"", "fraud"}

// RunConformance checks that the authorizers newSetup makes keep the
// Authorize contract that rbac.Checker states, and that they answer what
// each consumer asks. Each behaviour is a subtest:
//
//   - no subject gives rbac.ErrNoSubject (and not rbac.ErrDenied);
//   - a subject of kind Group (or unknown) is refused with
//     rbac.ErrInvalidSubject, even when a group of that name is granted;
//   - requests outside the vocabulary (unknown or wildcard verbs and
//     resources, malformed names) are denied, even to the allowed subject;
//   - every error matches rbac.ErrDenied or rbac.ErrNoSubject, never both,
//     and says something;
//   - answers are deterministic and safe to ask for concurrently (run with
//     -race);
//   - for each consumer, every question is allowed to Allowed and refused
//     to Denied, and the consumer's Exercise passes.
//
// With no consumers only the contract is checked, which is what an
// authorizer that denies everything can be asked.
func RunConformance(t *testing.T, newSetup func(t *testing.T) Setup, consumers ...Consumer) {
	setup := func(t *testing.T) Setup {
		t.Helper()
		s := newSetup(t)
		switch {
		case s.Authorizer == nil:
			t.Fatal("rbactest: Setup.Authorizer is nil")
		case s.Allowed == nil && s.Denied == nil:
			t.Fatal("rbactest: Setup has neither an Allowed nor a Denied subject")
		case len(consumers) > 0 && (s.Allowed == nil || s.Denied == nil):
			t.Fatal("rbactest: consumers need both Setup.Allowed and Setup.Denied")
		}
		return s
	}
	// asking returns the subjects to ask as, Allowed first.
	asking := func(s Setup) []context.Context {
		var ctxs []context.Context
		for _, ctx := range []context.Context{s.Allowed, s.Denied} {
			if ctx != nil {
				ctxs = append(ctxs, ctx)
			}
		}
		return ctxs
	}
	var questions []Question
	for _, c := range consumers {
		questions = append(questions, c.Questions...)
	}

	t.Run("no subject gives ErrNoSubject", func(t *testing.T) {
		a := setup(t).Authorizer
		for _, ctx := range []context.Context{
			context.Background(),
			rbac.WithScope(context.Background(), "proj"),
			rbac.WithSubject(context.Background(), rbac.Subject{Kind: rbac.ServiceAccount, Groups: []string{"g"}}),
		} {
			for _, q := range append([]Question{{rbac.VerbGet, rbac.ResourceModels}}, questions...) {
				err := a.Authorize(ctx, q.Verb, q.Resource, "m")
				if !errors.Is(err, rbac.ErrNoSubject) || errors.Is(err, rbac.ErrDenied) {
					t.Errorf("Authorize(%s %s) without a subject = %v, want ErrNoSubject (and not ErrDenied)", q.Verb, q.Resource, err)
				}
			}
		}
	})

	t.Run("a group is not a principal", func(t *testing.T) {
		s := setup(t)
		for _, ctx := range asking(s) {
			ref, _ := rbac.SubjectFrom(ctx)
			// Named after the subject and each of its groups, so an
			// authorizer that reads the kind as a group membership has
			// something to grant.
			for _, k := range []rbac.SubjectKind{rbac.Group, "Robot", "user"} {
				for _, name := range append([]string{ref.Name}, ref.Groups...) {
					as := rbac.WithSubject(context.Background(), rbac.Subject{Kind: k, Name: name, Groups: ref.Groups})
					for _, q := range append([]Question{{rbac.VerbGet, rbac.ResourceModels}, {rbac.VerbList, rbac.ResourceModels}, {rbac.VerbCreate, rbac.ResourceModels}}, questions...) {
						err := s.Authorizer.Authorize(as, q.Verb, q.Resource, "m")
						if !errors.Is(err, rbac.ErrInvalidSubject) || !errors.Is(err, rbac.ErrDenied) || errors.Is(err, rbac.ErrNoSubject) {
							t.Errorf("Authorize(%s %s) as kind %q named %q = %v, want ErrInvalidSubject and ErrDenied", q.Verb, q.Resource, k, name, err)
						}
					}
				}
			}
		}
	})

	outside := []struct{ name, verb, resource, object string }{
		{"unknown verb", "watch", rbac.ResourceModels, "m"},
		{"verb in the wrong case", "GET", rbac.ResourceModels, "m"},
		{"wildcard verb", "*", rbac.ResourceModels, "m"},
		{"unknown resource", rbac.VerbGet, "pods", "m"},
		{"wildcard resource", rbac.VerbGet, "*", "m"},
		{"empty verb", "", rbac.ResourceModels, "m"},
		{"path traversal in the name", rbac.VerbGet, rbac.ResourceModels, "../m"},
		{"empty segment in the name", rbac.VerbGet, rbac.ResourceModels, "a//b"},
	}
	seen := map[string]bool{rbac.ResourceModels: true}
	for _, q := range questions {
		if seen[q.Resource] {
			continue
		}
		seen[q.Resource] = true
		outside = append(outside,
			struct{ name, verb, resource, object string }{"unknown verb on " + q.Resource, "watch", q.Resource, "m"},
			struct{ name, verb, resource, object string }{"path traversal in a name of " + q.Resource, q.Verb, q.Resource, "../m"})
	}
	for _, o := range outside {
		t.Run("default deny: "+o.name, func(t *testing.T) {
			s := setup(t)
			for _, ctx := range asking(s) {
				err := s.Authorizer.Authorize(ctx, o.verb, o.resource, o.object)
				if !errors.Is(err, rbac.ErrDenied) || errors.Is(err, rbac.ErrNoSubject) {
					t.Errorf("Authorize(%q, %q, %q) = %v, want ErrDenied", o.verb, o.resource, o.object, err)
				}
			}
		})
	}

	t.Run("answers are nil or ErrDenied", func(t *testing.T) {
		s := setup(t)
		for _, ctx := range asking(s) {
			for _, verb := range rbac.Verbs() {
				for _, res := range rbac.Resources() {
					for _, name := range []string{"", "m", "team/m/3"} {
						err := s.Authorizer.Authorize(ctx, verb, res, name)
						if err != nil && (!errors.Is(err, rbac.ErrDenied) || errors.Is(err, rbac.ErrNoSubject)) {
							t.Errorf("Authorize(%q, %q, %q) = %v, want nil or ErrDenied", verb, res, name, err)
						}
						if err != nil && err.Error() == "" {
							t.Errorf("Authorize(%q, %q, %q) returned an error without a message", verb, res, name)
						}
					}
				}
			}
		}
	})

	t.Run("answers are deterministic", func(t *testing.T) {
		s := setup(t)
		for _, ctx := range asking(s) {
			for _, verb := range rbac.Verbs() {
				first := s.Authorizer.Authorize(ctx, verb, rbac.ResourceModels, "m")
				for range 3 {
					if again := s.Authorizer.Authorize(ctx, verb, rbac.ResourceModels, "m"); (again == nil) != (first == nil) {
						t.Fatalf("Authorize(%q) answered %v, then %v", verb, first, again)
					}
				}
			}
		}
	})

	t.Run("safe for concurrent use", func(t *testing.T) {
		s := setup(t)
		type ask struct {
			ctx  context.Context
			q    Question
			want bool
		}
		var asks []ask
		for _, ctx := range asking(s) {
			for _, v := range rbac.Verbs() {
				asks = append(asks, ask{ctx, Question{v, rbac.ResourceDatasets}, false})
			}
			for _, q := range questions {
				asks = append(asks, ask{ctx, q, false})
			}
		}
		for i := range asks {
			asks[i].want = s.Authorizer.Authorize(asks[i].ctx, asks[i].q.Verb, asks[i].q.Resource, "d") == nil
		}
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for j := range 50 * len(asks) / 8 {
					a := asks[(g+j)%len(asks)]
					if got := s.Authorizer.Authorize(a.ctx, a.q.Verb, a.q.Resource, "d") == nil; got != a.want {
						t.Errorf("concurrent Authorize(%s %s) allowed=%v, sequential %v", a.q.Verb, a.q.Resource, got, a.want)
						return
					}
				}
			})
		}
		wg.Wait()
	})

	t.Run("a scope does not change a refusal of a malformed request", func(t *testing.T) {
		s := setup(t)
		for _, ctx := range asking(s) {
			err := s.Authorizer.Authorize(rbac.WithScope(ctx, "proj"), "watch", rbac.ResourceModels, "m")
			if !errors.Is(err, rbac.ErrDenied) {
				t.Errorf("Authorize with a scope = %v, want ErrDenied", err)
			}
		}
	})

	for _, c := range consumers {
		name := c.Name
		if name == "" {
			name = "consumer"
		}
		t.Run(name+": questions outside the vocabulary", func(t *testing.T) {
			for _, q := range c.Questions {
				if !slices.Contains(rbac.Verbs(), q.Verb) || !slices.Contains(rbac.Resources(), q.Resource) {
					t.Errorf("question %s %s is not in rbac's vocabulary", q.Verb, q.Resource)
				}
			}
		})
		t.Run(name+": allowed subject is allowed every question", func(t *testing.T) {
			s := setup(t)
			for _, q := range c.Questions {
				for _, n := range names {
					if err := s.Authorizer.Authorize(s.Allowed, q.Verb, q.Resource, n); err != nil {
						t.Errorf("allowed subject: %s %s %q: %v", q.Verb, q.Resource, n, err)
					}
				}
			}
		})
		t.Run(name+": denied subject is refused every question", func(t *testing.T) {
			s := setup(t)
			for _, q := range c.Questions {
				for _, n := range names {
					err := s.Authorizer.Authorize(s.Denied, q.Verb, q.Resource, n)
					if err == nil {
						t.Errorf("denied subject: %s %s %q was allowed", q.Verb, q.Resource, n)
					} else if !errors.Is(err, rbac.ErrDenied) {
						t.Errorf("denied subject: %s %s %q = %v, want ErrDenied", q.Verb, q.Resource, n, err)
					}
				}
			}
		})
		if c.Exercise != nil {
			t.Run(name+": exercise", func(t *testing.T) {
				c.Exercise(t, setup(t))
			})
		}
	}
}
