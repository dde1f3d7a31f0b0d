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
// verifies the signature when a trusted key is given and moves the alias,
// the gate checked again in the same registry entry. keygen writes an ECDSA
// P-256 key pair (PREFIX.pem, PREFIX.pub.pem).
//
// With -policy FILE and -as KIND:NAME (for example ServiceAccount:release),
// every registry operation is authorised by that rbac policy for that
// subject, so a CI job holding only the trainer role cannot promote.
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

// run executes one command and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: sextant-gate register|gate|promote|keygen [flags]; sextant-gate CMD -h for flags")
		return exitUsage
	}
	cmds := map[string]func(context.Context, []string, io.Writer, io.Writer) error{
		"register": cmdRegister,
		"gate":     cmdGate,
		"promote":  cmdPromote,
		"keygen":   cmdKeygen,
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "sextant-gate: unknown command %q (want register, gate, promote or keygen)\n", args[0])
		return exitUsage
	}
	err := cmd(ctx, args[1:], stdout, stderr)
	var gf *gateFailedError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitUsage
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
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.bucket, "bucket", os.Getenv("SEXTANT_BUCKET"), "bucket URL of the registry (default $SEXTANT_BUCKET)")
	fs.StringVar(&c.model, "model", "", "model name (required)")
	fs.StringVar(&c.policy, "policy", "", "rbac policy file; with -as, every operation is authorised")
	fs.StringVar(&c.as, "as", "", "subject the operations are authorised for, KIND:NAME (User, ServiceAccount)")
}

// session is an open registry, the store under it and the subject's context.
type session struct {
	ctx   context.Context
	reg   *registry.Registry
	store *artifact.Store
	authz *rbac.Authorizer // nil without -policy
}

func (s *session) close() { s.store.Close() }

// open opens the registry, with an authorizer when a policy is given, and
// a context carrying the subject.
func (c *common) open(ctx context.Context, trusted []crypto.PublicKey) (*session, error) {
	if c.bucket == "" || c.model == "" {
		return nil, fmt.Errorf("%w: -bucket (or $SEXTANT_BUCKET) and -model are required", errUsage)
	}
	if (c.policy == "") != (c.as == "") {
		return nil, fmt.Errorf("%w: -policy and -as go together", errUsage)
	}
	s := &session{ctx: ctx}
	opts := &registry.Options{TrustedKeys: trusted}
	if c.as != "" {
		subj, err := parseSubject(c.as)
		if err != nil {
			return nil, err
		}
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
		opts.Actor = func(context.Context) string { return c.as }
	} else if actor := os.Getenv("GITHUB_ACTOR"); actor != "" {
		opts.Actor = func(context.Context) string { return "github:" + actor }
	}
	var err error
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
