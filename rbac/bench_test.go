package rbac_test

import (
	"testing"

	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/rbac/rbactest"
)

// The shapes of Casbin's BenchmarkRBACModel (five rules) and
// BenchmarkRBACModelSizes; bench/ runs Casbin beside these in one process.
var shapes = []struct {
	name                    string
	roles, resources, users int
}{
	{"small", 100, 10, 1000},
	{"medium", 1000, 100, 10000},
	{"large", 10000, 1000, 100000},
}

func benchDecide(b *testing.B, p *rbac.Policy, reqs []rbactest.Request) {
	a, err := rbac.New(p, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range reqs {
		if a.Decide(r.Subject, r.Verb, r.Resource, r.Scope, r.Name).Allowed != r.Allowed {
			b.Fatalf("wrong answer for %+v", r)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := &reqs[i%len(reqs)]
		i++
		a.Decide(r.Subject, r.Verb, r.Resource, r.Scope, r.Name)
	}
}

func BenchmarkDecide(b *testing.B) {
	b.Run("five-rules", func(b *testing.B) {
		p, reqs := rbactest.FiveRules()
		benchDecide(b, p, reqs)
	})
	for _, s := range shapes {
		b.Run(s.name, func(b *testing.B) {
			p, reqs := rbactest.Sized(s.roles, s.resources, s.users)
			benchDecide(b, p, reqs)
		})
	}
}

// BenchmarkDecideGlob is a decision that falls through to name patterns.
func BenchmarkDecideGlob(b *testing.B) {
	p := &rbac.Policy{
		Roles: []rbac.Role{{Name: "r", Rules: []rbac.Rule{{
			Verbs: []string{"promote"}, Resources: []string{"models/aliases"},
			Names: []string{"churn-*", "risk/**", "fraud-*/v?"},
		}}}},
		Bindings: []rbac.Binding{{Name: "b", Role: "r", Subjects: []rbac.SubjectRef{{Kind: rbac.Group, Name: "release"}}}},
	}
	benchDecide(b, p, []rbactest.Request{{
		Subject: rbac.Subject{Name: "rita", Groups: []string{"ml", "release"}},
		Verb:    "promote", Resource: "models/aliases", Name: "fraud-detector/v2", Allowed: true,
	}})
}
