// Package cli implements the sextant command and its sextant-gate alias.
// The command's documentation is in cmd/sextant.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/sextant-ml/sextant/registry"
)

// Exit statuses.
const (
	ExitOK         = 0
	ExitError      = 1
	ExitUsage      = 2
	ExitGateFailed = 3
	ExitDrift      = 4
)

// errUsage reports bad command-line arguments (exit status 2).
var errUsage = errors.New("usage")

// errDrift reports that a drift report found drift (exit status 4).
var errDrift = errors.New("drift found")

// errNo is a "no" answer of rbac can-i (exit status 1, nothing printed on
// standard error).
var errNo = errors.New("no")

// command is one subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// group is a command with subcommands, or a leaf when run is set.
type group struct {
	name, summary string
	cmds          []command
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func groups() []group {
	return []group{
		{name: "data", summary: "version data beside .dvc files: add, commit, status, diff, push, pull, checkout", cmds: dataCommands()},
		{name: "models", summary: "the model registry: list, show, history, aliases, promotion gates, rollback, cards, signatures", cmds: modelCommands()},
		{name: "runs", summary: "pipeline runs recorded on the bucket: list, show, compare", cmds: runCommands()},
		{name: "drift", summary: "compare current data with a reference: report", cmds: driftCommands()},
		{name: "rbac", summary: "ask an rbac policy: can-i", cmds: rbacCommands()},
		{name: "ui", summary: "serve the web UI over a bucket: models, runs, datasets, drift, rollouts", run: cmdUI},
		{name: "gc", summary: "delete content nothing on the bucket refers to any more", run: cmdGC},
	}
}

// Main runs sextant with the process's arguments and returns the exit status.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// Run executes one sextant command line and returns its exit status.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	gs := groups()
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage(gs))
		return ExitUsage
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, topUsage(gs))
		return ExitOK
	}
	i := slices.IndexFunc(gs, func(g group) bool { return g.name == args[0] })
	if i < 0 {
		fmt.Fprintf(stderr, "sextant: unknown command %q\n\n%s", args[0], topUsage(gs))
		return ExitUsage
	}
	g := gs[i]
	if g.run != nil {
		return finish(g.run(ctx, args[1:], stdout, stderr), stderr)
	}
	if len(args) < 2 {
		fmt.Fprint(stderr, groupUsage(g))
		return ExitUsage
	}
	if isHelp(args[1]) {
		fmt.Fprint(stdout, groupUsage(g))
		return ExitOK
	}
	j := slices.IndexFunc(g.cmds, func(c command) bool { return c.name == args[1] })
	if j < 0 {
		fmt.Fprintf(stderr, "sextant %s: unknown command %q\n\n%s", g.name, args[1], groupUsage(g))
		return ExitUsage
	}
	return finish(g.cmds[j].run(ctx, args[2:], stdout, stderr), stderr)
}

// RunGate executes a sextant-gate command line: its commands register, gate,
// promote and keygen are sextant's "models" commands of those names.
func RunGate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, gateUsage)
		return ExitUsage
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, gateUsage)
		return ExitOK
	}
	switch args[0] {
	case "register", "gate", "promote", "keygen":
		return Run(ctx, append([]string{"models"}, args...), stdout, stderr)
	}
	fmt.Fprintf(stderr, "sextant-gate: unknown command %q (want register, gate, promote or keygen)\n\n%s", args[0], gateUsage)
	return ExitUsage
}

