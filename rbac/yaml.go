package rbac

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// APIVersion is the apiVersion of this package's own Role and RoleBinding
// documents.
const APIVersion = "sextant/v1"

// APIGroup is the API group of this package's resources in Kubernetes
// documents. Rules of a Kubernetes Role or ClusterRole must list it, "" or
// "*" in apiGroups.
const APIGroup = "sextant"

const (
	k8sRBACGroup = "rbac.authorization.k8s.io"
	k8sRBAC      = k8sRBACGroup + "/v1"
)

// maxErrors bounds the problems reported for one document set.
const maxErrors = 50

// Parse decodes a policy from YAML: one or more documents separated by
// "---", each one of
//
//   - apiVersion sextant/v1, kind Role or RoleBinding (this package's own);
//   - apiVersion rbac.authorization.k8s.io/v1, kind Role, ClusterRole,
//     RoleBinding or ClusterRoleBinding;
//   - apiVersion v1, kind List, whose items are any of the above.
//
// Decoding is strict: unknown fields, unknown verbs or resources, malformed
// names and bindings to missing roles are errors naming name (the file or
// object the bytes came from) and the line. Every problem found is
// returned, joined; each matches ErrInvalidPolicy.
func Parse(name string, data []byte) (*Policy, error) {
	d := &decoder{file: name, p: &Policy{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "yaml: ")
			d.errs = append(d.errs, &PolicyError{Origin: name, Msg: "yaml: " + msg})
			break
		}
		if len(doc.Content) == 0 || isNull(doc.Content[0]) {
			continue
		}
		d.document(doc.Content[0], false)
		if len(d.errs) >= maxErrors {
			break
		}
	}
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	if err := d.p.Validate(); err != nil {
		return nil, err
	}
	return d.p, nil
}

type decoder struct {
	file string
	p    *Policy
	errs []error
}

func (d *decoder) origin(n *yaml.Node) string { return fmt.Sprintf("%s:%d", d.file, n.Line) }

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) {
	if len(d.errs) < maxErrors {
		d.errs = append(d.errs, policyErr(d.origin(n), format, args...))
	}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// resolve follows an alias to a scalar; aliases to collections are refused
// so that nested aliases cannot blow up the work.
func (d *decoder) resolve(n *yaml.Node) *yaml.Node {
	if n.Kind != yaml.AliasNode {
		return n
	}
	if n.Alias == nil || n.Alias.Kind != yaml.ScalarNode {
		d.errorf(n, "yaml aliases are supported for scalars only")
		return nil
	}
	return n.Alias
}

// fields returns a mapping's values by key, reporting keys not in allowed,
// duplicate keys, and a node that is not a mapping.
func (d *decoder) fields(n *yaml.Node, what string, allowed ...string) map[string]*yaml.Node {
	if n = d.resolve(n); n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping", what)
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.resolve(n.Content[i])
		if k == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, "%s: keys must be strings", what)
			continue
		}
		switch {
		case !slices.Contains(allowed, k.Value):
			d.errorf(k, "%s: unknown field %q", what, k.Value)
		case out[k.Value] != nil:
			d.errorf(k, "%s: duplicate field %q", what, k.Value)
		default:
			out[k.Value] = n.Content[i+1]
		}
	}
	return out
}

// str returns a scalar string; null and absent give "".
func (d *decoder) str(n *yaml.Node, what string) string {
	if n == nil {
		return ""
	}
	if n = d.resolve(n); n == nil || isNull(n) {
		return ""
	}
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		d.errorf(n, "%s must be a string", what)
		return ""
	}
	return n.Value
}

// strs returns a sequence of strings with their nodes; null and absent give
// nothing.
func (d *decoder) strs(n *yaml.Node, what string) ([]string, []*yaml.Node) {
	if n == nil {
		return nil, nil
	}
	if n = d.resolve(n); n == nil || isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list of strings", what)
		return nil, nil
	}
	var vals []string
	var nodes []*yaml.Node
	for _, item := range n.Content {
		if v := d.resolve(item); v != nil {
			vals = append(vals, d.str(v, what+" item"))
			nodes = append(nodes, v)
		}
	}
	return vals, nodes
}

