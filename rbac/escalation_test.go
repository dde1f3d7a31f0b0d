package rbac

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestEscalation(t *testing.T) {
	p := &Policy{
		Roles: []Role{
			{Name: "editor", Rules: []Rule{
				{Verbs: []string{"get", "update"}, Resources: []string{"models", "models/aliases"}},
				{Verbs: []string{"promote"}, Resources: []string{"models/aliases"}, Names: []string{"fraud-*", "churn/**"}},
				{Verbs: []string{"create", "update"}, Resources: []string{"policies"}},
			}},
			{Name: "weak", Rules: []Rule{{Verbs: []string{"get"}, Resources: []string{"models"}}}},
			{Name: "strong", Rules: []Rule{{Verbs: []string{"*"}, Resources: []string{"*"}}}},
			{Name: "escalator", Rules: []Rule{{Verbs: []string{"escalate"}, Resources: []string{"policies"}, Names: []string{"anything-*"}}}},
			{Name: "binder", Rules: []Rule{{Verbs: []string{"bind"}, Resources: []string{"policies"}, Names: []string{"strong"}}}},
			{Name: "local", Rules: []Rule{{Verbs: []string{"delete"}, Resources: []string{"datasets"}}}},
		},
		Bindings: []Binding{
			{Name: "eds", Role: "editor", Subjects: []SubjectRef{{User, "ed"}, {User, "esc"}, {User, "bea"}}},
			{Name: "esc", Role: "escalator", Subjects: []SubjectRef{{User, "esc"}}},
			{Name: "bea", Scope: "lab", Role: "binder", Subjects: []SubjectRef{{User, "bea"}}},
			{Name: "lab-local", Scope: "lab", Role: "local", Subjects: []SubjectRef{{Group, "lab"}}},
		},
	}
	a, err := New(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	as := func(name string, groups ...string) context.Context {
		return WithSubject(context.Background(), Subject{Name: name, Groups: groups})
	}
	role := func(name, scope string, rules ...Rule) Role { return Role{Name: name, Scope: scope, Rules: rules} }
	rule := func(verbs, res string, names ...string) Rule {
		return Rule{Verbs: strings.Split(verbs, ","), Resources: strings.Split(res, ","), Names: names}
	}

	roleTests := []struct {
		name string
		ctx  context.Context
		r    Role
		ok   bool
	}{
		{"subset of own permissions", as("ed"), role("r", "", rule("get", "models")), true},
		{"own permissions restricted to names", as("ed"), role("r", "", rule("update", "models/aliases", "x")), true},
		{"same pattern", as("ed"), role("r", "", rule("promote", "models/aliases", "fraud-*")), true},
		{"narrower pattern under globstar", as("ed"), role("r", "", rule("promote", "models/aliases", "churn/a/*")), true},
		{"literal name under a pattern", as("ed"), role("r", "", rule("promote", "models/aliases", "fraud-v2")), true},
		{"wider pattern", as("ed"), role("r", "", rule("promote", "models/aliases", "*")), false},
		{"unrestricted where only names are held", as("ed"), role("r", "", rule("promote", "models/aliases")), false},
		{"verb not held", as("ed"), role("r", "", rule("delete", "models")), false},
		{"wildcard verb", as("ed"), role("r", "", rule("*", "models")), false},
		{"wildcard resource", as("ed"), role("r", "", rule("get", "*")), false},
		{"escalate verb on the role's name", as("esc"), role("anything-goes", "", rule("*", "*")), true},
		{"escalate verb on another name", as("esc"), role("other", "", rule("*", "*")), false},
		{"scoped permission for a cluster-wide role", as("gus", "lab"), role("r", "", rule("delete", "datasets")), false},
		{"scoped permission for a role of that scope", as("gus", "lab"), role("r", "lab", rule("delete", "datasets")), true},
		{"nobody", as("eve"), role("r", "", rule("get", "models")), false},
	}
	for _, tt := range roleTests {
		t.Run("role/"+tt.name, func(t *testing.T) {
			err := a.AuthorizeRole(tt.ctx, tt.r)
			if tt.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tt.ok && (!errors.Is(err, ErrEscalation) || !errors.Is(err, ErrDenied)) {
				t.Errorf("got %v, want an error matching ErrEscalation and ErrDenied", err)
			}
		})
	}

	bindTests := []struct {
		name string
		ctx  context.Context
		b    Binding
		ok   bool
	}{
		{"role whose permissions are held", as("ed"), Binding{Name: "x", Role: "weak", Subjects: []SubjectRef{{User, "eve"}}}, true},
		{"role with more than is held", as("ed"), Binding{Name: "x", Role: "strong", Subjects: []SubjectRef{{User, "eve"}}}, false},
		{"bind verb in its scope", as("bea"), Binding{Name: "x", Scope: "lab", Role: "strong", Subjects: []SubjectRef{{User, "eve"}}}, true},
		{"bind verb outside its scope", as("bea"), Binding{Name: "x", Role: "strong", Subjects: []SubjectRef{{User, "eve"}}}, false},
		{"scoped grant within the scope", as("gus", "lab"), Binding{Name: "x", Scope: "lab", Role: "local", Subjects: []SubjectRef{{User, "eve"}}}, true},
		{"scoped grant cluster-wide", as("gus", "lab"), Binding{Name: "x", Role: "local", Subjects: []SubjectRef{{User, "eve"}}}, false},
	}
	for _, tt := range bindTests {
		t.Run("binding/"+tt.name, func(t *testing.T) {
			err := a.AuthorizeBinding(tt.ctx, tt.b)
			if tt.ok && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrEscalation) {
				t.Errorf("got %v, want ErrEscalation", err)
			}
		})
	}

	t.Run("message names the missing permission", func(t *testing.T) {
		err := a.AuthorizeRole(as("ed"), role("r", "", rule("promote", "models/aliases", "*")))
		want := `rbac: escalation refused: User "ed" may not grant promote on models/aliases "*" through role "r" without holding it`
		if err == nil || err.Error() != want {
			t.Errorf("got %v, want %s", err, want)
		}
	})
	t.Run("no subject", func(t *testing.T) {
		if err := a.AuthorizeRole(context.Background(), role("r", "")); !errors.Is(err, ErrNoSubject) {
			t.Errorf("AuthorizeRole: %v", err)
		}
		if err := a.AuthorizeBinding(context.Background(), Binding{Name: "x", Role: "weak"}); !errors.Is(err, ErrNoSubject) {
			t.Errorf("AuthorizeBinding: %v", err)
		}
	})
	t.Run("a group is not a principal", func(t *testing.T) {
		// The group "lab" holds delete on datasets in lab; a subject
		// claiming to be that group must not pass as holding it.
		lab := WithSubject(context.Background(), Subject{Kind: Group, Name: "lab"})
		if err := a.AuthorizeRole(lab, role("r", "lab", rule("delete", "datasets"))); !errors.Is(err, ErrInvalidSubject) {
			t.Errorf("AuthorizeRole as a group: %v, want ErrInvalidSubject", err)
		}
		if err := a.AuthorizeBinding(lab, Binding{Name: "x", Scope: "lab", Role: "local", Subjects: []SubjectRef{{User, "eve"}}}); !errors.Is(err, ErrInvalidSubject) {
			t.Errorf("AuthorizeBinding as a group: %v, want ErrInvalidSubject", err)
		}
	})
	t.Run("invalid changes", func(t *testing.T) {
		if err := a.AuthorizeRole(as("ed"), role("r", "", rule("peek", "models"))); !errors.Is(err, ErrInvalidPolicy) {
			t.Errorf("AuthorizeRole with an unknown verb: %v", err)
		}
		if err := a.AuthorizeBinding(as("ed"), Binding{Name: "x", Role: "ghost", Subjects: []SubjectRef{{User, "u"}}}); !errors.Is(err, ErrInvalidPolicy) {
			t.Errorf("AuthorizeBinding to a missing role: %v", err)
		}
	})
}

