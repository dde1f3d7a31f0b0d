package rbac

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// semantics is the policy the table tests run against.
var semantics = &Policy{
	Roles: []Role{
		{Name: "reader", Rules: []Rule{{Verbs: []string{"get", "list"}, Resources: []string{"models", "models/versions"}}}},
		{Name: "admin", Rules: []Rule{{Verbs: []string{"*"}, Resources: []string{"*"}}}},
		{Name: "promoter", Rules: []Rule{
			{Verbs: []string{"get"}, Resources: []string{"models/aliases"}},
			{Verbs: []string{"promote", "rollback"}, Resources: []string{"models/aliases"}, Names: []string{"fraud-*", "churn"}},
		}},
		{Name: "trainer", Rules: []Rule{{Verbs: []string{"create"}, Resources: []string{"models/versions"}, Names: []string{"fraud/**"}}}},
		{Name: "data", Rules: []Rule{{Verbs: []string{"get"}, Resources: []string{"datasets"}}}},
		{Name: "signer", Rules: []Rule{{Verbs: []string{"sign"}, Resources: []string{"artifacts"}, Names: []string{"a?c"}}}},
		{Name: "ns-deployer", Scope: "payments", Rules: []Rule{{Verbs: []string{"deploy"}, Resources: []string{"deployments"}}}},
	},
	Bindings: []Binding{
		{Name: "readers", Role: "reader", Subjects: []SubjectRef{{Group, "ml"}}},
		{Name: "root", Role: "admin", Subjects: []SubjectRef{{User, "root"}}},
		{Name: "fraud-admin", Scope: "fraud", Role: "admin", Subjects: []SubjectRef{{User, "fran"}}},
		{Name: "release", Scope: "fraud", Role: "promoter", Subjects: []SubjectRef{{Group, "release"}}},
		{Name: "trainers", Role: "trainer", Subjects: []SubjectRef{{ServiceAccount, "trainer"}}},
		{Name: "everyone-data", Role: "data", Subjects: []SubjectRef{{Group, Authenticated}}},
		{Name: "signers-1", Role: "signer", Subjects: []SubjectRef{{User, "sam"}}},
		{Name: "signers-2", Role: "reader", Subjects: []SubjectRef{{User, "sam"}}},
		{Name: "pay-deploy", Scope: "payments", Role: "ns-deployer", RoleScope: "payments", Subjects: []SubjectRef{{User, "pat"}}},
	},
}

