package rbactest

import (
	"fmt"
	"slices"

	"github.com/sextant-ml/sextant/rbac"
)

// Request is one benchmark question with its expected answer.
type Request struct {
	Subject  rbac.Subject
	Verb     string
	Resource string
	Scope    string
	Name     string
	Allowed  bool
}

// Sized builds the policy shape of Casbin's BenchmarkRBACModelSizes: roles
// roles, role i granting get on the dataset named
// "data-has-a-very-long-name-<i mod resources>", and users users, user j
// bound to role j mod roles; and the same 17 requests, alternating between
// allowed and denied. Casbin's small, medium and large cases are (100, 10,
// 1000), (1000, 100, 10000) and (10000, 1000, 100000).
//
// Sizes below 1 give an empty policy and no requests.
func Sized(roles, resources, users int) (*rbac.Policy, []Request) {
	if roles < 1 || resources < 1 || users < 1 {
		return &rbac.Policy{}, nil
	}
	p := &rbac.Policy{
		Roles:    make([]rbac.Role, roles),
		Bindings: make([]rbac.Binding, roles),
	}
	for i := range roles {
		name := fmt.Sprintf("group-has-a-very-long-name-%d", i)
		p.Roles[i] = rbac.Role{Name: name, Rules: []rbac.Rule{{
			Verbs: []string{"get"}, Resources: []string{"datasets"},
			Names: []string{fmt.Sprintf("data-has-a-very-long-name-%d", i%resources)},
		}}}
		p.Bindings[i] = rbac.Binding{Name: name, Role: name}
	}
	for j := range users {
		b := &p.Bindings[j%roles]
		b.Subjects = append(b.Subjects, rbac.SubjectRef{Kind: rbac.User, Name: fmt.Sprintf("user-has-a-very-long-name-%d", j)})
	}
	// With fewer users than roles, some roles are bound to nobody; a
	// binding without subjects is not a valid policy, so drop those.
	p.Bindings = slices.DeleteFunc(p.Bindings, func(b rbac.Binding) bool { return len(b.Subjects) == 0 })
	const n = 17
	reqs := make([]Request, n)
	for i := range reqs {
		user := (users / n) * i
		resource := user % roles % resources
		if i%2 == 0 {
			resource = (resource + 1) % resources
		}
		reqs[i] = Request{
			Subject:  rbac.Subject{Kind: rbac.User, Name: fmt.Sprintf("user-has-a-very-long-name-%d", user)},
			Verb:     "get",
			Resource: "datasets",
			Name:     fmt.Sprintf("data-has-a-very-long-name-%d", resource),
			Allowed:  resource == user%roles%resources,
		}
	}
	return p, reqs
}

// FiveRules is Casbin's BenchmarkRBACModel case (rbac_policy.csv: four
// permission lines and one role assignment) in this package's terms: alice
// reads data1 and, as data2 admin, reads and writes data2; bob writes
// data2. The request is alice reading data2.
func FiveRules() (*rbac.Policy, []Request) {
	rule := func(verb, name string) rbac.Rule {
		return rbac.Rule{Verbs: []string{verb}, Resources: []string{"datasets"}, Names: []string{name}}
	}
	user := func(name string) []rbac.SubjectRef { return []rbac.SubjectRef{{Kind: rbac.User, Name: name}} }
	p := &rbac.Policy{
		Roles: []rbac.Role{
			{Name: "alice", Rules: []rbac.Rule{rule("get", "data1")}},
			{Name: "bob", Rules: []rbac.Rule{rule("update", "data2")}},
			{Name: "data2_admin", Rules: []rbac.Rule{rule("get", "data2"), rule("update", "data2")}},
		},
		Bindings: []rbac.Binding{
			{Name: "alice", Role: "alice", Subjects: user("alice")},
			{Name: "bob", Role: "bob", Subjects: user("bob")},
			{Name: "alice-data2_admin", Role: "data2_admin", Subjects: user("alice")},
		},
	}
	return p, []Request{{Subject: rbac.Subject{Kind: rbac.User, Name: "alice"}, Verb: "get", Resource: "datasets", Name: "data2", Allowed: true}}
}
