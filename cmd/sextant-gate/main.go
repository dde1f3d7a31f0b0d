// Command sextant-gate registers, gates and promotes model versions from a
// CI/CD pipeline, against a registry on any bucket Sextant opens (file://,
// s3://, gs://, azblob://).
//
//	sextant-gate register -bucket URL -model NAME -dir DIR [-metrics FILE] [-params FILE]
//	                      [-data DIR [-dataset-name NAME]] [-dataset DIGEST]...
//	                      [-run ID] [-revision SHA] [-source URL] [-sign-key FILE]
//	sextant-gate gate     -bucket URL -model NAME -gate FILE (-version N | -metrics FILE) [-alias production] [-summary FILE]
//	sextant-gate promote  -bucket URL -model NAME -version N -gate FILE [-alias production] [-trusted-key FILE]
//	sextant-gate keygen   -out PREFIX
//	sextant-gate help     (also -h, --help: the usage, exit status 0)
//
// Every registry command also takes -policy FILE with -oidc-token FILE
// -oidc-jwks FILE -oidc-issuer URL -oidc-audience AUD [-oidc-claim NAME],
// or -as KIND:NAME -insecure-subject, or -no-authorization (see below).
//
// register first versions the training data under -data as the next version
// of a dataset (named after the model unless -dataset-name says otherwise),
// then uploads the files under DIR as the next version, with its metrics,
// parameters and lineage (revision, run and source default to GitHub
// Actions' GITHUB_SHA, GITHUB_RUN_ID and run URL), optionally signs it, and
// prints the version number alone on standard output. gate compares a
// candidate (a registered version, or a metrics file before registering)
// with the version holding the alias, under a gate file with MLflow's
// MetricThreshold semantics, prints a Markdown table (also appended to
// GITHUB_STEP_SUMMARY when set) and exits 3 when the gate fails. promote
// verifies the signature when a trusted key is given (the signed statement
// binds the registry, model, version and metrics, so a signature replayed
// from another version fails) and moves the alias, the gate checked again
// in the same registry entry, where with a trusted key the candidate's and
// the baseline's metrics must match their signatures. keygen writes an ECDSA
// P-256 key pair (PREFIX.pem, PREFIX.pub.pem).
//
// A gate file maps metric names to MLflow's criteria (threshold,
// min_absolute_change, min_relative_change) and greater_is_better, which is
// required for every metric.
//
// # Who runs a command, and what that guarantees
//
// With -policy FILE, every registry operation is authorised by that rbac
// policy for one subject, taken from verified credentials: -oidc-token FILE
// holds the CI job's OIDC token (a JWT signed RS256 or ES256), checked
// against the keys of -oidc-jwks FILE, for the issuer -oidc-issuer and the
// audience -oidc-audience, unexpired (60 s of clock skew allowed); the
// subject is the User named (as Kubernetes names OIDC identities) by the claim -oidc-claim (default
// "sub"; for GitHub Actions "repo:OWNER/REPO:ref:refs/heads/main" or
// "repo:OWNER/REPO:environment:production"). So a policy that binds the
// trainer role to the main branch's jobs and the release role to the
// production environment's jobs keeps a training job from promoting, as far
// as the registry's operations go. The key set file is trusted as given:
// fetch it from the issuer over TLS (GitHub's is at
// https://token.actions.githubusercontent.com/.well-known/jwks).
//
// -as KIND:NAME names a subject without proof; it is accepted only with
// -insecure-subject, and then the policy binds whoever types the name: use
// it on a workstation, never as a boundary. Without -policy nothing is
// authorised; promote then refuses to run unless -no-authorization states
// that no authorization is wanted. In every case the bucket's own access
// control (the cloud role of the job) is the outer boundary: a job that may
// write the bucket's objects directly is held back by that alone.
//
// Exit status: 0 success, 1 error (a denial included), 2 usage, 3 gate failed.
package main

import (
	"context"
	"crypto"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/registry"
)

// Exit codes.
const (
	exitOK         = 0
	exitError      = 1
	exitUsage      = 2
	exitGateFailed = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// errUsage reports bad command-line arguments.
var errUsage = errors.New("usage")

// usage is printed by "sextant-gate help", -h and --help, and after a
// command that is missing or unknown.
const usage = `usage: sextant-gate COMMAND [flags]

Commands:
  register   version the training data, upload and register a model version, optionally sign it
  gate       compare a candidate with the version holding an alias, under a gate file
  promote    verify a version and move an alias to it, the gate checked in the same entry
  keygen     write an ECDSA P-256 key pair for signing versions

Who runs a command (with -policy FILE, every registry operation is authorised):
  -oidc-token FILE -oidc-jwks FILE -oidc-issuer URL -oidc-audience AUD [-oidc-claim sub]
             a CI OIDC token (RS256 or ES256), verified against the key set;
             the subject is the User named by the claim
  -as KIND:NAME -insecure-subject
             a subject asserted without proof, for local use only
  promote refuses to run without -policy unless -no-authorization is given.

Run "sextant-gate COMMAND -h" for the flags of a command.
Exit status: 0 success, 1 error (a denial included), 2 usage, 3 gate failed.
`

// run executes one command and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"register": cmdRegister,
		"gate":     cmdGate,
		"promote":  cmdPromote,
		"keygen":   cmdKeygen,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sextant-gate: unknown command %q (want register, gate, promote or keygen)\n\n%s", args[0], usage)
		return exitUsage
	}
	err := cmd(ctx, args[1:], stdout, stderr)
	var gf *gateFailedError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK // the flag package printed the command's flags
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "sextant-gate:", err)
		return exitUsage
	case errors.As(err, &gf), errors.Is(err, registry.ErrGateFailed):
		fmt.Fprintln(stderr, "sextant-gate:", err)
		return exitGateFailed
	default:
		fmt.Fprintln(stderr, "sextant-gate:", err)
		return exitError
	}
}

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

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.bucket, "bucket", os.Getenv("SEXTANT_BUCKET"), "bucket URL of the registry (default $SEXTANT_BUCKET)")
	fs.StringVar(&c.model, "model", "", "model name (required)")
	fs.StringVar(&c.policy, "policy", "", "rbac policy file; every operation is authorised for the verified subject")
	fs.StringVar(&c.oidcToken, "oidc-token", "", "file holding the CI job's OIDC token (a JWT), which names the subject")
	fs.StringVar(&c.oidcJWKS, "oidc-jwks", "", "JWKS file of the token issuer's keys (RS256 and ES256 are accepted)")
	fs.StringVar(&c.oidcIssuer, "oidc-issuer", "", "issuer the token must name (iss), e.g. https://token.actions.githubusercontent.com")
	fs.StringVar(&c.oidcAudience, "oidc-audience", "", "audience the token must be for (aud)")
	fs.StringVar(&c.oidcClaim, "oidc-claim", "sub", "claim of the token whose value names the User subject")
	fs.StringVar(&c.as, "as", "", "subject KIND:NAME (User, ServiceAccount) asserted WITHOUT PROOF; needs -insecure-subject")
	fs.BoolVar(&c.insecureSubject, "insecure-subject", false, "accept the unproven -as subject: anyone can claim any name, so the policy binds nobody; for local use only")
	fs.BoolVar(&c.noAuthorization, "no-authorization", false, "state that no authorization is wanted: promote runs without -policy")
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
	if c.bucket == "" || c.model == "" {
		return nil, fmt.Errorf("%w: -bucket (or $SEXTANT_BUCKET) and -model are required", errUsage)
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

// parseFlags parses args and refuses positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sextant-gate "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
