package rbac

import (
	"fmt"
	"strconv"
)

// Reason says why a decision was taken.
type Reason uint8

// Reasons. The zero value is a denial because nothing grants the request.
const (
	// ReasonNoMatch: no binding of the subject or its groups grants the
	// request (default deny).
	ReasonNoMatch Reason = iota
	// ReasonAllowed: the binding, role and rule in the Decision grant it.
	ReasonAllowed
	// ReasonNoSubject: there is no subject, or it has no name.
	ReasonNoSubject
	// ReasonUnknownVerb: the verb is not one of Verbs().
	ReasonUnknownVerb
	// ReasonUnknownResource: the resource is not one of Resources().
	ReasonUnknownResource
	// ReasonInvalidName: the resource name is not a valid name.
	ReasonInvalidName
	// ReasonInvalidSubject: the subject's kind is Group or unknown; only
	// a User or a ServiceAccount makes requests.
	ReasonInvalidSubject
)

var reasonText = [...]string{
	ReasonNoMatch:         "no binding grants it",
	ReasonAllowed:         "allowed",
	ReasonNoSubject:       "no subject",
	ReasonUnknownVerb:     "unknown verb",
	ReasonUnknownResource: "unknown resource",
	ReasonInvalidName:     "invalid resource name",
	ReasonInvalidSubject:  "subject is not a user or service account",
}

