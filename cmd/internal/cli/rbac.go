package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/sextant-ml/sextant/rbac"
)

func rbacCommands() []command {
	return []command{
		{"can-i", "may a subject do VERB on RESOURCE [NAME]? prints yes or no, exit status 0 or 1", cmdCanI},
	}
}

func cmdCanI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rbac can-i", stderr)
	as := fs.String("as", "", "subject to ask for, KIND:NAME (User or ServiceAccount) (required)")
	groups := fs.String("groups", "", "comma-separated groups the subject belongs to")
	policy := fs.String("policy", "", "rbac policy file (required)")
	scope := fs.String("scope", "", "scope of the request (a namespace-like qualifier the policy's bindings may name)")
	var o output
	o.register(fs)
	fs.Usage = usageWith(fs, "VERB RESOURCE [NAME]",
		"Answers from the policy alone, as kubectl auth can-i does: prints yes (exit status 0) or no (exit status 1).\n"+
			"Verbs: "+strings.Join(rbac.Verbs(), ", ")+"\nResources: "+strings.Join(rbac.Resources(), ", "))
	pos, err := o.parseArgs(fs, args, 2, 3)
	if err != nil {
		return err
	}
	verb, resource, name := pos[0], pos[1], ""
	if len(pos) == 3 {
		name = pos[2]
	}
	if verb != "*" && !slices.Contains(rbac.Verbs(), verb) {
		return fmt.Errorf("%w: unknown verb %q (want one of %s)", errUsage, verb, strings.Join(rbac.Verbs(), ", "))
	}
	if resource != "*" && !slices.Contains(rbac.Resources(), resource) {
		return fmt.Errorf("%w: unknown resource %q (want one of %s)", errUsage, resource, strings.Join(rbac.Resources(), ", "))
	}
	if *as == "" || *policy == "" {
		return fmt.Errorf("%w: --as KIND:NAME and -policy FILE are required", errUsage)
	}
	subj, err := parseSubject(*as)
	if err != nil {
		return err
	}
	if *groups != "" {
		subj.Groups = strings.Split(*groups, ",")
	}
	data, err := os.ReadFile(*policy)
	if err != nil {
		return err
	}
	p, err := rbac.Parse(*policy, data)
	if err != nil {
		return err
	}
	authz, err := rbac.New(p, nil)
	if err != nil {
		return err
	}
	d := authz.Decide(subj, verb, resource, *scope, name)
	if o.json() {
		if err := writeJSON(stdout, map[string]any{"allowed": d.Allowed, "reason": d.Reason.String(), "binding": d.Binding, "role": d.Role}); err != nil {
			return err
		}
	} else if d.Allowed {
		fmt.Fprintln(stdout, "yes")
	} else {
		fmt.Fprintln(stdout, "no")
	}
	if !d.Allowed {
		return errNo
	}
	return nil
}