// GateMain runs sextant-gate with the process's arguments.
func GateMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return RunGate(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

const gateUsage = `usage: sextant-gate COMMAND [flags]

sextant-gate is the former name of four "sextant models" commands and runs
them unchanged: "sextant-gate register ..." is "sextant models register ...".

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

func isHelp(s string) bool {
	switch s {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

func topUsage(gs []group) string {
	var b strings.Builder
	b.WriteString("usage: sextant COMMAND [SUBCOMMAND] [flags] [arguments]\n\nCommands:\n")
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, g := range gs {
		fmt.Fprintf(w, "  %s\t%s\n", g.name, g.summary)
	}
	w.Flush()
	b.WriteString(`
Every command that reads a bucket takes -bucket URL (default $SEXTANT_BUCKET):
mem://, file:///path, s3://bucket, gs://bucket or azblob://container.
Listing and show commands take -o json for scripts.

Run "sextant COMMAND -h" for the subcommands, "sextant COMMAND SUBCOMMAND -h" for the flags.
Exit status: 0 success, 1 error, 2 usage, 3 gate failed, 4 drift found.
`)
	return b.String()
}

func groupUsage(g group) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: sextant %s SUBCOMMAND [flags] [arguments]\n\n%s.\n\nSubcommands:\n", g.name, g.summary)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, c := range g.cmds {
		fmt.Fprintf(w, "  %s\t%s\n", c.name, c.summary)
	}
	w.Flush()
	fmt.Fprintf(&b, "\nRun \"sextant %s SUBCOMMAND -h\" for its flags.\n", g.name)
	return b.String()
}

// finish maps a command's error to the exit status, reporting it.
func finish(err error, stderr io.Writer) int {
	var gf *gateFailedError
	var ge *registry.GateError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK // the flag package printed the command's flags
	case errors.Is(err, errNo):
		return ExitError
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "sextant:", err)
		return ExitUsage
	case errors.As(err, &gf), errors.As(err, &ge), errors.Is(err, registry.ErrGateFailed):
		fmt.Fprintln(stderr, "sextant:", err)
		return ExitGateFailed
	case errors.Is(err, errDrift):
		fmt.Fprintln(stderr, "sextant:", err)
		return ExitDrift
	default:
		fmt.Fprintln(stderr, "sextant:", err)
		return ExitError
	}
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sextant "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseArgs parses flags wherever they stand among the arguments (so
// "models show m/1 -o json" and "rbac can-i get models --as User:x" both
// work; "--" ends the flags) and returns the positional arguments, of which
// there must be between min and max (max < 0: no limit).
func parseArgs(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	switch {
	case len(pos) < min:
		return nil, fmt.Errorf("%w: %s: want at least %d argument(s), got %d", errUsage, fs.Name(), min, len(pos))
	case max >= 0 && len(pos) > max:
		return nil, fmt.Errorf("%w: %s: unexpected argument %q", errUsage, fs.Name(), pos[max])
	}
	return pos, nil
}

// parseFlags parses args and refuses positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	_, err := parseArgs(fs, args, 0, 0)
	return err
}

// output is the -o flag: text for people, json for scripts.
type output struct{ format string }

func (o *output) register(fs *flag.FlagSet, extra ...string) {
	formats := append([]string{"text", "json"}, extra...)
	fs.StringVar(&o.format, "o", "text", "output format: "+strings.Join(formats, ", "))
}

// parseArgs parses the flags and positional arguments of fs (as the
// function parseArgs does) and then checks the -o format.
func (o *output) parseArgs(fs *flag.FlagSet, args []string, min, max int) ([]string, error) {
	pos, err := parseArgs(fs, args, min, max)
	if err != nil {
		return nil, err
	}
	return pos, o.check()
}

func (o *output) check(extra ...string) error {
	if o.format == "text" || o.format == "json" || slices.Contains(extra, o.format) {
		return nil
	}
	return fmt.Errorf("%w: -o %q: want text or json", errUsage, o.format)
}

func (o *output) json() bool { return o.format == "json" }

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printTable writes rows aligned in columns, an empty cell as "-".
func printTable(w io.Writer, header string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		cells := slices.Clone(r)
		for i, c := range cells {
			if c == "" {
				cells[i] = "-"
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// usageWith sets a flag set's usage to name its arguments and say what the
// command does.
func usageWith(fs *flag.FlagSet, args, about string) func() {
	return func() {
		out := fs.Output()
		fmt.Fprintf(out, "usage: %s [flags] %s\n\n%s\n\nFlags:\n", fs.Name(), args, about)
		fs.PrintDefaults()
	}
}