func TestDecideSemantics(t *testing.T) {
	a, err := New(semantics, nil)
	if err != nil {
		t.Fatal(err)
	}
	alice := Subject{Name: "alice", Groups: []string{"ml"}}
	rel := Subject{Kind: User, Name: "rita", Groups: []string{"release"}}
	sa := Subject{Kind: ServiceAccount, Name: "trainer"}
	tests := []struct {
		name                         string
		s                            Subject
		verb, res, scope, objectName string
		want                         Decision
	}{
		{"group grants", alice, "get", "models", "", "fraud", Decision{true, ReasonAllowed, "readers", "reader", 0}},
		{"group grant without name", alice, "list", "models/versions", "", "", Decision{true, ReasonAllowed, "readers", "reader", 0}},
		{"cluster-wide binding applies in any scope", alice, "get", "models", "proj", "x", Decision{true, ReasonAllowed, "readers", "reader", 0}},
		{"verb not granted", alice, "delete", "models", "", "fraud", denied(ReasonNoMatch)},
		{"resource not granted", alice, "get", "deployments", "", "x", denied(ReasonNoMatch)},
		{"default deny for a stranger", Subject{Name: "eve"}, "get", "models", "", "x", denied(ReasonNoMatch)},
		{"wildcards", Subject{Name: "root"}, "sign", "artifacts", "", "x", Decision{true, ReasonAllowed, "root", "admin", 0}},
		{"wildcard verb includes escalate", Subject{Name: "root"}, "escalate", "policies", "", "x", Decision{true, ReasonAllowed, "root", "admin", 0}},
		{"scoped binding in its scope", Subject{Name: "fran"}, "delete", "datasets", "fraud", "x", Decision{true, ReasonAllowed, "fraud-admin", "admin", 0}},
		{"scoped binding outside its scope", Subject{Name: "fran"}, "delete", "datasets", "churn", "x", denied(ReasonNoMatch)},
		{"scoped binding on a cluster-wide request", Subject{Name: "fran"}, "delete", "datasets", "", "x", denied(ReasonNoMatch)},
		{"glob name", rel, "promote", "models/aliases", "fraud", "fraud-v2", Decision{true, ReasonAllowed, "release", "promoter", 1}},
		{"exact name", rel, "rollback", "models/aliases", "fraud", "churn", Decision{true, ReasonAllowed, "release", "promoter", 1}},
		{"glob stays within a segment", rel, "promote", "models/aliases", "fraud", "fraud-v2/x", denied(ReasonNoMatch)},
		{"name not matched", rel, "promote", "models/aliases", "fraud", "churn2", denied(ReasonNoMatch)},
		{"named rule needs a name", rel, "promote", "models/aliases", "fraud", "", denied(ReasonNoMatch)},
		{"unrestricted rule of the same role", rel, "get", "models/aliases", "fraud", "anything", Decision{true, ReasonAllowed, "release", "promoter", 0}},
		{"service account", sa, "create", "models/versions", "", "fraud/7", Decision{true, ReasonAllowed, "trainers", "trainer", 0}},
		{"service account globstar", sa, "create", "models/versions", "", "fraud", Decision{true, ReasonAllowed, "trainers", "trainer", 0}},
		{"service account outside its names", sa, "create", "models/versions", "", "churn/7", denied(ReasonNoMatch)},
		{"a user with the service account's name is someone else", Subject{Kind: User, Name: "trainer"}, "create", "models/versions", "", "fraud/7", denied(ReasonNoMatch)},
		{"implicit authenticated group", Subject{Name: "eve"}, "get", "datasets", "", "d", Decision{true, ReasonAllowed, "everyone-data", "data", 0}},
		{"additive bindings: first", Subject{Name: "sam"}, "sign", "artifacts", "", "abc", Decision{true, ReasonAllowed, "signers-1", "signer", 0}},
		{"additive bindings: second", Subject{Name: "sam"}, "get", "models", "", "m", Decision{true, ReasonAllowed, "signers-2", "reader", 0}},
		{"question mark is one character", Subject{Name: "sam"}, "sign", "artifacts", "", "abbc", denied(ReasonNoMatch)},
		{"namespaced role in its scope", Subject{Name: "pat"}, "deploy", "deployments", "payments", "scorer", Decision{true, ReasonAllowed, "pay-deploy", "ns-deployer", 0}},
		{"namespaced role elsewhere", Subject{Name: "pat"}, "deploy", "deployments", "other", "scorer", denied(ReasonNoMatch)},
		{"no subject", Subject{}, "get", "models", "", "x", denied(ReasonNoSubject)},
		{"a principal claiming a group's kind gets nothing", Subject{Kind: Group, Name: "release"}, "promote", "models/aliases", "fraud", "fraud-v2", denied(ReasonInvalidSubject)},
		{"a principal claiming a group's kind, cluster-wide", Subject{Kind: Group, Name: "ml"}, "get", "models", "", "x", denied(ReasonInvalidSubject)},
		{"a principal claiming the authenticated group", Subject{Kind: Group, Name: Authenticated}, "get", "datasets", "", "d", denied(ReasonInvalidSubject)},
		{"group kind refused even with its groups", Subject{Kind: Group, Name: "x", Groups: []string{"ml"}}, "get", "models", "", "x", denied(ReasonInvalidSubject)},
		{"unknown kind", Subject{Kind: "Robot", Name: "root"}, "get", "models", "", "x", denied(ReasonInvalidSubject)},
		{"kinds are case-sensitive", Subject{Kind: "user", Name: "root"}, "get", "models", "", "x", denied(ReasonInvalidSubject)},
		{"unknown verb", Subject{Name: "root"}, "watch", "models", "", "x", denied(ReasonUnknownVerb)},
		{"verbs are case-sensitive", Subject{Name: "root"}, "GET", "models", "", "x", denied(ReasonUnknownVerb)},
		{"unknown resource", Subject{Name: "root"}, "get", "pods", "", "x", denied(ReasonUnknownResource)},
		{"wildcard is not a resource", Subject{Name: "root"}, "get", "*", "", "x", denied(ReasonUnknownResource)},
		{"invalid name", Subject{Name: "root"}, "get", "models", "", "../etc", denied(ReasonInvalidName)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := a.Decide(tt.s, tt.verb, tt.res, tt.scope, tt.objectName)
			if got != tt.want {
				t.Errorf("Decide = %v (%+v), want %v (%+v)", got, got, tt.want, tt.want)
			}
		})
	}
}

