package rbac

import (
	"context"
	"errors"
)

// Errors returned by the package. Check them with errors.Is.
var (
	// ErrDenied is matched by every refusal: no binding grants the request,
	// the request names an unknown verb or resource, or an escalation is
	// attempted.
	ErrDenied = errors.New("rbac: denied")
	// ErrNoSubject is matched when the context carries no subject, or a
	// subject without a name. It does not match ErrDenied: an HTTP server
	// answers 401 for it and 403 for ErrDenied.
	ErrNoSubject = errors.New("rbac: no subject")
	// ErrInvalidPolicy is matched by every error about a policy: strict YAML
	// decoding, unknown verbs or resources, malformed names, bindings to
	// missing roles.
	ErrInvalidPolicy = errors.New("rbac: invalid policy")
	// ErrEscalation is matched when a role or binding change would grant
	// permissions the requester does not hold. It also matches ErrDenied.
	ErrEscalation = errors.New("rbac: escalation refused")
)

// SubjectKind says what a subject is.
type SubjectKind string

// Subject kinds, spelled as in Kubernetes RBAC.
const (
	User           SubjectKind = "User"
	Group          SubjectKind = "Group"
	ServiceAccount SubjectKind = "ServiceAccount"
)

// Authenticated is a group every subject belongs to implicitly, as in
// Kubernetes. Bind a role to it to grant something to everyone who has
// authenticated.
const Authenticated = "system:authenticated"

// Subject is who makes a request. A subject without a Name is no subject.
type Subject struct {
	// Kind is User (the default when empty), ServiceAccount or Group.
	Kind SubjectKind
	// Name identifies the subject within its kind: a user name, a service
	// account name. Kubernetes ServiceAccount subjects with a namespace are
	// named "namespace:name".
	Name string
	// Groups the subject belongs to; bindings to any of them apply.
	Groups []string
}

func (s Subject) kind() SubjectKind {
	if s.Kind == "" {
		return User
	}
	return s.Kind
}

type subjectCtxKey struct{}
type scopeCtxKey struct{}

// WithSubject returns a copy of ctx that carries s.
func WithSubject(ctx context.Context, s Subject) context.Context {
	return context.WithValue(ctx, subjectCtxKey{}, s)
}

// SubjectFrom returns the subject carried by ctx, if any.
func SubjectFrom(ctx context.Context) (Subject, bool) {
	s, ok := ctx.Value(subjectCtxKey{}).(Subject)
	return s, ok
}

// WithScope returns a copy of ctx that carries a scope (a project or a
// namespace). Requests without a scope are cluster-wide: only bindings
// without a scope apply to them.
func WithScope(ctx context.Context, scope string) context.Context {
	return context.WithValue(ctx, scopeCtxKey{}, scope)
}

// ScopeFrom returns the scope carried by ctx, or "" when there is none.
func ScopeFrom(ctx context.Context) string {
	s, _ := ctx.Value(scopeCtxKey{}).(string)
	return s
}
