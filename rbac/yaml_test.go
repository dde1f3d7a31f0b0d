package rbac

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOwnKinds(t *testing.T) {
	got := mustParseFile(t, "testdata/policy.yaml")
	want := &Policy{
		Roles: []Role{
			{Name: "trainer", Origin: "testdata/policy.yaml:2", Rules: []Rule{
				{Verbs: []string{"get", "list", "create"}, Resources: []string{"models", "models/versions"}},
				{Verbs: []string{"create", "get"}, Resources: []string{"artifacts"}},
			}},
			{Name: "promoter", Origin: "testdata/policy.yaml:12", Rules: []Rule{
				{Verbs: []string{"promote", "rollback"}, Resources: []string{"models/aliases"}, Names: []string{"fraud-*", "churn/**"}},
			}},
		},
		Bindings: []Binding{
			{Name: "trainers", Role: "trainer", Origin: "testdata/policy.yaml:26",
				Subjects: []SubjectRef{{ServiceAccount, "trainer"}}},
			{Name: "release-promoters", Scope: "fraud", Role: "promoter", Origin: "testdata/policy.yaml:36",
				Subjects: []SubjectRef{{Group, "release"}, {User, "alice"}}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestParseKubernetes(t *testing.T) {
	got := mustParseFile(t, "testdata/k8s.yaml")
	want := &Policy{
		Roles: []Role{
			{Name: "model-reader", Origin: "testdata/k8s.yaml:1", Rules: []Rule{
				{Verbs: []string{"get", "list"}, Resources: []string{"models", "models/versions", "models/aliases"}},
			}},
			{Name: "deployer", Scope: "payments", Origin: "testdata/k8s.yaml:12", Rules: []Rule{
				{Verbs: []string{"deploy", "rollback"}, Resources: []string{"deployments"}, Names: []string{"scorer"}},
			}},
		},
		Bindings: []Binding{
			{Name: "everyone-reads", Role: "model-reader", Origin: "testdata/k8s.yaml:28",
				Subjects: []SubjectRef{{Group, Authenticated}}},
			{Name: "ci-deploys", Scope: "payments", Role: "deployer", RoleScope: "payments", Origin: "testdata/k8s.yaml:45",
				Subjects: []SubjectRef{{ServiceAccount, "build:ci"}, {User, "bob"}}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func mustParseFile(t *testing.T, path string) *Policy {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(path, data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", path, err)
	}
	return p
}

const ownRole = `apiVersion: sextant/v1
kind: Role
metadata:
  name: r
rules:
  - resources: [models]
    verbs: [get]
`

// k8sClusterRole and k8sRoleInA are Kubernetes roles named r, the
// second in namespace a, each four lines long, for bindings to follow.
const (
	k8sClusterRole = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r}
rules: [{apiGroups: [""], resources: [models], verbs: [get]}]
`
	k8sRoleInA = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r, namespace: a}
rules: [{apiGroups: [""], resources: [models], verbs: [get]}]
`
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings of the error, in order of appearance
	}{
		{"unknown top-level field", ownRole + "extra: 1\n", []string{"p.yaml:8: ", `unknown field "extra"`}},
		{"unknown rule field", strings.Replace(ownRole, "verbs: [get]", "verbs: [get]\n    apiGroups: [x]", 1),
			[]string{"p.yaml:8: ", `rule: unknown field "apiGroups"`}},
		{"unknown verb", strings.Replace(ownRole, "[get]", "[get, watch]", 1), []string{"p.yaml:7: ", `unknown verb "watch"`}},
		{"unknown resource", strings.Replace(ownRole, "[models]", "[pods]", 1), []string{"p.yaml:6: ", `unknown resource "pods"`}},
		{"bad name pattern", strings.Replace(ownRole, "verbs: [get]", "verbs: [get]\n    names: [\"a**\"]", 1),
			[]string{"p.yaml:8: ", `invalid name pattern "a**"`}},
		{"missing role", ownRole + `---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: b}
role: nope
subjects: [{kind: User, name: u}]
`, []string{"p.yaml:12: ", `binding "b" refers to missing role "nope"`}},
		{"k8s binding to missing role", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: ghost
subjects: [{kind: User, name: u}]
`, []string{"p.yaml:5: ", `refers to missing role "ghost"`}},
		{"foreign roleRef api group", k8sClusterRole + `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef:
  apiGroup: example.com
  kind: ClusterRole
  name: r
subjects: [{kind: User, name: u, apiGroup: rbac.authorization.k8s.io}]
`, []string{"p.yaml:10: ", `roleRef.apiGroup "example.com" is not rbac.authorization.k8s.io`}},
		{"foreign subject api group", k8sClusterRole + `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects:
  - kind: User
    name: u
    apiGroup: example.com
`, []string{"p.yaml:13: ", `subject apiGroup "example.com" is not rbac.authorization.k8s.io`}},
		{"cluster binding to a namespaced role", k8sRoleInA + `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects: [{kind: User, name: u}]
`, []string{"p.yaml:9: ", `ClusterRoleBinding cannot refer to roleRef kind "Role"`}},
		{"namespaced role from another scope", k8sRoleInA + `---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: b, namespace: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects: [{kind: User, name: u}]
`, []string{"p.yaml:9: ", `refers to missing role "r" in scope "b"`}},
		{"k8s role without namespace", `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r}
rules: [{apiGroups: [""], resources: [models], verbs: [get]}]
`, []string{"p.yaml:1: ", "needs metadata.namespace"}},
		{"foreign api group", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r}
rules: [{apiGroups: [apps], resources: [deployments], verbs: [get]}]
`, []string{"p.yaml:4: ", `api group "apps"`}},
		{"k8s verb we do not have", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r}
rules:
- apiGroups: [""]
  resources: [models]
  verbs:
  - get
  - watch
`, []string{"p.yaml:9: ", `unknown verb "watch"`}},
		{"aggregation rule", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {team: ml}}]
rules: []
`, []string{"p.yaml:5: ", "aggregationRule is not supported"}},
		{"list inside a list", `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: List
    items: []
`, []string{"p.yaml:4: ", "unsupported document"}},
		{"non-resource urls", `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: r}
rules: [{nonResourceURLs: ["/healthz"], verbs: [get]}]
`, []string{"nonResourceURLs are not supported"}},
		{"unknown subject kind", ownRole + `---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: b}
role: r
subjects:
  - {kind: Robot, name: x}
`, []string{"p.yaml:14: ", `unknown subject kind "Robot"`}},
		{"unsupported kind", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", []string{"p.yaml:1: ", `unsupported document: apiVersion "v1" kind "Pod"`}},
		{"no kind", "metadata: {name: p}\n", []string{"p.yaml:1: ", "needs apiVersion and kind"}},
		{"duplicate field", "apiVersion: sextant/v1\nkind: Role\nkind: Role\nmetadata: {name: r}\n", []string{"p.yaml:3: ", `duplicate field "kind"`}},
		{"duplicate role", ownRole + "---\n" + ownRole, []string{"p.yaml:9: ", `duplicate role "r"`}},
		{"wrong type", strings.Replace(ownRole, "[get]", "get", 1), []string{"p.yaml:7: ", "verbs must be a list"}},
		{"syntax", "apiVersion: [\n", []string{"p.yaml: yaml: "}},
		{"collection alias", "x: &a [1]\n---\n" + strings.Replace(ownRole, "[get]", "*a", 1), []string{"aliases are supported for scalars only"}},
		{"two problems, both reported", strings.Replace(strings.Replace(ownRole, "[get]", "[watch]", 1), "[models]", "[pods]", 1),
			[]string{`p.yaml:7: unknown verb "watch"`, `p.yaml:6: unknown resource "pods"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(tt.yaml))
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("Parse error = %v, want one matching ErrInvalidPolicy", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "rbac: ") {
				t.Errorf("error %q lacks the package prefix", msg)
			}
			rest := msg
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error %q does not contain %q (in order)", msg, w)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

func TestParseEmptyAndScalarAliases(t *testing.T) {
	p, err := Parse("p.yaml", []byte("---\n# nothing\n---\n"))
	if err != nil || len(p.Roles)+len(p.Bindings) != 0 {
		t.Fatalf("empty documents: %+v, %v", p, err)
	}
	src := "apiVersion: sextant/v1\nkind: Role\nmetadata: {name: &n reader}\nrules: [{resources: [models], verbs: [get], names: [*n]}]\n"
	p, err = Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"reader"}, p.Roles[0].Rules[0].Names); diff != "" {
		t.Errorf("names through a scalar alias (-want +got):\n%s", diff)
	}
}

// FuzzParse parses random documents and, for those that parse, compares
// the compiled authorizer's answers with evaluate's, a plain loop over
// every binding and rule, on requests built from the policy's own
// subjects, scopes and names and a few strangers.
func FuzzParse(f *testing.F) {
	for _, path := range []string{"testdata/policy.yaml", "testdata/k8s.yaml"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(ownRole))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: List}]\n"))
	f.Add([]byte(k8sClusterRole + "---\n" + k8sRB + "  - {kind: ServiceAccount, name: ci}\n  - {kind: Group, name: ml}\n"))
	f.Add([]byte(k8sRoleInA + "---\n" + k8sRB + "  - {kind: ServiceAccount, name: ci, namespace: b}\n  - {kind: User, name: \"a:ci\"}\n"))
	f.Add([]byte(k8sRole(`apiGroups: ["*"], resources: ["*"], verbs: [get, promote], resourceNames: [m]`) + "---\n" + k8sCRB + "  - {kind: Group, name: system:authenticated}\n"))
	f.Add([]byte(strings.Replace(ownRole, "verbs: [get]", "verbs: [\"*\"]\n    names: [\"m*\", \"a/**\", \"?\"]", 1) +
		"---\napiVersion: sextant/v1\nkind: RoleBinding\nmetadata: {name: b}\nscope: s\nrole: r\nsubjects: [{kind: ServiceAccount, name: \"n:sa\"}, {kind: Group, name: g}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("f.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("error %v does not match ErrInvalidPolicy", err)
			}
			return
		}
		// What parses must compile, and decide as the plain reading does.
		a, err := New(p, nil)
		if err != nil {
			t.Fatalf("parsed policy does not compile: %v", err)
		}
		subjects, scopes, names := requestPools(p)
		seed := sha256.Sum256(data)
		r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:16])))
		verbs := append(Verbs(), "watch", "*")
		resources := append(Resources(), "pods", "*")
		for range 300 {
			s, verb, res, scope, name := pick(r, subjects), pick(r, verbs), pick(r, resources), pick(r, scopes), pick(r, names)
			got := a.Decide(s, verb, res, scope, name)
			want, grantors := evaluate(p, s, verb, res, scope, name)
			if got.Allowed != want {
				t.Fatalf("subject %+v %s %s scope %q name %q: compiled %v, plain reading allowed=%v\npolicy %+v", s, verb, res, scope, name, got, want, p)
			}
			if g := fmt.Sprintf("%s/%s/%d", got.Binding, got.Role, got.Rule); got.Allowed && !slices.Contains(grantors, g) {
				t.Fatalf("subject %+v %s %s scope %q name %q: reason %s is not among the grants %v", s, verb, res, scope, name, g, grantors)
			}
		}
	})
}

// requestPools returns the subjects, scopes and names requests are built
// from: those of p, variants one step away (a service account without its
// namespace, a user of its name, a group claimed as the subject, a name
// one character or segment longer) and strangers.
func requestPools(p *Policy) (subjects []Subject, scopes, names []string) {
	subjects = []Subject{{Name: "stranger"}, {Kind: ServiceAccount, Name: "stranger"}, {}}
	scopes = []string{"", "elsewhere"}
	names = []string{"", "m", "a/b", "x"}
	for _, b := range p.Bindings {
		scopes = append(scopes, b.Scope)
		for _, sr := range b.Subjects {
			switch sr.Kind {
			case Group:
				subjects = append(subjects, Subject{Name: "member", Groups: []string{"other", sr.Name}}, Subject{Kind: Group, Name: sr.Name})
			default:
				subjects = append(subjects, Subject{Kind: sr.Kind, Name: sr.Name})
				if sr.Kind == ServiceAccount {
					subjects = append(subjects, Subject{Kind: User, Name: sr.Name})
				} else {
					subjects = append(subjects, Subject{Kind: ServiceAccount, Name: sr.Name})
				}
				if _, n, ok := strings.Cut(sr.Name, ":"); ok {
					subjects = append(subjects, Subject{Kind: sr.Kind, Name: n})
				}
			}
		}
	}
	for _, role := range p.Roles {
		scopes = append(scopes, role.Scope)
		for _, rule := range role.Rules {
			for _, n := range rule.Names {
				names = append(names, n, n+"x", n+"/x")
				if len(n) > 1 {
					names = append(names, n[:len(n)-1])
				}
			}
		}
	}
	return subjects, scopes, names
}

// k8sCRB and k8sRB start a Kubernetes ClusterRoleBinding, and a
// RoleBinding in namespace a, of the role r; each is five lines long
// (six after a "---"), and subjects follow.
const (
	k8sCRB = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects:
`
	k8sRB = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: b, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects:
`
)

// k8sRole returns a ClusterRole r with one rule whose fields are given in
// flow form; the rule is on line 4.
func k8sRole(rule string) string {
	return "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: [{" + rule + "}]\n"
}

// TestParseKubernetesSemantics holds, per way a Kubernetes document could
// be read otherwise, what Kubernetes does and what Parse does the same.
func TestParseKubernetesSemantics(t *testing.T) {
	refused := []struct {
		name string
		yaml string
		want []string // substrings of the error, in order
	}{
		// A PolicyRule needs apiGroups: Kubernetes validation rejects a
		// resource rule without any.
		{"rule without apiGroups", k8sRole("resources: [models], verbs: [get]"),
			[]string{"p.yaml:4: ", "rule has no apiGroups"}},
		{"rule with empty apiGroups", k8sRole("apiGroups: [], resources: [models], verbs: [get]"),
			[]string{"p.yaml:4: ", "rule has no apiGroups"}},
		{"rule with null apiGroups", k8sRole("apiGroups: null, resources: [models], verbs: [get]"),
			[]string{"p.yaml:4: ", "rule has no apiGroups"}},
		{"namespaced role rule without apiGroups", "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: a}\nrules:\n  - resources: [models]\n    verbs: [get]\n",
			[]string{"p.yaml:5: ", "rule has no apiGroups"}},
		// resourceNames are exact names; '*' and '?' are not wildcards
		// there, so a pattern can only be a mistake.
		{"star in resourceNames", k8sRole(`apiGroups: [""], resources: [models], verbs: [get], resourceNames: ["fraud-*"]`),
			[]string{"p.yaml:4: ", `resourceNames are exact names, not patterns: "fraud-*"`}},
		{"question mark in resourceNames", k8sRole(`apiGroups: [""], resources: [models], verbs: [get], resourceNames: ["fraud-?"]`),
			[]string{"p.yaml:4: ", `not patterns: "fraud-?"`}},
		{"globstar in resourceNames", k8sRole(`apiGroups: [""], resources: [models], verbs: [get], resourceNames: ["fraud/**"]`),
			[]string{"p.yaml:4: ", `not patterns: "fraud/**"`}},
		{"lone star in resourceNames", k8sRole(`apiGroups: [""], resources: [models], verbs: [get], resourceNames: ["*"]`),
			[]string{"p.yaml:4: ", `not patterns: "*"`}},
		{"malformed resourceName", k8sRole(`apiGroups: [""], resources: [models], verbs: [get], resourceNames: ["../x"]`),
			[]string{"p.yaml:4: ", `invalid resource name "../x"`}},
		// Kubernetes: resource names cannot apply to multiple resources.
		{"resourceNames over two resources", k8sRole(`apiGroups: [""], resources: [models, datasets], verbs: [get], resourceNames: [m]`),
			[]string{"p.yaml:4: ", "resourceNames cannot apply to more than one resource"}},
		// A ServiceAccount subject of a ClusterRoleBinding needs a
		// namespace; there is no binding namespace to default to.
		{"service account without namespace in a ClusterRoleBinding", k8sClusterRole + "---\n" + k8sCRB + "  - {kind: ServiceAccount, name: ci}\n",
			[]string{"p.yaml:11: ", `ServiceAccount subject "ci" needs a namespace in a ClusterRoleBinding`}},
		{"service account with empty namespace in a ClusterRoleBinding", k8sClusterRole + "---\n" + k8sCRB + "  - {kind: ServiceAccount, name: ci, namespace: \"\"}\n",
			[]string{"p.yaml:11: ", "needs a namespace"}},
		{"service account with the rbac api group", k8sClusterRole + "---\n" + k8sCRB + "  - {kind: ServiceAccount, name: ci, namespace: build, apiGroup: rbac.authorization.k8s.io}\n",
			[]string{"p.yaml:11: ", `ServiceAccount subject apiGroup "rbac.authorization.k8s.io" must be empty`}},
		// (namespace, name) pairs must map to distinct keys: "a:b" in
		// namespace "c" and "b" in namespace "c:a" would both be "c:a:b".
		// Kubernetes names hold no ':', and neither may ours.
		{"colon in a service account name", k8sClusterRole + "---\n" + k8sCRB + "  - {kind: ServiceAccount, name: \"a:b\", namespace: c}\n",
			[]string{"p.yaml:11: ", `ServiceAccount name "a:b" is not a valid Kubernetes name`}},
		{"colon in a service account namespace", k8sClusterRole + "---\n" + k8sCRB + "  - {kind: ServiceAccount, name: b, namespace: \"c:a\"}\n",
			[]string{"p.yaml:11: ", `subject namespace "c:a" must not contain ':'`}},
		{"colon in a defaulted service account name", k8sClusterRole + "---\n" + k8sRB + "  - {kind: ServiceAccount, name: \"x:y\"}\n",
			[]string{"p.yaml:11: ", `ServiceAccount name "x:y"`}},
		{"upper case in a service account name", k8sClusterRole + "---\n" + k8sCRB + "  - {kind: ServiceAccount, name: CI, namespace: build}\n",
			[]string{"p.yaml:11: ", `ServiceAccount name "CI"`}},
		{"own kind: two colons in a service account", ownRole + "---\napiVersion: sextant/v1\nkind: RoleBinding\nmetadata: {name: b}\nrole: r\nsubjects: [{kind: ServiceAccount, name: \"a:b:c\"}]\n",
			[]string{"p.yaml:13: ", `service account "a:b:c": want "name" or "namespace:name"`}},
		{"own kind: empty namespace of a service account", ownRole + "---\napiVersion: sextant/v1\nkind: RoleBinding\nmetadata: {name: b}\nrole: r\nsubjects: [{kind: ServiceAccount, name: \":c\"}]\n",
			[]string{"p.yaml:13: ", `service account ":c"`}},
		{"own kind: empty name of a service account", ownRole + "---\napiVersion: sextant/v1\nkind: RoleBinding\nmetadata: {name: b}\nrole: r\nsubjects: [{kind: ServiceAccount, name: \"c:\"}]\n",
			[]string{"p.yaml:13: ", `service account "c:"`}},
	}
	for _, tt := range refused {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(tt.yaml))
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("Parse error = %v, want one matching ErrInvalidPolicy", err)
			}
			msg, rest := err.Error(), err.Error()
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error %q does not contain %q (in order)", msg, w)
				}
				rest = rest[i+len(w):]
			}
		})
	}

	accepted := []struct {
		name     string
		yaml     string
		subjects []SubjectRef // of the one binding
		allowed  []Subject    // may get models "m"
		denied   []Subject    // may not
	}{
		// In a RoleBinding a ServiceAccount without a namespace is the
		// one of the binding's namespace, not one outside any namespace.
		{"service account defaults to the RoleBinding's namespace", k8sClusterRole + "---\n" + k8sRB + "  - {kind: ServiceAccount, name: ci}\n",
			[]SubjectRef{{ServiceAccount, "a:ci"}},
			[]Subject{{Kind: ServiceAccount, Name: "a:ci"}},
			[]Subject{{Kind: ServiceAccount, Name: "ci"}, {Kind: User, Name: "a:ci"}, {Kind: ServiceAccount, Name: "b:ci"}}},
		{"explicit namespace in a RoleBinding", k8sClusterRole + "---\n" + k8sRB + "  - {kind: ServiceAccount, name: ci, namespace: build}\n",
			[]SubjectRef{{ServiceAccount, "build:ci"}},
			[]Subject{{Kind: ServiceAccount, Name: "build:ci"}},
			[]Subject{{Kind: ServiceAccount, Name: "a:ci"}, {Kind: ServiceAccount, Name: "ci"}}},
		{"namespace in a ClusterRoleBinding", k8sClusterRole + "---\n" + k8sCRB + "  - {kind: ServiceAccount, name: ci.bot, namespace: build, apiGroup: \"\"}\n",
			[]SubjectRef{{ServiceAccount, "build:ci.bot"}},
			[]Subject{{Kind: ServiceAccount, Name: "build:ci.bot"}},
			[]Subject{{Kind: ServiceAccount, Name: "ci.bot"}}},
		{"users and groups may carry ':' and default their api group", k8sClusterRole + "---\n" + k8sCRB + "  - {kind: User, name: \"oidc:ann\"}\n  - {kind: Group, name: \"team:ml\", apiGroup: rbac.authorization.k8s.io}\n",
			[]SubjectRef{{User, "oidc:ann"}, {Group, "team:ml"}},
			[]Subject{{Name: "oidc:ann"}, {Name: "x", Groups: []string{"team:ml"}}},
			[]Subject{{Kind: ServiceAccount, Name: "oidc:ann"}, {Kind: Group, Name: "team:ml"}}},
	}
	for _, tt := range accepted {
		t.Run("accepted/"+tt.name, func(t *testing.T) {
			p, err := Parse("p.yaml", []byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.subjects, p.Bindings[0].Subjects); diff != "" {
				t.Errorf("subjects (-want +got):\n%s", diff)
			}
			a, err := New(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			scope := p.Bindings[0].Scope
			for _, s := range tt.allowed {
				if d := a.Decide(s, "get", "models", scope, "m"); !d.Allowed {
					t.Errorf("%+v denied: %v", s, d)
				}
			}
			for _, s := range tt.denied {
				if d := a.Decide(s, "get", "models", scope, "m"); d.Allowed {
					t.Errorf("%+v allowed: %v", s, d)
				}
			}
		})
	}

	// resourceNames name exactly one object each.
	t.Run("accepted/resourceNames are exact", func(t *testing.T) {
		p, err := Parse("p.yaml", []byte(k8sRole(`apiGroups: [""], resources: [models], verbs: [get], resourceNames: [fraud, fraud.v2]`)+
			"---\n"+k8sCRB+"  - {kind: User, name: u}\n"))
		if err != nil {
			t.Fatal(err)
		}
		a, err := New(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]bool{"fraud": true, "fraud.v2": true, "fraud2": false, "fraud/x": false, "frau": false, "fraudav2": false, "": false} {
			if got := a.Decide(Subject{Name: "u"}, "get", "models", "", name).Allowed; got != want {
				t.Errorf("get models %q: allowed %v, want %v", name, got, want)
			}
		}
	})
}

func TestValidateServiceAccountRefs(t *testing.T) {
	role := Role{Name: "r", Rules: []Rule{{Verbs: []string{"get"}, Resources: []string{"models"}}}}
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"sa", true}, {"ns:sa", true}, {"a:b:c", false}, {":sa", false}, {"ns:", false}, {":", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &Policy{Roles: []Role{role}, Bindings: []Binding{{Name: "b", Role: "r", Subjects: []SubjectRef{{ServiceAccount, tt.name}}}}}
			err := p.Validate()
			if tt.ok != (err == nil) {
				t.Fatalf("Validate = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidPolicy) {
				t.Errorf("%v does not match ErrInvalidPolicy", err)
			}
			// A user may be named anything: the kind keeps it apart.
			p.Bindings[0].Subjects[0].Kind = User
			if err := p.Validate(); err != nil {
				t.Errorf("user %q: %v", tt.name, err)
			}
		})
	}
}