func (r Reason) String() string {
	if int(r) < len(reasonText) {
		return reasonText[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Decision is the answer to one request. Building one never allocates: its
// strings point into the compiled policy.
type Decision struct {
	Allowed bool
	Reason  Reason
	// Binding, Role and Rule (the index of the rule in the role) identify
	// what granted an allowed request; empty and -1 on a denial.
	Binding string
	Role    string
	Rule    int
}

// String describes the decision, for example
// `allowed by binding "release" (role "promoter", rule 0)` or
// `denied: no binding grants it`.
func (d Decision) String() string {
	if d.Allowed {
		return fmt.Sprintf("allowed by binding %q (role %q, rule %d)", d.Binding, d.Role, d.Rule)
	}
	return "denied: " + d.Reason.String()
}

func denied(r Reason) Decision { return Decision{Reason: r, Rule: -1} }

type subjectKey struct {
	kind uint8 // see kindCode
	name string
}

// kindCode turns a subject kind into a small key component; 0 is unknown.
func kindCode(k SubjectKind) uint8 {
	switch k {
	case User, "":
		return 1
	case Group:
		return 2
	case ServiceAccount:
		return 3
	}
	return 0
}

// grant is one binding of a role to a subject, as seen from the subject.
type grant struct {
	scope   string
	binding string
	role    *compiledRole
}

// compiledRole answers, per resource and verb, which rule (index+1, so the
// zero value means none) grants it.
type compiledRole struct {
	name  string
	scope string
	perms [numResources]resourcePerms
}

type ruleSet = [numVerbs]int16

type resourcePerms struct {
	all   ruleSet            // rules that grant a verb for every name
	exact map[string]ruleSet // rules that grant a verb for one literal name
	globs []globGrant        // rules that grant verbs for a pattern
}

type globGrant struct {
	pattern string
	verbs   uint16
	rule    int16
}

// index is a compiled policy. It is immutable once built.
type index struct {
	subjects map[subjectKey][]grant
	// everyone holds the grants to the Authenticated group, looked up once
	// at compile time.
	everyone []grant
	policy   Policy
}

const maxRules = 1<<15 - 1

func compile(p *Policy) (*index, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	roles := make(map[roleKey]*compiledRole, len(p.Roles))
	for i := range p.Roles {
		r := &p.Roles[i]
		if len(r.Rules) > maxRules {
			return nil, policyErr(r.Origin, "role %q has more than %d rules", r.Name, maxRules)
		}
		roles[roleKey{r.Scope, r.Name}] = compileRole(r)
	}
	idx := &index{subjects: make(map[subjectKey][]grant), policy: *p}
	for _, b := range p.Bindings {
		g := grant{scope: b.Scope, binding: b.Name, role: roles[roleKey{b.RoleScope, b.Role}]}
		for _, s := range b.Subjects {
			k := subjectKey{kindCode(s.Kind), s.Name}
			idx.subjects[k] = append(idx.subjects[k], g)
		}
	}
	idx.everyone = idx.subjects[subjectKey{kindCode(Group), Authenticated}]
	return idx, nil
}

func expand(items []string, lookup func(string) int, n int) []int {
	var out []int
	for _, it := range items {
		if it == wildcard {
			out = out[:0]
			for i := range n {
				out = append(out, i)
			}
			return out
		}
		out = append(out, lookup(it))
	}
	return out
}

func compileRole(r *Role) *compiledRole {
	cr := &compiledRole{name: r.Name, scope: r.Scope}
	for ri, rule := range r.Rules {
		id := int16(ri + 1)
		verbs := expand(rule.Verbs, verbIndex, numVerbs)
		var mask uint16
		for _, v := range verbs {
			mask |= 1 << v
		}
		for _, res := range expand(rule.Resources, resourceIndex, numResources) {
			p := &cr.perms[res]
			if len(rule.Names) == 0 {
				for _, v := range verbs {
					if p.all[v] == 0 {
						p.all[v] = id
					}
				}
				continue
			}
			for _, n := range rule.Names {
				if !isLiteral(n) {
					p.globs = append(p.globs, globGrant{pattern: n, verbs: mask, rule: id})
					continue
				}
				if p.exact == nil {
					p.exact = make(map[string]ruleSet)
				}
				set := p.exact[n]
				for _, v := range verbs {
					if set[v] == 0 {
						set[v] = id
					}
				}
				p.exact[n] = set
			}
		}
	}
	return cr
}

// allows returns the rule (index+1) of the role granting verb v on
// resource r named name, or 0.
func (cr *compiledRole) allows(v, r int, name string) int16 {
	p := &cr.perms[r]
	if id := p.all[v]; id != 0 {
		return id
	}
	if name == "" {
		return 0
	}
	if p.exact != nil {
		if set, ok := p.exact[name]; ok && set[v] != 0 {
			return set[v]
		}
	}
	for i := range p.globs {
		g := &p.globs[i]
		if g.verbs&(1<<v) != 0 && match(g.pattern, name) {
			return g.rule
		}
	}
	return 0
}

// decide answers one request. It does not allocate.
func (idx *index) decide(s *Subject, verb, resource, scope, name string) Decision {
	if s == nil || s.Name == "" {
		return denied(ReasonNoSubject)
	}
	if !principalKind(s.Kind) {
		// A subject claiming to be a group must not get the group's
		// grants: membership comes from s.Groups alone.
		return denied(ReasonInvalidSubject)
	}
	v := verbIndex(verb)
	if v < 0 {
		return denied(ReasonUnknownVerb)
	}
	r := resourceIndex(resource)
	if r < 0 {
		return denied(ReasonUnknownResource)
	}
	if name != "" && checkName(name, false) != nil {
		return denied(ReasonInvalidName)
	}
	if d, ok := check(idx.subjects[subjectKey{kindCode(s.Kind), s.Name}], v, r, scope, name); ok {
		return d
	}
	for _, g := range s.Groups {
		if d, ok := check(idx.subjects[subjectKey{kindCode(Group), g}], v, r, scope, name); ok {
			return d
		}
	}
	if d, ok := check(idx.everyone, v, r, scope, name); ok {
		return d
	}
	return denied(ReasonNoMatch)
}

func check(grants []grant, v, r int, scope, name string) (Decision, bool) {
	for i := range grants {
		g := &grants[i]
		if g.scope != "" && g.scope != scope {
			continue
		}
		if id := g.role.allows(v, r, name); id != 0 {
			return Decision{Allowed: true, Reason: ReasonAllowed, Binding: g.binding, Role: g.role.name, Rule: int(id) - 1}, true
		}
	}
	return Decision{}, false
}