// seq returns the items of a sequence of mappings; null and absent give
// nothing.
func (d *decoder) seq(n *yaml.Node, what string) []*yaml.Node {
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "%s must be a list", what)
		return nil
	}
	return n.Content
}

var objectMeta = []string{
	"name", "namespace", "labels", "annotations", "uid", "resourceVersion",
	"generation", "creationTimestamp", "deletionTimestamp",
	"deletionGracePeriodSeconds", "generateName", "selfLink",
	"ownerReferences", "finalizers", "managedFields",
}

// metadata returns the name and namespace of a document.
func (d *decoder) metadata(doc map[string]*yaml.Node, root *yaml.Node, own bool) (name, namespace string) {
	allowed := objectMeta
	if own {
		allowed = []string{"name", "labels", "annotations"}
	}
	m := doc["metadata"]
	if m == nil {
		d.errorf(root, "missing metadata")
		return "", ""
	}
	f := d.fields(m, "metadata", allowed...)
	name = d.str(f["name"], "metadata.name")
	if name == "" {
		d.errorf(m, "metadata.name is required")
	}
	return name, d.str(f["namespace"], "metadata.namespace")
}

// peek returns the string value of key in a mapping without reporting
// anything.
func peek(n *yaml.Node, key string) string {
	if n.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1].Value
		}
	}
	return ""
}

func (d *decoder) document(root *yaml.Node, inList bool) {
	if root.Kind != yaml.MappingNode {
		d.errorf(root, "a document must be a mapping")
		return
	}
	api, kind := peek(root, "apiVersion"), peek(root, "kind")
	fields := func(extra ...string) map[string]*yaml.Node {
		return d.fields(root, kind, append([]string{"apiVersion", "kind", "metadata"}, extra...)...)
	}
	switch {
	case api == APIVersion && kind == "Role":
		d.ownRole(root, fields("rules"))
	case api == APIVersion && kind == "RoleBinding":
		d.ownBinding(root, fields("scope", "role", "subjects"))
	case api == k8sRBAC && (kind == "Role" || kind == "ClusterRole"):
		d.k8sRole(root, fields("rules", "aggregationRule"), kind)
	case api == k8sRBAC && (kind == "RoleBinding" || kind == "ClusterRoleBinding"):
		d.k8sBinding(root, fields("subjects", "roleRef"), kind)
	case api == "v1" && kind == "List" && !inList:
		for _, item := range d.seq(fields("items")["items"], "items") {
			d.document(item, true)
		}
	case api == "" || kind == "":
		d.errorf(root, "document needs apiVersion and kind")
	default:
		d.errorf(root, "unsupported document: apiVersion %q kind %q", api, kind)
	}
}

func (d *decoder) ownRole(root *yaml.Node, head map[string]*yaml.Node) {
	name, _ := d.metadata(head, root, true)
	r := Role{Name: name, Origin: d.origin(root)}
	for _, rn := range d.seq(head["rules"], "rules") {
		f := d.fields(rn, "rule", "verbs", "resources", "names")
		if f == nil {
			continue
		}
		r.Rules = append(r.Rules, d.rule(rn, f, "names"))
	}
	d.p.Roles = append(d.p.Roles, r)
}

func (d *decoder) k8sRole(root *yaml.Node, head map[string]*yaml.Node, kind string) {
	name, ns := d.metadata(head, root, false)
	if ar := head["aggregationRule"]; ar != nil {
		d.errorf(ar, "aggregationRule is not supported; list the rules")
	}
	r := Role{Name: name, Origin: d.origin(root)}
	if kind == "Role" {
		if ns == "" {
			d.errorf(root, "Role %q needs metadata.namespace", name)
		}
		r.Scope = ns
	}
	for _, rn := range d.seq(head["rules"], "rules") {
		f := d.fields(rn, "rule", "apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs")
		if f == nil {
			continue
		}
		if n := f["nonResourceURLs"]; n != nil {
			d.errorf(n, "nonResourceURLs are not supported")
		}
		groups, nodes := d.strs(f["apiGroups"], "apiGroups")
		if len(groups) == 0 && f["nonResourceURLs"] == nil {
			// Kubernetes validation refuses a resource rule without
			// apiGroups rather than reading it as every group.
			d.errorf(rn, "rule has no apiGroups (Kubernetes requires at least one: %q, \"\" or \"*\")", APIGroup)
		}
		for i, g := range groups {
			if g != "" && g != wildcard && g != APIGroup {
				d.errorf(nodes[i], "api group %q has no resources here (use %q, \"\" or \"*\")", g, APIGroup)
			}
		}
		r.Rules = append(r.Rules, d.rule(rn, f, "resourceNames"))
	}
	d.p.Roles = append(d.p.Roles, r)
}

