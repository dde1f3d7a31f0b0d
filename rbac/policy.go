package rbac

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Policy is a set of roles and the bindings that grant them. The zero value
// is an empty policy that allows nothing.
type Policy struct {
	Roles    []Role
	Bindings []Binding
}

// Role is a named set of rules.
type Role struct {
	Name string
	// Scope is "" for a cluster-wide role (our Role kind, a Kubernetes
	// ClusterRole), which any binding may grant; or the namespace of a
	// Kubernetes Role, which only bindings in that same scope may grant.
	Scope string
	Rules []Rule
	// Origin says where the role was read ("policy.yaml:12"); empty for
	// roles built in Go. Errors about the role name it.
	Origin string
}

// Rule grants every listed verb on every listed resource. Rules are
// additive; nothing denies.
type Rule struct {
	// Verbs: get, list, create, update, delete, promote, deploy, rollback,
	// sign, escalate, bind, or "*" for all of them.
	Verbs []string
	// Resources: models, models/versions, models/aliases, datasets,
	// artifacts, deployments, policies, or "*" for all of them.
	Resources []string
	// Names restricts the rule to resource names matching one of these
	// patterns (see Match). Empty means every name, and also requests that
	// carry no name (list, create); a rule with names never matches those.
	Names []string
}

// Binding grants a role to subjects.
type Binding struct {
	Name string
	// Scope is where the grant applies: "" everywhere, or one project or
	// namespace (requests carrying that scope, see WithScope).
	Scope string
	// Role names the role granted.
	Role string
	// RoleScope is "" when Role is a cluster-wide role, or equal to Scope
	// when it is a role of that scope (a Kubernetes roleRef of kind Role).
	RoleScope string
	Subjects  []SubjectRef
	// Origin says where the binding was read; empty for bindings built in
	// Go.
	Origin string
}

// SubjectRef names a subject in a binding.
type SubjectRef struct {
	Kind SubjectKind
	// Name is a user or group name, or for a ServiceAccount either "name"
	// (a service account outside any namespace) or "namespace:name"; in
	// a service account's name neither part may be empty or hold ':', so
	// that no two (namespace, name) pairs share a Name. Kubernetes
	// subjects are read into this form.
	Name string
}

// validServiceAccountRef reports whether name is "name" or
// "namespace:name" with neither part empty nor holding ':'.
func validServiceAccountRef(name string) bool {
	ns, n, found := strings.Cut(name, ":")
	if !found {
		return name != ""
	}
	return ns != "" && n != "" && !strings.Contains(n, ":")
}

// PolicyError is one problem found in a policy. It matches
// ErrInvalidPolicy.
type PolicyError struct {
	// Origin is "file:line" when known.
	Origin string
	Msg    string
}

func (e *PolicyError) Error() string {
	if e.Origin == "" {
		return "rbac: invalid policy: " + e.Msg
	}
	return "rbac: " + e.Origin + ": " + e.Msg
}

// Is makes errors.Is(err, ErrInvalidPolicy) hold.
func (e *PolicyError) Is(target error) bool { return target == ErrInvalidPolicy }

func policyErr(origin, format string, args ...any) error {
	return &PolicyError{Origin: origin, Msg: fmt.Sprintf(format, args...)}
}

type roleKey struct{ scope, name string }

// Validate checks p and returns every problem found, joined; each matches
// ErrInvalidPolicy.
func (p *Policy) Validate() error {
	var errs []error
	roles := make(map[roleKey]bool, len(p.Roles))
	for _, r := range p.Roles {
		errs = append(errs, r.validate()...)
		k := roleKey{r.Scope, r.Name}
		if roles[k] {
			errs = append(errs, policyErr(r.Origin, "duplicate role %s", r.describe()))
		}
		roles[k] = true
	}
	bindings := make(map[roleKey]bool, len(p.Bindings))
	for _, b := range p.Bindings {
		errs = append(errs, b.validate()...)
		k := roleKey{b.Scope, b.Name}
		if bindings[k] {
			errs = append(errs, policyErr(b.Origin, "duplicate binding %q", b.Name))
		}
		bindings[k] = true
		if b.Role != "" && !roles[roleKey{b.RoleScope, b.Role}] {
			errs = append(errs, policyErr(b.Origin, "binding %q refers to missing role %s", b.Name, describeRole(b.RoleScope, b.Role)))
		}
	}
	return errors.Join(errs...)
}

func describeRole(scope, name string) string {
	if scope == "" {
		return fmt.Sprintf("%q", name)
	}
	return fmt.Sprintf("%q in scope %q", name, scope)
}

func (r *Role) describe() string { return describeRole(r.Scope, r.Name) }

func (r *Role) validate() []error {
	var errs []error
	if r.Name == "" {
		errs = append(errs, policyErr(r.Origin, "role without a name"))
	}
	if r.Scope != "" && !ValidName(r.Scope) {
		errs = append(errs, policyErr(r.Origin, "role %q: invalid scope %q", r.Name, r.Scope))
	}
	for i, rule := range r.Rules {
		for _, e := range rule.check() {
			errs = append(errs, policyErr(r.Origin, "role %q rule %d: %s", r.Name, i, e))
		}
	}
	return errs
}

// check returns the problems of one rule as messages.
func (r *Rule) check() []string {
	var msgs []string
	if len(r.Verbs) == 0 {
		msgs = append(msgs, "no verbs")
	}
	for _, v := range r.Verbs {
		if v != wildcard && verbIndex(v) < 0 {
			msgs = append(msgs, fmt.Sprintf("unknown verb %q", v))
		}
	}
	if len(r.Resources) == 0 {
		msgs = append(msgs, "no resources")
	}
	for _, res := range r.Resources {
		if res != wildcard && resourceIndex(res) < 0 {
			msgs = append(msgs, fmt.Sprintf("unknown resource %q", res))
		}
	}
	for _, n := range r.Names {
		if err := checkName(n, true); err != nil {
			msgs = append(msgs, fmt.Sprintf("invalid name pattern %q: %v", n, err))
		}
	}
	return msgs
}

func (b *Binding) validate() []error {
	var errs []error
	if b.Name == "" {
		errs = append(errs, policyErr(b.Origin, "binding without a name"))
	}
	if b.Role == "" {
		errs = append(errs, policyErr(b.Origin, "binding %q names no role", b.Name))
	}
	if b.Scope != "" && !ValidName(b.Scope) {
		errs = append(errs, policyErr(b.Origin, "binding %q: invalid scope %q", b.Name, b.Scope))
	}
	if b.RoleScope != "" && b.RoleScope != b.Scope {
		errs = append(errs, policyErr(b.Origin, "binding %q in scope %q cannot grant role %q of scope %q", b.Name, b.Scope, b.Role, b.RoleScope))
	}
	if len(b.Subjects) == 0 {
		errs = append(errs, policyErr(b.Origin, "binding %q has no subjects", b.Name))
	}
	for _, s := range b.Subjects {
		if !slices.Contains([]SubjectKind{User, Group, ServiceAccount}, s.Kind) {
			errs = append(errs, policyErr(b.Origin, "binding %q: unknown subject kind %q", b.Name, s.Kind))
		}
		if s.Name == "" {
			errs = append(errs, policyErr(b.Origin, "binding %q: subject without a name", b.Name))
		}
		if s.Kind == ServiceAccount && s.Name != "" && !validServiceAccountRef(s.Name) {
			errs = append(errs, policyErr(b.Origin, "binding %q: service account %q: want \"name\" or \"namespace:name\", each part non-empty and without ':'", b.Name, s.Name))
		}
	}
	return errs
}
