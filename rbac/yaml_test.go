package rbac

import (
	"errors"
	"os"
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
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("f.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrInvalidPolicy) {
				t.Fatalf("error %v does not match ErrInvalidPolicy", err)
			}
			return
		}
		// What parses must compile, and decide without trouble.
		a, err := New(p, nil)
		if err != nil {
			t.Fatalf("parsed policy does not compile: %v", err)
		}
		for _, b := range p.Bindings {
			for _, s := range b.Subjects {
				a.Decide(Subject{Kind: s.Kind, Name: s.Name}, "get", "models", b.Scope, "x")
			}
		}
	})
}
