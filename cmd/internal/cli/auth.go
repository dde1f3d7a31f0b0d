package cli

import (
	"context"
	"crypto"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/registry"
)

// common holds the flags every registry command takes.
type common struct {
	bucket, model, policy, as string
	insecureSubject           bool
	noAuthorization           bool
	oidcToken, oidcJWKS       string
	oidcIssuer, oidcAudience  string
	oidcClaim                 string
	now                       func() time.Time // the clock tokens are checked against
}

// register defines the flags of a folded sextant-gate command: -model and
// the flags of registerAuth.
func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.model, "model", "", "model name (required)")
	c.registerAuth(fs)
}

// registerAuth defines -bucket and the flags naming who runs the command.
func (c *common) registerAuth(fs *flag.FlagSet) {
	fs.StringVar(&c.bucket, "bucket", os.Getenv("SEXTANT_BUCKET"), "bucket URL of the registry (default $SEXTANT_BUCKET)")
	fs.StringVar(&c.policy, "policy", "", "rbac policy file; every operation is authorised for the verified subject")
	fs.StringVar(&c.oidcToken, "oidc-token", "", "file holding the CI job's OIDC token (a JWT), which names the subject")
	fs.StringVar(&c.oidcJWKS, "oidc-jwks", "", "JWKS file of the token issuer's keys (RS256 and ES256 are accepted)")
	fs.StringVar(&c.oidcIssuer, "oidc-issuer", "", "issuer the token must name (iss), e.g. https://token.actions.githubusercontent.com")
	fs.StringVar(&c.oidcAudience, "oidc-audience", "", "audience the token must be for (aud)")
	fs.StringVar(&c.oidcClaim, "oidc-claim", "sub", "claim of the token whose value names the User subject")
	fs.StringVar(&c.as, "as", "", "subject KIND:NAME (User, ServiceAccount) asserted WITHOUT PROOF; needs -insecure-subject")
	fs.BoolVar(&c.insecureSubject, "insecure-subject", false, "accept the unproven -as subject: anyone can claim any name, so the policy binds nobody; for local use only")
	fs.BoolVar(&c.noAuthorization, "no-authorization", false, "state that no authorization is wanted: commands that move an alias run without -policy")
}

// session is an open registry, the store under it and the subject's context.
type session struct {
	ctx   context.Context
	reg   *registry.Registry
	store *artifact.Store
	authz *rbac.Authorizer // nil without -policy
}

func (s *session) close() { s.store.Close() }

// subject returns who runs the command: verified from an OIDC token, or
// asserted with -as and -insecure-subject; ok is false when neither is given.
func (c *common) subject() (subj rbac.Subject, ok bool, err error) {
	switch {
	case c.oidcToken != "" && c.as != "":
		return subj, false, fmt.Errorf("%w: give -oidc-token or -as, not both", errUsage)
	case c.oidcToken != "":
		if c.oidcJWKS == "" || c.oidcIssuer == "" || c.oidcAudience == "" {
			return subj, false, fmt.Errorf("%w: -oidc-token needs -oidc-jwks, -oidc-issuer and -oidc-audience", errUsage)
		}
		now := time.Now
		if c.now != nil {
			now = c.now
		}
		name, err := oidcSubject(c.oidcToken, c.oidcJWKS, oidcCheck{issuer: c.oidcIssuer, audience: c.oidcAudience, claim: c.oidcClaim, now: now()})
		if err != nil {
			return subj, false, err
		}
		return rbac.Subject{Kind: rbac.User, Name: name}, true, nil
	case c.as != "":
		if !c.insecureSubject {
			return subj, false, fmt.Errorf("%w: -as %q is asserted without proof, so a policy would bind whoever types the name; "+
				"use -oidc-token, or add -insecure-subject to accept that (local use only)", errUsage, c.as)
		}
		subj, err := parseSubject(c.as)
		return subj, err == nil, err
	}
	return subj, false, nil
}

// open opens the registry, with an authorizer when a policy is given, and
// a context carrying the subject.
func (c *common) open(ctx context.Context, trusted []crypto.PublicKey) (*session, error) {
	if c.bucket == "" {
		return nil, fmt.Errorf("%w: -bucket (or $SEXTANT_BUCKET) is required", errUsage)
	}
	if c.noAuthorization && c.policy != "" {
		return nil, fmt.Errorf("%w: -no-authorization and -policy exclude each other", errUsage)
	}
	subj, hasSubject, err := c.subject()
	if err != nil {
		return nil, err
	}
	if hasSubject != (c.policy != "") {
		return nil, fmt.Errorf("%w: -policy and a subject (-oidc-token, or -as with -insecure-subject) go together", errUsage)
	}
	s := &session{ctx: ctx}
	opts := &registry.Options{TrustedKeys: trusted}
	if hasSubject {
		data, err := os.ReadFile(c.policy)
		if err != nil {
			return nil, err
		}
		policy, err := rbac.Parse(c.policy, data)
		if err != nil {
			return nil, err
		}
		if s.authz, err = rbac.New(policy, nil); err != nil {
			return nil, err
		}
		s.ctx = rbac.WithSubject(ctx, subj)
		opts.Authorizer = s.authz
		actor := string(subj.Kind) + ":" + subj.Name
		opts.Actor = func(context.Context) string { return actor }
	} else if actor := os.Getenv("GITHUB_ACTOR"); actor != "" {
		opts.Actor = func(context.Context) string { return "github:" + actor }
	}
	if s.store, err = artifact.Open(ctx, c.bucket, nil); err != nil {
		return nil, err
	}
	if s.reg, err = registry.Open(ctx, s.store, opts); err != nil {
		s.store.Close()
		return nil, err
	}
	return s, nil
}

func parseSubject(s string) (rbac.Subject, error) {
	kind, name, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return rbac.Subject{}, fmt.Errorf("%w: -as %q: want KIND:NAME", errUsage, s)
	}
	switch k := rbac.SubjectKind(kind); k {
	case rbac.User, rbac.ServiceAccount:
		return rbac.Subject{Kind: k, Name: name}, nil
	}
	return rbac.Subject{}, fmt.Errorf("%w: -as %q: kind must be User or ServiceAccount", errUsage, s)
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// openModel is open for a command that works on the model named by -model.
func (c *common) openModel(ctx context.Context, trusted []crypto.PublicKey) (*session, error) {
	if c.bucket == "" || c.model == "" {
		return nil, fmt.Errorf("%w: -bucket (or $SEXTANT_BUCKET) and -model are required", errUsage)
	}
	return c.open(ctx, trusted)
}

// requireAuthorization refuses to move an alias with nobody authorised,
// unless -no-authorization says that is intended.
func (c *common) requireAuthorization(what string) error {
	if c.policy == "" && !c.noAuthorization {
		return fmt.Errorf("%w: %s without -policy would run with no authorization at all; "+
			"give -policy with -oidc-token, or -no-authorization to state that none is wanted", errUsage, what)
	}
	return nil
}
