package rbac

import (
	"context"
	"fmt"
)

// Escalation prevention, as Kubernetes does it: creating or changing a role
// or a binding must not grant anything the requester does not already hold.
//
// AuthorizeRole and AuthorizeBinding check only that; whether the subject
// may create or update policies at all is a separate Authorize call
// (verb create or update, resource policies).

// EscalationError is returned when a change would grant a permission the
// requester lacks. It matches ErrEscalation and ErrDenied.
type EscalationError struct {
	Subject Subject
	// What is being changed: `role "x"` or `binding "y"`.
	What string
	// Missing is the first permission the requester lacks.
	Verb, Resource, Name string
}

func (e *EscalationError) Error() string {
	msg := fmt.Sprintf("rbac: escalation refused: %s %q may not grant %s on %s", e.Subject.kind(), e.Subject.Name, e.Verb, e.Resource)
	if e.Name != "" {
		msg += fmt.Sprintf(" %q", e.Name)
	}
	return msg + " through " + e.What + " without holding it"
}

// Is makes errors.Is hold for ErrEscalation and ErrDenied.
func (e *EscalationError) Is(target error) bool {
	return target == ErrEscalation || target == ErrDenied
}

// AuthorizeRole checks that the subject carried by ctx may create or change
// r: it must hold, within r's scope (cluster-wide for a role without one),
// every permission r grants, or hold the verb escalate on the resource
// policies named r.Name there. Name patterns are compared conservatively:
// a pattern is covered by the same pattern, by an unrestricted rule, or by
// a wider pattern of the same shape.
func (a *Authorizer) AuthorizeRole(ctx context.Context, r Role) error {
	s, _ := SubjectFrom(ctx)
	if err := s.Validate(); err != nil {
		return err
	}
	if errs := r.validate(); len(errs) > 0 {
		return errs[0]
	}
	idx := a.state().idx
	if idx.decide(&s, VerbEscalate, ResourcePolicies, r.Scope, r.Name).Allowed {
		return nil
	}
	return idx.holdsAll(&s, r.Scope, r.Rules, fmt.Sprintf("role %q", r.Name))
}

// AuthorizeBinding checks that the subject carried by ctx may create or
// change b: it must hold, within b's scope, every permission of the role b
// grants (looked up in the policy in force), or hold the verb bind on the
// resource policies named b.Role there.
func (a *Authorizer) AuthorizeBinding(ctx context.Context, b Binding) error {
	s, _ := SubjectFrom(ctx)
	if err := s.Validate(); err != nil {
		return err
	}
	if errs := b.validate(); len(errs) > 0 {
		return errs[0]
	}
	idx := a.state().idx
	var role *Role
	for i := range idx.policy.Roles {
		if r := &idx.policy.Roles[i]; r.Name == b.Role && r.Scope == b.RoleScope {
			role = r
		}
	}
	if role == nil {
		return policyErr(b.Origin, "binding %q refers to missing role %s", b.Name, describeRole(b.RoleScope, b.Role))
	}
	if idx.decide(&s, VerbBind, ResourcePolicies, b.Scope, b.Role).Allowed {
		return nil
	}
	return idx.holdsAll(&s, b.Scope, role.Rules, fmt.Sprintf("binding %q", b.Name))
}

// holdsAll returns an *EscalationError for the first permission in rules
// that s does not hold within scope.
func (idx *index) holdsAll(s *Subject, scope string, rules []Rule, what string) error {
	for _, rule := range rules {
		for _, res := range expand(rule.Resources, resourceIndex, numResources) {
			for _, v := range expand(rule.Verbs, verbIndex, numVerbs) {
				patterns := rule.Names
				if len(patterns) == 0 {
					patterns = []string{""}
				}
				for _, p := range patterns {
					if !idx.holds(s, scope, v, res, p) {
						return &EscalationError{Subject: *s, What: what, Verb: verbNames[v], Resource: resourceNames[res], Name: p}
					}
				}
			}
		}
	}
	return nil
}

// holds reports whether s holds verb v on resource r for every name
// matched by pattern ("" meaning every name) within scope. A cluster-wide
// scope ("") counts only cluster-wide bindings.
func (idx *index) holds(s *Subject, scope string, v, r int, pattern string) bool {
	keys := []subjectKey{{kindCode(s.Kind), s.Name}, {kindCode(Group), Authenticated}}
	for _, g := range s.Groups {
		keys = append(keys, subjectKey{kindCode(Group), g})
	}
	for _, k := range keys {
		for _, g := range idx.subjects[k] {
			if g.scope != "" && g.scope != scope {
				continue
			}
			p := &g.role.perms[r]
			if p.all[v] != 0 {
				return true
			}
			if pattern == "" {
				continue
			}
			if isLiteral(pattern) && g.role.allows(v, r, pattern) != 0 {
				return true
			}
			for _, gl := range p.globs {
				if gl.verbs&(1<<v) != 0 && covers(gl.pattern, pattern) {
					return true
				}
			}
		}
	}
	return false
}
