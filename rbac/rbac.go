package rbac

import (
	"context"
	"errors"
	"fmt"
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
	// ErrInvalidSubject is matched when the subject making a request is not
	// a User or a ServiceAccount: a Group (or an unknown kind) never makes
	// a request, and a subject's groups come only from Subject.Groups.
	// Authorize refuses such a subject with a *DeniedError, which also
	// matches ErrDenied; Subject.Validate, AuthorizeRole and
	// AuthorizeBinding with an error matching ErrInvalidSubject alone; the
	// authenticators of this package and Middleware with one that also
	// matches ErrInvalidCredentials (a 401).
	ErrInvalidSubject = errors.New("rbac: invalid subject")
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
	// Kind is User (the default when empty) or ServiceAccount. A subject of
	// kind Group, or of any other kind, is refused with ErrInvalidSubject:
	// a group is something a subject belongs to (Groups), never who asks.
	Kind SubjectKind
	// Name identifies the subject within its kind: a user name, a service
	// account name. A service account of a Kubernetes namespace is named
	// "namespace:name"; see SubjectRef for the exact form.
	Name string
	// Groups the subject belongs to; bindings to any of them apply.
	Groups []string
}

// Validate reports whether s may make a request: nil for a named User or
// ServiceAccount, an error matching ErrNoSubject when s has no name, and
// one matching ErrInvalidSubject when its kind is Group or unknown.
func (s Subject) Validate() error {
	switch {
	case s.Name == "":
		return ErrNoSubject
	case !principalKind(s.Kind):
		return fmt.Errorf("%w: kind %q cannot make a request (want User or ServiceAccount)", ErrInvalidSubject, s.Kind)
	}
	return nil
}

// principalKind reports whether a subject of kind k may make a request.
func principalKind(k SubjectKind) bool {
	return k == "" || k == User || k == ServiceAccount
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
