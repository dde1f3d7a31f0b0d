package rbac_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/sextant-ml/sextant/rbac"
)

// A policy can be written as Go values instead of YAML; the constants
// spell the vocabulary.
func ExampleNew() {
	policy := &rbac.Policy{
		Roles: []rbac.Role{{Name: "reader", Rules: []rbac.Rule{{
			Verbs:     []string{rbac.VerbGet, rbac.VerbList},
			Resources: []string{rbac.ResourceModels, rbac.ResourceModelVersions},
		}}}},
		Bindings: []rbac.Binding{{Name: "scorers", Role: "reader",
			Subjects: []rbac.SubjectRef{{Kind: rbac.ServiceAccount, Name: "serving:scorer"}}}},
	}
	authz, err := rbac.New(policy, nil)
	if err != nil {
		log.Fatal(err)
	}
	scorer := rbac.WithSubject(context.Background(), rbac.Subject{Kind: rbac.ServiceAccount, Name: "serving:scorer"})
	fmt.Println(authz.Authorize(scorer, rbac.VerbGet, rbac.ResourceModelVersions, "fraud"))
	err = authz.Authorize(scorer, rbac.VerbPromote, rbac.ResourceModelAliases, "fraud")
	fmt.Println(errors.Is(err, rbac.ErrDenied))
	fmt.Println(errors.Is(authz.Authorize(context.Background(), rbac.VerbGet, rbac.ResourceModels, "fraud"), rbac.ErrNoSubject))
	// Output:
	// <nil>
	// true
	// true
}

// Decide answers without a context and says why: which binding, role and
// rule allowed, or the reason for a refusal.
func ExampleAuthorizer_Decide() {
	policy, err := rbac.Parse("policy.yaml", []byte(`
apiVersion: sextant/v1
kind: Role
metadata: {name: data-writer}
rules: [{resources: [datasets], verbs: [create, update], names: ["sensors/*"]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: ingest}
role: data-writer
subjects: [{kind: User, name: ivan}]
`))
	if err != nil {
		log.Fatal(err)
	}
	authz, err := rbac.New(policy, nil)
	if err != nil {
		log.Fatal(err)
	}
	ivan := rbac.Subject{Name: "ivan"}
	fmt.Println(authz.Decide(ivan, "create", "datasets", "", "sensors/oslo"))
	fmt.Println(authz.Decide(ivan, "delete", "datasets", "", "sensors/oslo"))
	fmt.Println(authz.Decide(ivan, "create", "datasets", "", "billing"))
	fmt.Println(authz.Decide(ivan, "watch", "datasets", "", "sensors/oslo"))
	// Output:
	// allowed by binding "ingest" (role "data-writer", rule 0)
	// denied: no binding grants it
	// denied: no binding grants it
	// denied: unknown verb
}

// Nobody grants what they do not hold: AuthorizeRole and AuthorizeBinding
// check a change to the policy against the permissions of whoever asks.
func ExampleAuthorizer_AuthorizeRole() {
	policy, err := rbac.Parse("policy.yaml", []byte(`
apiVersion: sextant/v1
kind: Role
metadata: {name: team-lead}
rules: [{resources: [models, models/versions], verbs: ["*"]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: leads}
role: team-lead
subjects: [{kind: User, name: lea}]
`))
	if err != nil {
		log.Fatal(err)
	}
	authz, err := rbac.New(policy, nil)
	if err != nil {
		log.Fatal(err)
	}
	lea := rbac.WithSubject(context.Background(), rbac.Subject{Name: "lea"})
	fmt.Println(authz.AuthorizeRole(lea, rbac.Role{Name: "trainer", Rules: []rbac.Rule{{
		Verbs: []string{"create"}, Resources: []string{"models/versions"}}}}))
	err = authz.AuthorizeRole(lea, rbac.Role{Name: "promoter", Rules: []rbac.Rule{{
		Verbs: []string{"promote"}, Resources: []string{"models/aliases"}}}})
	var ee *rbac.EscalationError
	fmt.Println(errors.As(err, &ee), errors.Is(err, rbac.ErrDenied))
	// Output:
	// <nil>
	// true true
}

// Names and patterns are slash-separated; "*" matches within one segment
// and "**" across segments.
func ExampleMatch() {
	for _, c := range []struct{ pattern, name string }{
		{"fraud-*", "fraud-v2"},
		{"fraud-*", "fraud/v2"},
		{"team/*/prod", "team/risk/prod"},
		{"team/**", "team/risk/prod"},
	} {
		fmt.Printf("%-12s %-15s %v\n", c.pattern, c.name, rbac.Match(c.pattern, c.name))
	}
	fmt.Println(rbac.ValidName("team/risk"), rbac.ValidName("../etc"), rbac.ValidPattern("a/**"))
	// Output:
	// fraud-*      fraud-v2        true
	// fraud-*      fraud/v2        false
	// team/*/prod  team/risk/prod  true
	// team/**      team/risk/prod  true
	// true false true
}

// Load reads a policy from a file (File) or an object in a bucket
// (Object); Reload and Watch swap it in while requests are served.
func ExampleLoad() {
	dir, err := os.MkdirTemp("", "policy")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(path, []byte(`
apiVersion: sextant/v1
kind: Role
metadata: {name: auditor}
rules: [{resources: ["*"], verbs: [get, list]}]
`), 0o600); err != nil {
		log.Fatal(err)
	}
	p, err := rbac.Load(context.Background(), rbac.File(path))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(p.Roles), p.Roles[0].Name, p.Roles[0].Rules[0].Verbs)
	// Output:
	// 1 auditor [get list]
}

// BearerToken turns an Authorization header into a subject with a
// verifier of the caller's (an OIDC library, a lookup of API keys).
func ExampleBearerToken() {
	auth := rbac.BearerToken{Verify: func(ctx context.Context, token string) (rbac.Subject, error) {
		if token != "s3cret" {
			return rbac.Subject{}, errors.New("unknown token")
		}
		return rbac.Subject{Kind: rbac.ServiceAccount, Name: "ci:deployer"}, nil
	}}
	r := httptest.NewRequest("GET", "/models", nil)
	r.Header.Set("Authorization", "Bearer s3cret")
	s, err := auth.Authenticate(r)
	fmt.Println(s.Kind, s.Name, err)
	r.Header.Set("Authorization", "Bearer wrong")
	_, err = auth.Authenticate(r)
	fmt.Println(err != nil)
	// Output:
	// ServiceAccount ci:deployer <nil>
	// true
}

// Verbs and Resources list the vocabulary rules are written in.
func ExampleVerbs() {
	fmt.Println(rbac.Verbs())
	fmt.Println(rbac.Resources())
	// Output:
	// [get list create update delete promote deploy rollback sign escalate bind evaluate]
	// [models models/versions models/aliases datasets artifacts deployments policies]
}
