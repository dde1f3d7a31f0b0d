package k8s

import (
	"bytes"
	"flag"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/sextant-ml/sextant/monitor"
)

var update = flag.Bool("update", false, "regenerate prometheusrule.yaml from monitor's rules file")

// Our own views of the objects: only the fields checked.

type meta struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels"`
}

type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   meta   `json:"metadata"`
}

type probe struct {
	HTTPGet *struct {
		Path string `json:"path"`
		Port any    `json:"port"`
	} `json:"httpGet"`
	PeriodSeconds    int `json:"periodSeconds"`
	FailureThreshold int `json:"failureThreshold"`
}

type securityContext struct {
	RunAsNonRoot             *bool  `json:"runAsNonRoot"`
	RunAsUser                *int64 `json:"runAsUser"`
	AllowPrivilegeEscalation *bool  `json:"allowPrivilegeEscalation"`
	ReadOnlyRootFilesystem   *bool  `json:"readOnlyRootFilesystem"`
	Capabilities             *struct {
		Drop []string `json:"drop"`
	} `json:"capabilities"`
	SeccompProfile *struct {
		Type string `json:"type"`
	} `json:"seccompProfile"`
}

type container struct {
	Name  string   `json:"name"`
	Image string   `json:"image"`
	Args  []string `json:"args"`
	Ports []struct {
		Name          string `json:"name"`
		ContainerPort int    `json:"containerPort"`
	} `json:"ports"`
	StartupProbe   *probe `json:"startupProbe"`
	LivenessProbe  *probe `json:"livenessProbe"`
	ReadinessProbe *probe `json:"readinessProbe"`
	Resources      struct {
		Requests map[string]string `json:"requests"`
		Limits   map[string]string `json:"limits"`
	} `json:"resources"`
	SecurityContext *securityContext `json:"securityContext"`
	VolumeMounts    []struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
	} `json:"volumeMounts"`
}

type deployment struct {
	object
	Spec struct {
		Replicas int `json:"replicas"`
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		Template struct {
			Metadata meta `json:"metadata"`
			Spec     struct {
				ServiceAccountName            string           `json:"serviceAccountName"`
				AutomountServiceAccountToken  *bool            `json:"automountServiceAccountToken"`
				TerminationGracePeriodSeconds int              `json:"terminationGracePeriodSeconds"`
				SecurityContext               *securityContext `json:"securityContext"`
				Containers                    []container      `json:"containers"`
				Volumes                       []struct {
					Name     string    `json:"name"`
					EmptyDir *struct{} `json:"emptyDir"`
				} `json:"volumes"`
			} `json:"spec"`
		} `json:"template"`
	} `json:"spec"`
}

type service struct {
	object
	Spec struct {
		Type     string            `json:"type"`
		Selector map[string]string `json:"selector"`
		Ports    []struct {
			Name       string `json:"name"`
			Port       int    `json:"port"`
			TargetPort any    `json:"targetPort"`
		} `json:"ports"`
	} `json:"spec"`
}

type serviceMonitor struct {
	object
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
		NamespaceSelector *struct {
			MatchNames []string `json:"matchNames"`
		} `json:"namespaceSelector"`
		Endpoints []struct {
			Port     string `json:"port"`
			Path     string `json:"path"`
			Interval string `json:"interval"`
		} `json:"endpoints"`
	} `json:"spec"`
}

type role struct {
	object
	Rules []struct {
		APIGroups     []string `json:"apiGroups"`
		Resources     []string `json:"resources"`
		ResourceNames []string `json:"resourceNames"`
		Verbs         []string `json:"verbs"`
	} `json:"rules"`
}

