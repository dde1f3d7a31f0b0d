package bench

import (
	"fmt"
	"testing"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/rbac/rbactest"
)

// casbinRBAC is the model of Casbin's examples/rbac_model.conf, the one its
// BenchmarkRBACModel and BenchmarkRBACModelSizes use.
const casbinRBAC = `
[request_definition]
r = sub, obj, act

[policy_definition]
p = sub, obj, act

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act
`

// Case is one policy shape with its requests, ready for both engines.
type Case struct {
	Name     string
	Policy   *rbac.Policy
	Requests []rbactest.Request
	// Lines are the Casbin policy lines for the same shape: "p" rows
	// (role, object, action) and "g" rows (user, role).
	P, G [][]string
}

// Cases returns the five-rule case and Casbin's small, medium and large
// shapes; large only when withLarge is set (it takes seconds to build).
func Cases(withLarge bool) []Case {
	p, reqs := rbactest.FiveRules()
	cases := []Case{{
		Name: "five-rules", Policy: p, Requests: reqs,
		// Casbin's examples/rbac_policy.csv, with our verbs.
		P: [][]string{{"alice", "data1", "get"}, {"bob", "data2", "update"}, {"data2_admin", "data2", "get"}, {"data2_admin", "data2", "update"}},
		G: [][]string{{"alice", "data2_admin"}},
	}}
	sizes := []struct {
		name                    string
		roles, resources, users int
	}{{"small", 100, 10, 1000}, {"medium", 1000, 100, 10000}, {"large", 10000, 1000, 100000}}
	for _, s := range sizes {
		if s.name == "large" && !withLarge {
			continue
		}
		p, reqs := rbactest.Sized(s.roles, s.resources, s.users)
		c := Case{Name: s.name, Policy: p, Requests: reqs}
		for _, r := range p.Roles {
			for _, rule := range r.Rules {
				for _, n := range rule.Names {
					for _, v := range rule.Verbs {
						c.P = append(c.P, []string{r.Name, n, v})
					}
				}
			}
		}
		for _, b := range p.Bindings {
			for _, s := range b.Subjects {
				c.G = append(c.G, []string{s.Name, b.Role})
			}
		}
		cases = append(cases, c)
	}
	return cases
}

// Sextant compiles the case's policy.
func (c *Case) Sextant() (*rbac.Authorizer, error) { return rbac.New(c.Policy, nil) }

// Enforcer is what the comparison asks of every Casbin enforcer.
type Enforcer interface {
	Enforce(rvals ...any) (bool, error)
}

// Casbin builds an enforcer holding the case's policy lines.
func (c *Case) Casbin() (*casbin.Enforcer, error) {
	m, err := model.NewModelFromString(casbinRBAC)
	if err != nil {
		return nil, err
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, err
	}
	return e, c.load(e)
}

// CasbinCached builds Casbin's CachedEnforcer, which memoizes the answer
// to each distinct request: after the first round over the case's
// requests, every decision it makes is a cache hit, so its figure is the
// cost of a hit, the most favourable setting Casbin offers.
func (c *Case) CasbinCached() (*casbin.CachedEnforcer, error) {
	m, err := model.NewModelFromString(casbinRBAC)
	if err != nil {
		return nil, err
	}
	e, err := casbin.NewCachedEnforcer(m)
	if err != nil {
		return nil, err
	}
	return e, c.load(e)
}

// CasbinSyncedCached builds Casbin's SyncedCachedEnforcer, the
// CachedEnforcer made safe for concurrent use (which Sextant's Authorizer
// is).
func (c *Case) CasbinSyncedCached() (*casbin.SyncedCachedEnforcer, error) {
	m, err := model.NewModelFromString(casbinRBAC)
	if err != nil {
		return nil, err
	}
	e, err := casbin.NewSyncedCachedEnforcer(m)
	if err != nil {
		return nil, err
	}
	return e, c.load(e)
}

func (c *Case) load(e interface {
	AddPolicies([][]string) (bool, error)
	AddGroupingPolicies([][]string) (bool, error)
}) error {
	if _, err := e.AddPolicies(c.P); err != nil {
		return err
	}
	_, err := e.AddGroupingPolicies(c.G)
	return err
}

// Check makes sure both engines give every request its expected answer.
func (c *Case) Check(a *rbac.Authorizer, e Enforcer) error {
	for _, r := range c.Requests {
		if got := a.Decide(r.Subject, r.Verb, r.Resource, r.Scope, r.Name).Allowed; got != r.Allowed {
			return fmt.Errorf("%s: sextant answers %v for %+v", c.Name, got, r)
		}
		got, err := e.Enforce(r.Subject.Name, r.Name, r.Verb)
		if err != nil {
			return err
		}
		if got != r.Allowed {
			return fmt.Errorf("%s: casbin answers %v for %+v", c.Name, got, r)
		}
	}
	return nil
}

// BenchSextant measures Decide over the case's requests in turn.
func (c *Case) BenchSextant(b *testing.B, a *rbac.Authorizer) {
	c.loop(b, func(r *rbactest.Request) { a.Decide(r.Subject, r.Verb, r.Resource, r.Scope, r.Name) })
}

// BenchCasbin measures Enforce over the same requests.
func (c *Case) BenchCasbin(b *testing.B, e Enforcer) {
	c.loop(b, func(r *rbactest.Request) { _, _ = e.Enforce(r.Subject.Name, r.Name, r.Verb) })
}

func (c *Case) loop(b *testing.B, decide func(r *rbactest.Request)) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		decide(&c.Requests[i%len(c.Requests)])
		i++
	}
}
