package rbac

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// Errors of authentication. Check them with errors.Is.
var (
	// ErrNoCredentials is returned by an Authenticator when the request
	// carries no credentials of its kind, so the next one may try.
	ErrNoCredentials = errors.New("rbac: no credentials")
	// ErrInvalidCredentials is matched by the errors of ClientCert and
	// BearerToken when credentials are present but not acceptable: an
	// unverified certificate, one without a common name, more than one
	// Authorization header, an empty token, a
	// token the verifier refused, no verifier at all, or a subject mapped
	// or verified without a name or of a kind other than User and
	// ServiceAccount (that one also matches ErrInvalidSubject).
	ErrInvalidCredentials = errors.New("rbac: invalid credentials")
)

// Authenticator finds who sent an HTTP request.
type Authenticator interface {
	// Authenticate returns the subject of r; ErrNoCredentials when r has
	// none of the credentials it reads; any other error when they are
	// present but not acceptable.
	Authenticate(r *http.Request) (Subject, error)
}

// ClientCert authenticates by a client certificate the TLS handshake has
// verified (tls.Config.ClientAuth set to VerifyClientCertIfGiven or
// RequireAndVerifyClientCert, with ClientCAs). An unverified certificate is
// refused.
type ClientCert struct {
	// Subject maps the verified leaf certificate to a subject. Default: a
	// User named by the common name, in the groups named by the
	// organizations, as Kubernetes does.
	Subject func(cert *x509.Certificate) (Subject, error)
}

// Authenticate implements Authenticator.
func (c ClientCert) Authenticate(r *http.Request) (Subject, error) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return Subject{}, ErrNoCredentials
	}
	if len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return Subject{}, fmt.Errorf("%w: client certificate not verified", ErrInvalidCredentials)
	}
	leaf := r.TLS.VerifiedChains[0][0]
	if c.Subject != nil {
		s, err := c.Subject(leaf)
		if err != nil {
			return Subject{}, fmt.Errorf("%w: %w", ErrInvalidCredentials, err)
		}
		return principal(s, "client certificate mapping")
	}
	if leaf.Subject.CommonName == "" {
		return Subject{}, fmt.Errorf("%w: client certificate without a common name", ErrInvalidCredentials)
	}
	return Subject{Kind: User, Name: leaf.Subject.CommonName, Groups: leaf.Subject.Organization}, nil
}

// BearerToken authenticates by an "Authorization: Bearer <token>" header,
// checked by a verifier the user supplies (an OIDC library, a token
// table). A request with more than one Authorization header, whatever
// their schemes, is refused with ErrInvalidCredentials (a 401 from
// Middleware), never read by its first or last header.
type BearerToken struct {
	// Verify returns the subject a token stands for, or an error when the
	// token is not acceptable. Required.
	Verify func(ctx context.Context, token string) (Subject, error)
}

// Authenticate implements Authenticator.
func (b BearerToken) Authenticate(r *http.Request) (Subject, error) {
	hs := r.Header.Values("Authorization")
	if len(hs) > 1 {
		// Which one counts would depend on who reads the request (a
		// proxy may check one, we another): refuse them all.
		return Subject{}, fmt.Errorf("%w: %d Authorization headers; send exactly one", ErrInvalidCredentials, len(hs))
	}
	var h string
	if len(hs) == 1 {
		h = hs[0]
	}
	scheme, token, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") {
		return Subject{}, ErrNoCredentials
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return Subject{}, fmt.Errorf("%w: empty bearer token", ErrInvalidCredentials)
	}
	if b.Verify == nil {
		return Subject{}, fmt.Errorf("%w: no bearer token verifier", ErrInvalidCredentials)
	}
	s, err := b.Verify(r.Context(), token)
	if err != nil {
		return Subject{}, fmt.Errorf("%w: %w", ErrInvalidCredentials, err)
	}
	return principal(s, "bearer token verifier")
}

// principal refuses a subject that authentication must not produce: one
// without a name, or of kind Group or unknown (a token claiming to be a
// group would otherwise hold that group's grants). A subject without a
// Kind becomes a User.
func principal(s Subject, from string) (Subject, error) {
	if s.Name == "" {
		return Subject{}, fmt.Errorf("%w: %s returned a subject without a name", ErrInvalidCredentials, from)
	}
	if err := s.Validate(); err != nil {
		return Subject{}, fmt.Errorf("%w: %s: %w", ErrInvalidCredentials, from, err)
	}
	s.Kind = s.kind()
	return s, nil
}