type roleBinding struct {
	object
	RoleRef struct {
		APIGroup string `json:"apiGroup"`
		Kind     string `json:"kind"`
		Name     string `json:"name"`
	} `json:"roleRef"`
	Subjects []struct {
		Kind      string `json:"kind"`
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"subjects"`
}

type serviceAccount struct {
	object
	AutomountServiceAccountToken *bool `json:"automountServiceAccountToken"`
}

// docs splits a file into its YAML documents.
func docs(t *testing.T, file string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(stripComments(d)) != "" {
			out = append(out, []byte(d))
		}
	}
	return out
}

func stripComments(s string) string {
	return regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(s, "")
}

// one reads the only document of kind in file into v.
func one(t *testing.T, file, kind string, v any) {
	t.Helper()
	found := 0
	for _, d := range docs(t, file) {
		var o object
		if err := yaml.Unmarshal(d, &o); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if o.Kind != kind {
			continue
		}
		found++
		if err := yaml.Unmarshal(d, v); err != nil {
			t.Fatalf("%s: %s: %v", file, kind, err)
		}
	}
	if found != 1 {
		t.Fatalf("%s holds %d objects of kind %s, want 1", file, found, kind)
	}
}

// objects reads every manifest.
type objects struct {
	dep  deployment
	svc  service
	sm   serviceMonitor
	sa   serviceAccount
	role role
	rb   roleBinding
}

func load(t *testing.T) objects {
	t.Helper()
	var o objects
	one(t, "deployment.yaml", "Deployment", &o.dep)
	one(t, "service.yaml", "Service", &o.svc)
	one(t, "servicemonitor.yaml", "ServiceMonitor", &o.sm)
	one(t, "rbac.yaml", "ServiceAccount", &o.sa)
	one(t, "rbac.yaml", "Role", &o.role)
	one(t, "rbac.yaml", "RoleBinding", &o.rb)
	return o
}

// selects reports whether every label of selector is in labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func TestDeploymentServiceAndMonitorAgree(t *testing.T) {
	o := load(t)
	d := o.dep.Spec
	pod := d.Template
	if !selects(d.Selector.MatchLabels, pod.Metadata.Labels) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", d.Selector.MatchLabels, pod.Metadata.Labels)
	}
	if !selects(o.svc.Spec.Selector, pod.Metadata.Labels) {
		t.Errorf("the Service's selector %v does not select the pods %v", o.svc.Spec.Selector, pod.Metadata.Labels)
	}
	if !selects(o.sm.Spec.Selector.MatchLabels, o.svc.Metadata.Labels) {
		t.Errorf("the ServiceMonitor's selector %v does not select the Service's labels %v", o.sm.Spec.Selector.MatchLabels, o.svc.Metadata.Labels)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	// The server listens where its -addr says.
	addr := ""
	for i, a := range c.Args {
		if a == "-addr" && i+1 < len(c.Args) {
			addr = c.Args[i+1]
		}
	}
	if port, ok := ports["http"]; !ok || ":"+strconv.Itoa(port) != addr {
		t.Errorf("container port http %d, server -addr %q", port, addr)
	}
	if len(o.svc.Spec.Ports) != 1 || o.svc.Spec.Ports[0].Name != "http" || o.svc.Spec.Ports[0].TargetPort != "http" {
		t.Errorf("Service ports %+v, want one named http targeting the container's http", o.svc.Spec.Ports)
	}
	if len(o.sm.Spec.Endpoints) != 1 || o.sm.Spec.Endpoints[0].Port != o.svc.Spec.Ports[0].Name || o.sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor endpoints %+v, want the Service's port name and /metrics", o.sm.Spec.Endpoints)
	}
	probes := []struct {
		name string
		p    *probe
		path string
	}{
		{"startup", c.StartupProbe, "/v2/health/live"},
		{"liveness", c.LivenessProbe, "/v2/health/live"},
		{"readiness", c.ReadinessProbe, "/v2/health/ready"},
	}
	for _, pr := range probes {
		if pr.p == nil || pr.p.HTTPGet == nil {
			t.Errorf("no %s probe", pr.name)
			continue
		}
		if pr.p.HTTPGet.Path != pr.path || pr.p.HTTPGet.Port != "http" {
			t.Errorf("%s probe %s on %v, want %s on port http", pr.name, pr.p.HTTPGet.Path, pr.p.HTTPGet.Port, pr.path)
		}
	}
	for _, k := range []string{"cpu", "memory"} {
		if c.Resources.Requests[k] == "" || c.Resources.Limits[k] == "" {
			t.Errorf("resources: %s request %q limit %q, want both set", k, c.Resources.Requests[k], c.Resources.Limits[k])
		}
	}
	for _, lbl := range []map[string]string{o.dep.Metadata.Labels, o.svc.Metadata.Labels, o.sm.Metadata.Labels, o.sa.Metadata.Labels, o.role.Metadata.Labels, o.rb.Metadata.Labels} {
		if diff := cmp.Diff(pod.Metadata.Labels, lbl); diff != "" {
			t.Errorf("labels differ from the pods' (-pods +object):\n%s", diff)
		}
	}
	if d.Replicas < 2 {
		t.Errorf("%d replicas; a rollout across replicas needs at least 2", d.Replicas)
	}
	// The server shuts down within 10s; the grace period must cover it.
	if pod.Spec.TerminationGracePeriodSeconds <= 10 {
		t.Errorf("terminationGracePeriodSeconds %d, want above the server's 10s shutdown", pod.Spec.TerminationGracePeriodSeconds)
	}
}

func TestPodRunsUnprivileged(t *testing.T) {
	o := load(t)
	spec := o.dep.Spec.Template.Spec
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod securityContext %+v, want runAsNonRoot and a non-zero runAsUser", psc)
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != "RuntimeDefault" {
		t.Error("pod seccompProfile is not RuntimeDefault")
	}
	c := spec.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot ||
		sc.Capabilities == nil || !cmp.Equal(sc.Capabilities.Drop, []string{"ALL"}) {
		t.Errorf("container securityContext %+v, want non-root, no privilege escalation, read-only root, all capabilities dropped", sc)
	}
	// With a read-only root, the seeded demo bucket needs a writable /tmp.
	tmp := false
	for _, m := range c.VolumeMounts {
		for _, v := range spec.Volumes {
			tmp = tmp || (m.MountPath == "/tmp" && m.Name == v.Name && v.EmptyDir != nil)
		}
	}
	if !tmp {
		t.Error("/tmp is not an emptyDir volume")
	}
}

func TestRBAC(t *testing.T) {
	o := load(t)
	spec := o.dep.Spec.Template.Spec
	if spec.ServiceAccountName != o.sa.Metadata.Name {
		t.Errorf("pods run as %q, the ServiceAccount is %q", spec.ServiceAccountName, o.sa.Metadata.Name)
	}
	for what, v := range map[string]*bool{"ServiceAccount": o.sa.AutomountServiceAccountToken, "pod": spec.AutomountServiceAccountToken} {
		if v == nil || *v {
			t.Errorf("%s mounts an API token; the server never calls the API", what)
		}
	}
	rb := o.rb
	if rb.RoleRef.APIGroup != "rbac.authorization.k8s.io" || rb.RoleRef.Kind != "Role" || rb.RoleRef.Name != o.role.Metadata.Name {
		t.Errorf("RoleBinding roleRef %+v, want the Role %q", rb.RoleRef, o.role.Metadata.Name)
	}
	if len(rb.Subjects) != 1 || rb.Subjects[0].Kind != "ServiceAccount" || rb.Subjects[0].Name != o.sa.Metadata.Name || rb.Subjects[0].Namespace != o.sa.Metadata.Namespace {
		t.Errorf("RoleBinding subjects %+v, want only the ServiceAccount %q", rb.Subjects, o.sa.Metadata.Name)
	}
	if len(o.role.Rules) == 0 {
		t.Error("the Role has no rules")
	}
	for _, r := range o.role.Rules {
		for _, s := range append(append(append([]string{}, r.APIGroups...), r.Resources...), r.Verbs...) {
			if strings.Contains(s, "*") {
				t.Errorf("rule %+v grants a wildcard", r)
			}
		}
		if len(r.ResourceNames) == 0 {
			t.Errorf("rule %+v is not limited to named objects", r)
		}
		for _, v := range r.Verbs {
			if v != "get" {
				t.Errorf("rule %+v grants %q; the pod only reads", r, v)
			}
		}
	}
}

// prometheusRule is the generated manifest's text.
func prometheusRule() []byte {
	var b bytes.Buffer
	b.WriteString("# Generated from monitor/assets/rules.yml by\n")
	b.WriteString("#   go test ./examples/serve/k8s -run PrometheusRule -update\n")
	b.WriteString("# Do not edit: change the rules file and regenerate.\n")
	b.WriteString("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: sextant-serve\n  labels:\n")
	b.WriteString("    app.kubernetes.io/name: sextant-serve\n    app.kubernetes.io/component: model-server\nspec:\n")
	inGroups := false
	for line := range strings.SplitSeq(string(monitor.Rules()), "\n") {
		if strings.HasPrefix(line, "groups:") {
			inGroups = true
		}
		if !inGroups {
			continue
		}
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString("  " + line + "\n")
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

func TestPrometheusRuleIsTheRulesFile(t *testing.T) {
	if *update {
		if err := os.WriteFile("prometheusrule.yaml", append(prometheusRule(), '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var pr struct {
		object
		Spec struct {
			Groups any `json:"groups"`
		} `json:"spec"`
	}
	one(t, "prometheusrule.yaml", "PrometheusRule", &pr)
	if pr.APIVersion != "monitoring.coreos.com/v1" {
		t.Errorf("apiVersion %q", pr.APIVersion)
	}
	var rules struct {
		Groups any `json:"groups"`
	}
	if err := yaml.Unmarshal(monitor.Rules(), &rules); err != nil {
		t.Fatal(err)
	}
	if rules.Groups == nil {
		t.Fatal("the rules file has no groups")
	}
	if diff := cmp.Diff(rules.Groups, pr.Spec.Groups); diff != "" {
		t.Errorf("prometheusrule.yaml spec.groups differ from monitor's rules file (-rules.yml +manifest); regenerate with -update:\n%s", diff)
	}
	o := load(t)
	if diff := cmp.Diff(o.dep.Spec.Template.Metadata.Labels, pr.Metadata.Labels); diff != "" {
		t.Errorf("PrometheusRule labels (-pods +rule):\n%s", diff)
	}
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	var k struct {
		Resources []string `json:"resources"`
	}
	b, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".yaml") && n != "kustomization.yaml" {
			want = append(want, n)
		}
	}
	got := append([]string{}, k.Resources...)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kustomization resources (-files +listed):\n%s", diff)
	}
}

// TestImageUserMatchesPod checks that the image runs as the user the pod
// asks for, so runAsNonRoot admits it.
func TestImageUserMatchesPod(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^USER (\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("the Dockerfile sets no numeric USER")
	}
	psc := load(t).dep.Spec.Template.Spec.SecurityContext
	if psc == nil || psc.RunAsUser == nil || strconv.FormatInt(*psc.RunAsUser, 10) != string(m[1]) {
		t.Errorf("image user %s, pod runAsUser %v", m[1], psc)
	}
}