// rule decodes the verbs, resources and names of a rule, checking each at
// its own line.
func (d *decoder) rule(n *yaml.Node, f map[string]*yaml.Node, namesField string) Rule {
	var r Rule
	var nodes []*yaml.Node
	r.Verbs, nodes = d.strs(f["verbs"], "verbs")
	if len(r.Verbs) == 0 {
		d.errorf(n, "rule has no verbs")
	}
	for i, v := range r.Verbs {
		if v != wildcard && verbIndex(v) < 0 {
			d.errorf(nodes[i], "unknown verb %q", v)
		}
	}
	r.Resources, nodes = d.strs(f["resources"], "resources")
	if len(r.Resources) == 0 {
		d.errorf(n, "rule has no resources")
	}
	for i, res := range r.Resources {
		if res != wildcard && resourceIndex(res) < 0 {
			d.errorf(nodes[i], "unknown resource %q", res)
		}
	}
	r.Names, nodes = d.strs(f[namesField], namesField)
	if namesField == "resourceNames" {
		// Kubernetes: resourceNames are exact names, compared for
		// equality; '*' is a wildcard only in verbs, resources and
		// apiGroups. A rule with names covers one resource.
		if len(r.Names) > 0 && len(r.Resources) > 1 {
			d.errorf(f[namesField], "resourceNames cannot apply to more than one resource (Kubernetes refuses it)")
		}
		for i, name := range r.Names {
			switch err := checkName(name, false); {
			case err == nil:
			case isLiteral(name):
				d.errorf(nodes[i], "invalid resource name %q: %v", name, err)
			default:
				d.errorf(nodes[i], "resourceNames are exact names, not patterns: %q (write patterns in names of a %s Role)", name, APIVersion)
			}
		}
		return r
	}
	for i, name := range r.Names {
		if err := checkName(name, true); err != nil {
			d.errorf(nodes[i], "invalid name pattern %q: %v", name, err)
		}
	}
	return r
}

func (d *decoder) ownBinding(root *yaml.Node, head map[string]*yaml.Node) {
	name, _ := d.metadata(head, root, true)
	b := Binding{Name: name, Origin: d.origin(root)}
	b.Scope = d.str(head["scope"], "scope")
	if rn := head["role"]; rn != nil {
		b.Role = d.str(rn, "role")
		b.Origin = d.origin(rn)
	}
	if b.Role == "" {
		d.errorf(root, "RoleBinding %q needs role", name)
	}
	for _, sn := range d.seq(head["subjects"], "subjects") {
		f := d.fields(sn, "subject", "kind", "name")
		if f == nil {
			continue
		}
		b.Subjects = append(b.Subjects, d.subject(sn, f))
	}
	if len(b.Subjects) == 0 {
		d.errorf(root, "RoleBinding %q has no subjects", name)
	}
	d.p.Bindings = append(d.p.Bindings, b)
}

// subject decodes a subject of this package's own RoleBinding.
func (d *decoder) subject(n *yaml.Node, f map[string]*yaml.Node) SubjectRef {
	s := SubjectRef{Kind: SubjectKind(d.str(f["kind"], "subject kind")), Name: d.str(f["name"], "subject name")}
	switch s.Kind {
	case User, Group:
	case ServiceAccount:
		if s.Name != "" && !validServiceAccountRef(s.Name) {
			d.errorf(n, "service account %q: want \"name\" or \"namespace:name\", each part non-empty and without ':'", s.Name)
		}
	default:
		d.errorf(n, "unknown subject kind %q (want User, Group or ServiceAccount)", s.Kind)
	}
	if s.Name == "" {
		d.errorf(n, "subject needs a name")
	}
	return s
}