func TestDecisionString(t *testing.T) {
	tests := []struct {
		d    Decision
		want string
	}{
		{Decision{true, ReasonAllowed, "b", "r", 2}, `allowed by binding "b" (role "r", rule 2)`},
		{denied(ReasonNoMatch), "denied: no binding grants it"},
		{denied(ReasonUnknownVerb), "denied: unknown verb"},
		{Decision{Reason: 200}, "denied: reason(200)"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestAuthorize(t *testing.T) {
	var events []AuditEvent
	a, err := New(semantics, &Options{Audit: func(_ context.Context, e AuditEvent) { events = append(events, e) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := a.Authorize(ctx, "get", "models", "x"); !errors.Is(err, ErrNoSubject) || errors.Is(err, ErrDenied) {
		t.Errorf("no subject: %v, want ErrNoSubject only", err)
	}
	if err := a.Authorize(WithSubject(ctx, Subject{Kind: ServiceAccount}), "get", "models", "x"); !errors.Is(err, ErrNoSubject) {
		t.Errorf("nameless subject: %v, want ErrNoSubject", err)
	}
	fran := WithSubject(ctx, Subject{Name: "fran"})
	if err := a.Authorize(WithScope(fran, "fraud"), "delete", "models", "m"); err != nil {
		t.Errorf("allowed request: %v", err)
	}
	err = a.Authorize(WithScope(fran, "churn"), "delete", "models", "m")
	var de *DeniedError
	if !errors.Is(err, ErrDenied) || !errors.As(err, &de) {
		t.Fatalf("denied request: %v, want a *DeniedError matching ErrDenied", err)
	}
	want := `rbac: denied: User "fran" may not delete models "m" in scope "churn": no binding grants it`
	if err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
	if de.Decision.Allowed || de.Scope != "churn" {
		t.Errorf("DeniedError carries %+v", de)
	}
	if len(events) != 4 {
		t.Fatalf("audit saw %d events, want 4", len(events))
	}
	// A subject claiming to be the group "release" is refused, and says
	// why: groups come only from Subject.Groups.
	err = a.Authorize(WithScope(WithSubject(ctx, Subject{Kind: Group, Name: "release"}), "fraud"), "promote", "models/aliases", "fraud-v2")
	if !errors.Is(err, ErrInvalidSubject) || !errors.Is(err, ErrDenied) || errors.Is(err, ErrNoSubject) || !errors.As(err, &de) {
		t.Fatalf("group as principal: %v, want a *DeniedError matching ErrInvalidSubject and ErrDenied", err)
	}
	if want := `rbac: denied: Group "release" may not promote models/aliases "fraud-v2" in scope "fraud": subject is not a user or service account`; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
	if err := a.Authorize(WithScope(fran, "churn"), "delete", "models", "m"); errors.Is(err, ErrInvalidSubject) {
		t.Errorf("an ordinary denial matches ErrInvalidSubject: %v", err)
	}
	events = events[:4]
	if e := events[2]; !e.Decision.Allowed || e.Subject.Name != "fran" || e.Scope != "fraud" || e.Verb != "delete" || e.Name != "m" {
		t.Errorf("audit event %+v", e)
	}
	if events[3].Decision.Allowed {
		t.Errorf("denial audited as allowed")
	}
}

func TestSubjectValidate(t *testing.T) {
	tests := []struct {
		name string
		s    Subject
		want error // nil: valid
	}{
		{"user", Subject{Kind: User, Name: "u"}, nil},
		{"kind defaults to user", Subject{Name: "u"}, nil},
		{"service account", Subject{Kind: ServiceAccount, Name: "ns:sa"}, nil},
		{"no name", Subject{Kind: User}, ErrNoSubject},
		{"group", Subject{Kind: Group, Name: "admins"}, ErrInvalidSubject},
		{"unknown kind", Subject{Kind: "Robot", Name: "r"}, ErrInvalidSubject},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Validate = %v, want an error matching %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "rbac: ") {
				t.Errorf("message %q lacks the package prefix", err)
			}
		})
	}
}

func TestDecideAllocs(t *testing.T) {
	a, err := New(semantics, nil)
	if err != nil {
		t.Fatal(err)
	}
	rel := Subject{Name: "rita", Groups: []string{"x", "release"}}
	ctx := WithScope(WithSubject(context.Background(), rel), "fraud")
	allocs := testing.AllocsPerRun(200, func() {
		a.Decide(rel, "promote", "models/aliases", "fraud", "fraud-v3")
		a.Decide(rel, "promote", "models/aliases", "fraud", "nope")
		_ = a.Authorize(ctx, "promote", "models/aliases", "fraud-v3")
	})
	if allocs != 0 {
		t.Errorf("decisions allocate %v times, want 0", allocs)
	}
	// An audit function of the caller's costs no allocation either.
	audited := 0
	b, err := New(semantics, &Options{Audit: func(_ context.Context, e AuditEvent) {
		if e.Decision.Allowed && e.Subject.Name == "rita" {
			audited++
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(200, func() { _ = b.Authorize(ctx, "promote", "models/aliases", "fraud-v3") }); n != 0 {
		t.Errorf("audited decisions allocate %v times, want 0", n)
	}
	if audited == 0 {
		t.Error("the audit function saw no allowed decision")
	}
}

func TestNewRejectsInvalidPolicies(t *testing.T) {
	good := Role{Name: "r", Rules: []Rule{{Verbs: []string{"get"}, Resources: []string{"models"}}}}
	bind := func(b Binding) Binding {
		if b.Name == "" {
			b.Name = "b"
		}
		if b.Subjects == nil {
			b.Subjects = []SubjectRef{{User, "u"}}
		}
		return b
	}
	tests := []struct {
		name string
		p    Policy
		want string
	}{
		{"unknown verb", Policy{Roles: []Role{{Name: "r", Rules: []Rule{{Verbs: []string{"patch"}, Resources: []string{"models"}}}}}}, `role "r" rule 0: unknown verb "patch"`},
		{"no verbs", Policy{Roles: []Role{{Name: "r", Rules: []Rule{{Resources: []string{"models"}}}}}}, "no verbs"},
		{"unknown resource", Policy{Roles: []Role{{Name: "r", Rules: []Rule{{Verbs: []string{"get"}, Resources: []string{"secrets"}}}}}}, `unknown resource "secrets"`},
		{"bad pattern", Policy{Roles: []Role{{Name: "r", Rules: []Rule{{Verbs: []string{"get"}, Resources: []string{"models"}, Names: []string{"a/../b"}}}}}}, "invalid name pattern"},
		{"nameless role", Policy{Roles: []Role{{}}}, "role without a name"},
		{"missing role", Policy{Bindings: []Binding{bind(Binding{Role: "ghost", Origin: "x.yaml:3"})}}, `x.yaml:3: binding "b" refers to missing role "ghost"`},
		{"role of another scope", Policy{Roles: []Role{{Name: "r", Scope: "a"}}, Bindings: []Binding{bind(Binding{Role: "r", Scope: "b", RoleScope: "a"})}}, "cannot grant role"},
		{"no subjects", Policy{Roles: []Role{good}, Bindings: []Binding{{Name: "b", Role: "r"}}}, "has no subjects"},
		{"bad subject kind", Policy{Roles: []Role{good}, Bindings: []Binding{bind(Binding{Role: "r", Subjects: []SubjectRef{{"Robot", "x"}}})}}, `unknown subject kind "Robot"`},
		{"duplicate binding", Policy{Roles: []Role{good}, Bindings: []Binding{bind(Binding{Role: "r"}), bind(Binding{Role: "r"})}}, `duplicate binding "b"`},
		{"bad scope", Policy{Roles: []Role{good}, Bindings: []Binding{bind(Binding{Role: "r", Scope: "a b"})}}, "invalid scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(&tt.p, nil)
			if !errors.Is(err, ErrInvalidPolicy) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: %v, want ErrInvalidPolicy containing %q", err, tt.want)
			}
		})
	}
}

func TestPolicyIsCopied(t *testing.T) {
	p := clonePolicy(semantics)
	a, err := New(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Roles[1].Rules[0].Verbs[0] = "get"
	p.Bindings[1].Subjects[0].Name = "mallory"
	if got := a.Policy(); got.Roles[1].Rules[0].Verbs[0] != "*" || got.Bindings[1].Subjects[0].Name != "root" {
		t.Errorf("changing the caller's policy changed the authorizer's")
	}
	if !a.Decide(Subject{Name: "root"}, "delete", "models", "", "x").Allowed {
		t.Errorf("compiled policy changed with the caller's copy")
	}
}

// The property test: random policies and requests get the same answer from
// the compiled index as from evaluate, a plain reading of the semantics.

func evaluate(p *Policy, s Subject, verb, resource, scope, name string) (allowed bool, grantors []string) {
	if s.Name == "" || verbIndex(verb) < 0 || resourceIndex(resource) < 0 || (name != "" && !ValidName(name)) {
		return false, nil
	}
	kind := s.Kind
	if kind == "" {
		kind = User
	}
	if kind != User && kind != ServiceAccount {
		return false, nil // a group never makes a request
	}
	for _, b := range p.Bindings {
		if b.Scope != "" && b.Scope != scope {
			continue
		}
		mine := false
		for _, sr := range b.Subjects {
			if sr.Kind == kind && sr.Name == s.Name ||
				sr.Kind == Group && (slices.Contains(s.Groups, sr.Name) || sr.Name == Authenticated) {
				mine = true
			}
		}
		if !mine {
			continue
		}
		for _, r := range p.Roles {
			if r.Name != b.Role || r.Scope != b.RoleScope {
				continue
			}
			for i, rule := range r.Rules {
				if !(slices.Contains(rule.Verbs, verb) || slices.Contains(rule.Verbs, "*")) ||
					!(slices.Contains(rule.Resources, resource) || slices.Contains(rule.Resources, "*")) {
					continue
				}
				ok := len(rule.Names) == 0
				for _, pat := range rule.Names {
					if name != "" && naiveMatch(pat, name) {
						ok = true
					}
				}
				if ok {
					grantors = append(grantors, fmt.Sprintf("%s/%s/%d", b.Name, r.Name, i))
				}
			}
		}
	}
	return len(grantors) > 0, grantors
}

var (
	propVerbs     = []string{"get", "list", "create", "promote", "sign", "*", "bind"}
	propResources = []string{"models", "models/aliases", "datasets", "policies", "*"}
	propNames     = []string{"a", "b", "ab", "a/b", "a/c", "b/x/y", "fraud-1"}
	propPatterns  = []string{"a", "a/b", "*", "a*", "?", "a/*", "**", "a/**", "*/b", "**/y", "fraud-?", "*/x/*"}
	propScopes    = []string{"", "s1", "s2"}
	propSubjects  = []SubjectRef{{User, "u0"}, {User, "u1"}, {ServiceAccount, "u0"}, {ServiceAccount, "sa"}, {Group, "g0"}, {Group, "g1"}, {Group, Authenticated}}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func some[T any](r *rand.Rand, xs []T, max int) []T {
	n := 1 + r.IntN(max)
	out := make([]T, 0, n)
	for range n {
		out = append(out, pick(r, xs))
	}
	return out
}

func randomPolicy(r *rand.Rand) *Policy {
	p := &Policy{}
	nroles := 1 + r.IntN(5)
	for i := range nroles {
		role := Role{Name: fmt.Sprintf("r%d", i)}
		if r.IntN(4) == 0 {
			role.Scope = pick(r, propScopes[1:])
		}
		for range r.IntN(4) {
			rule := Rule{Verbs: some(r, propVerbs, 3), Resources: some(r, propResources, 2)}
			if r.IntN(2) == 0 {
				rule.Names = some(r, propPatterns, 3)
			}
			role.Rules = append(role.Rules, rule)
		}
		p.Roles = append(p.Roles, role)
	}
	for i := range r.IntN(7) {
		role := pick(r, p.Roles)
		b := Binding{Name: fmt.Sprintf("b%d", i), Role: role.Name, RoleScope: role.Scope, Scope: role.Scope,
			Subjects: some(r, propSubjects, 3)}
		if b.Scope == "" && r.IntN(2) == 0 {
			b.Scope = pick(r, propScopes)
		}
		p.Bindings = append(p.Bindings, b)
	}
	return p
}

func TestCompiledMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	requestVerbs := append(slices.Clone(propVerbs[:5]), "delete", "watch")
	requestResources := append(slices.Clone(propResources[:4]), "artifacts", "pods")
	requestNames := append(slices.Clone(propNames), "", "a//b")
	allowedSeen, deniedSeen := 0, 0
	for i := range 3000 {
		p := randomPolicy(r)
		a, err := New(p, nil)
		if err != nil {
			t.Fatalf("policy %d does not compile: %v\n%+v", i, err, p)
		}
		for range 20 {
			s := Subject{Kind: pick(r, []SubjectKind{"", User, ServiceAccount, Group}), Name: pick(r, []string{"u0", "u1", "sa", "g0", ""})}
			if r.IntN(2) == 0 {
				s.Groups = some(r, []string{"g0", "g1", "g2"}, 2)
			}
			verb, res, scope, name := pick(r, requestVerbs), pick(r, requestResources), pick(r, propScopes), pick(r, requestNames)
			got := a.Decide(s, verb, res, scope, name)
			want, grantors := evaluate(p, s, verb, res, scope, name)
			if got.Allowed != want {
				t.Fatalf("policy %+v\nsubject %+v %s %s scope %q name %q: compiled %v, reference %v", p, s, verb, res, scope, name, got, want)
			}
			if got.Allowed {
				allowedSeen++
				if g := fmt.Sprintf("%s/%s/%d", got.Binding, got.Role, got.Rule); !slices.Contains(grantors, g) {
					t.Fatalf("reason %s is not among the grants %v", g, grantors)
				}
			} else {
				deniedSeen++
			}
		}
	}
	// The generator must exercise both answers, or the test proves little.
	if allowedSeen < 3000 || deniedSeen < 3000 {
		t.Errorf("only %d allowed and %d denied requests generated", allowedSeen, deniedSeen)
	}
}

func TestConcurrentDecideAndReplace(t *testing.T) {
	a, err := New(semantics, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := &Policy{Roles: semantics.Roles[:2], Bindings: semantics.Bindings[:2]}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				d := a.Decide(Subject{Name: "root"}, "get", "models", "", "x")
				if !d.Allowed {
					t.Errorf("goroutine %d call %d: root denied during replacement", g, i)
					return
				}
			}
		})
	}
	for i := range 200 {
		p := semantics
		if i%2 == 0 {
			p = other
		}
		if err := a.Replace(p); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
}

func TestZeroAuthorizer(t *testing.T) {
	var a Authorizer
	if d := a.Decide(Subject{Name: "root"}, "get", "models", "", "x"); d.Allowed || d.Reason != ReasonNoMatch {
		t.Errorf("zero Authorizer: %v", d)
	}
	ctx := WithSubject(context.Background(), Subject{Name: "root"})
	if err := a.Authorize(ctx, "get", "models", "x"); !errors.Is(err, ErrDenied) {
		t.Errorf("zero Authorizer Authorize: %v", err)
	}
	if _, err := a.Reload(ctx, File("testdata/missing.yaml")); err == nil {
		t.Errorf("reload of a missing file succeeded")
	}
	if err := a.Replace(semantics); err != nil {
		t.Fatal(err)
	}
	if !a.Decide(Subject{Name: "root"}, "get", "models", "", "x").Allowed {
		t.Errorf("policy not in force after Replace")
	}
}