// Challenge implements the optional method Middleware looks for on an
// Authenticator: the scheme named in the WWW-Authenticate header of a 401.
func (BearerToken) Challenge() string { return "Bearer" }

// challenger is an Authenticator that names an HTTP authentication scheme
// for 401 responses.
type challenger interface{ Challenge() string }

// Checker is the one question every package that takes an authorizer
// asks, and what the middleware asks: may the subject carried by ctx apply
// verb to the named resource? A nil error allows; a refusal matches
// ErrDenied, a missing subject ErrNoSubject. *Authorizer implements it;
// artifact, dataset, registry and deploy name it Authorizer in their
// options (each says which verbs and resources it asks about), and
// rbactest.RunConformance checks any implementation.
type Checker interface {
	Authorize(ctx context.Context, verb, resource, name string) error
}

// Request is the authorization request an HTTP request stands for.
type Request struct {
	Verb     string
	Resource string
	Name     string
	// Scope, when set, is put in the context with WithScope.
	Scope string
}

// MiddlewareOptions configure Middleware.
type MiddlewareOptions struct {
	// Authenticators are tried in order; the first that finds credentials
	// decides. Required: with none, every request gets 401.
	Authenticators []Authenticator
	// Resolve maps an HTTP request to what it asks for. When it returns
	// false the request is denied (403). Default (nil): authenticate only,
	// and leave authorization to the handlers, which find the subject with
	// SubjectFrom.
	Resolve func(r *http.Request) (Request, bool)
	// Logger receives why requests were refused; clients never see it.
	// Default: discard.
	Logger *slog.Logger
}

// Middleware authenticates each request, puts its subject in the context
// (WithSubject; a subject without a Kind becomes a User; one of kind Group
// or unknown is refused with 401, see ErrInvalidSubject), and, when
// opts.Resolve is set, asks authz. A request without acceptable credentials
// gets 401, a denied one 403, and an authorizer failure 500; the body is
// only the status text. A 401 carries a WWW-Authenticate header naming the
// schemes of the authenticators that have one (an Authenticator with a
// method Challenge() string, as BearerToken has), without any detail of
// why the credentials were refused.
func Middleware(authz Checker, opts *MiddlewareOptions) func(http.Handler) http.Handler {
	if opts == nil {
		opts = &MiddlewareOptions{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var challenges []string
	for _, a := range opts.Authenticators {
		if c, ok := a.(challenger); ok && c.Challenge() != "" {
			challenges = append(challenges, c.Challenge())
		}
	}
	refuse := func(w http.ResponseWriter, r *http.Request, code int, why error) {
		log.LogAttrs(r.Context(), slog.LevelInfo, "rbac: request refused",
			slog.Int("status", code), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Any("error", why))
		if code == http.StatusUnauthorized {
			for _, c := range challenges {
				w.Header().Add("WWW-Authenticate", c)
			}
		}
		http.Error(w, http.StatusText(code), code)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := authenticate(r, opts.Authenticators)
			if err != nil {
				refuse(w, r, http.StatusUnauthorized, err)
				return
			}
			ctx := WithSubject(r.Context(), s)
			if opts.Resolve != nil {
				if authz == nil {
					refuse(w, r, http.StatusInternalServerError, errors.New("rbac: middleware has Resolve but no authorizer"))
					return
				}
				req, ok := opts.Resolve(r)
				if !ok {
					refuse(w, r, http.StatusForbidden, errors.New("rbac: request not mapped to a permission"))
					return
				}
				if req.Scope != "" {
					ctx = WithScope(ctx, req.Scope)
				}
				switch err := authz.Authorize(ctx, req.Verb, req.Resource, req.Name); {
				case err == nil:
				case errors.Is(err, ErrNoSubject), errors.Is(err, ErrInvalidSubject):
					refuse(w, r, http.StatusUnauthorized, err)
					return
				case errors.Is(err, ErrDenied):
					refuse(w, r, http.StatusForbidden, err)
					return
				default:
					refuse(w, r, http.StatusInternalServerError, err)
					return
				}
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

func authenticate(r *http.Request, authns []Authenticator) (Subject, error) {
	for _, a := range authns {
		s, err := a.Authenticate(r)
		if errors.Is(err, ErrNoCredentials) {
			continue
		}
		if err != nil {
			return Subject{}, err
		}
		return principal(s, fmt.Sprintf("%T", a))
	}
	return Subject{}, ErrNoCredentials
}