// k8sSubject decodes a subject of a Kubernetes RoleBinding or
// ClusterRoleBinding, as Kubernetes validates and reads it: a
// ServiceAccount has apiGroup "" and a DNS subdomain name, and its
// namespace is required in a ClusterRoleBinding and defaults to the
// binding's in a RoleBinding; a User or Group has apiGroup
// rbac.authorization.k8s.io (the default when empty).
func (d *decoder) k8sSubject(n *yaml.Node, f map[string]*yaml.Node, bindingKind, bindingNS string) SubjectRef {
	s := SubjectRef{Kind: SubjectKind(d.str(f["kind"], "subject kind")), Name: d.str(f["name"], "subject name")}
	g := f["apiGroup"]
	ag := d.str(g, "subject apiGroup")
	if s.Name == "" {
		d.errorf(n, "subject needs a name")
	}
	switch s.Kind {
	case User, Group:
		if ag != "" && ag != k8sRBACGroup {
			d.errorf(g, "subject apiGroup %q is not %s", ag, k8sRBACGroup)
		}
	case ServiceAccount:
		if ag != "" {
			d.errorf(g, "ServiceAccount subject apiGroup %q must be empty", ag)
		}
		if s.Name != "" && !dnsSubdomain(s.Name) {
			d.errorf(n, "ServiceAccount name %q is not a valid Kubernetes name (lower-case letters, digits, '-' and '.')", s.Name)
		}
		ns := d.str(f["namespace"], "subject namespace")
		switch {
		case ns == "" && bindingKind == "ClusterRoleBinding":
			d.errorf(n, "ServiceAccount subject %q needs a namespace in a ClusterRoleBinding", s.Name)
		case ns == "":
			ns = bindingNS // as Kubernetes reads a RoleBinding
		case strings.Contains(ns, ":"):
			d.errorf(f["namespace"], "subject namespace %q must not contain ':'", ns)
		}
		if ns != "" {
			s.Name = ns + ":" + s.Name
		}
	default:
		d.errorf(n, "unknown subject kind %q (want User, Group or ServiceAccount)", s.Kind)
	}
	return s
}

// dnsSubdomain reports whether s is a DNS-1123 subdomain, the form
// Kubernetes requires of a service account name: at most 253 bytes of
// dot-separated labels of lower-case letters, digits and '-', each
// label non-empty and starting and ending with a letter or digit.
func dnsSubdomain(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func (d *decoder) k8sBinding(root *yaml.Node, head map[string]*yaml.Node, kind string) {
	name, ns := d.metadata(head, root, false)
	b := Binding{Name: name, Origin: d.origin(root)}
	if kind == "RoleBinding" {
		if ns == "" {
			d.errorf(root, "RoleBinding %q needs metadata.namespace", name)
		}
		b.Scope = ns
	}
	if rr := head["roleRef"]; rr == nil {
		d.errorf(root, "%s %q needs roleRef", kind, name)
	} else if f := d.fields(rr, "roleRef", "apiGroup", "kind", "name"); f != nil {
		b.Origin = d.origin(rr)
		if g := f["apiGroup"]; g != nil {
			if ag := d.str(g, "roleRef.apiGroup"); ag != "" && ag != k8sRBACGroup {
				d.errorf(g, "roleRef.apiGroup %q is not %s", ag, k8sRBACGroup)
			}
		}
		b.Role = d.str(f["name"], "roleRef.name")
		if b.Role == "" {
			d.errorf(rr, "roleRef.name is required")
		}
		switch rk := d.str(f["kind"], "roleRef.kind"); {
		case rk == "ClusterRole":
		case rk == "Role" && kind == "RoleBinding":
			b.RoleScope = ns
		default:
			d.errorf(rr, "%s cannot refer to roleRef kind %q", kind, rk)
		}
	}
	for _, sn := range d.seq(head["subjects"], "subjects") {
		f := d.fields(sn, "subject", "kind", "name", "namespace", "apiGroup")
		if f == nil {
			continue
		}
		b.Subjects = append(b.Subjects, d.k8sSubject(sn, f, kind, ns))
	}
	if len(b.Subjects) == 0 {
		d.errorf(root, "%s %q has no subjects", kind, name)
	}
	d.p.Bindings = append(d.p.Bindings, b)
}