// TestEscalationIsSound is the property escalation prevention exists for:
// whenever AuthorizeRole or AuthorizeBinding lets a subject through without
// the escalate or bind verb, every request the new role would grant (where
// it would apply) is one the subject is already allowed. Policies, roles
// and subjects are random; requests cover every verb and resource and the
// names of the generator.
func TestEscalationIsSound(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	names := append(slices.Clone(propNames), "")
	// granted reports whether role, bound to a fresh user in scope, grants
	// the request, by the reference evaluator.
	granted := func(role Role, scope, verb, res, name string) bool {
		p := &Policy{Roles: []Role{role}, Bindings: []Binding{{
			Name: "probe", Scope: scope, Role: role.Name, RoleScope: role.Scope,
			Subjects: []SubjectRef{{User, "probe-user"}},
		}}}
		ok, _ := evaluate(p, Subject{Name: "probe-user"}, verb, res, scope, name)
		return ok
	}
	// sound checks that s holds everything role grants in the scopes.
	sound := func(t *testing.T, a *Authorizer, s Subject, role Role, scopes []string, what string) {
		t.Helper()
		for _, scope := range scopes {
			for _, verb := range verbNames {
				for _, res := range resourceNames {
					for _, name := range names {
						if granted(role, scope, verb, res, name) && !a.Decide(s, verb, res, scope, name).Allowed {
							t.Fatalf("%s let %+v grant %s %s %q in scope %q without holding it\npolicy %+v\nrole %+v",
								what, s, verb, res, name, scope, a.Policy(), role)
						}
					}
				}
			}
		}
	}
	roleAllowed, bindingAllowed := 0, 0
	for range 1500 {
		p := randomPolicy(r)
		a, err := New(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		s := Subject{Kind: pick(r, []SubjectKind{User, ServiceAccount}), Name: pick(r, []string{"u0", "u1", "sa"})}
		if r.IntN(2) == 0 {
			s.Groups = some(r, []string{"g0", "g1"}, 2)
		}
		ctx := WithSubject(context.Background(), s)

		// A new role: random rules, cluster-wide or in one scope.
		role := Role{Name: "new-role"}
		if r.IntN(3) == 0 {
			role.Scope = pick(r, propScopes[1:])
		}
		for range 1 + r.IntN(2) {
			rule := Rule{Verbs: some(r, propVerbs, 2), Resources: some(r, propResources, 2)}
			if r.IntN(2) == 0 {
				rule.Names = some(r, propPatterns, 2)
			}
			// Half the time, a narrowing of a rule the policy holds, so
			// that many changes are let through.
			if src := pick(r, p.Roles); len(src.Rules) > 0 && r.IntN(2) == 0 {
				held := pick(r, src.Rules)
				rule = Rule{Verbs: []string{pick(r, held.Verbs)}, Resources: []string{pick(r, held.Resources)}, Names: slices.Clone(held.Names)}
				if len(rule.Names) == 0 && r.IntN(2) == 0 {
					rule.Names = []string{pick(r, propPatterns)}
				}
				if len(rule.Names) > 1 {
					rule.Names = rule.Names[:1]
				}
			}
			role.Rules = append(role.Rules, rule)
		}
		scopes := []string{role.Scope}
		if role.Scope == "" {
			scopes = propScopes // a cluster-wide role may be bound anywhere
		}
		if a.AuthorizeRole(ctx, role) == nil && !a.Decide(s, "escalate", "policies", role.Scope, role.Name).Allowed {
			roleAllowed++
			sound(t, a, s, role, scopes, "AuthorizeRole")
		}

		// A new binding of an existing role.
		old := pick(r, p.Roles)
		b := Binding{Name: "new-binding", Role: old.Name, RoleScope: old.Scope, Scope: old.Scope,
			Subjects: []SubjectRef{{User, "someone-else"}}}
		if b.Scope == "" {
			b.Scope = pick(r, propScopes)
		}
		if a.AuthorizeBinding(ctx, b) == nil && !a.Decide(s, "bind", "policies", b.Scope, b.Role).Allowed {
			bindingAllowed++
			sound(t, a, s, old, []string{b.Scope}, "AuthorizeBinding")
		}
	}
	// Refusals are easy; the property says something only about changes
	// that were let through.
	if roleAllowed < 50 || bindingAllowed < 50 {
		t.Errorf("only %d roles and %d bindings let through: the generator proves little", roleAllowed, bindingAllowed)
	}
	t.Logf("%d roles and %d bindings let through, each checked", roleAllowed, bindingAllowed)
}
