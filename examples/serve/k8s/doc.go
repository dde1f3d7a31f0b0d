// Package k8s holds the Kubernetes manifests of examples/serve and the
// tests that check them; it has no code of its own.
//
//	kubectl apply -k examples/serve/k8s
//
// The manifests (kustomization.yaml lists them):
//
//   - rbac.yaml: the pod's ServiceAccount (no token mounted: the server
//     never calls the Kubernetes API), and a Role and RoleBinding that grant
//     only get on the service's own ConfigMap and Secret, by name;
//   - deployment.yaml: two replicas of the server on port 8080 (named
//     http), started by /v2/health/live, kept alive by it and taken into
//     the Service by /v2/health/ready; requests and limits set, GOMEMLIMIT
//     taken from the memory limit; non-root (65532), no privilege
//     escalation, read-only root file system with /tmp an emptyDir, every
//     capability dropped, the runtime's seccomp profile;
//   - service.yaml: a ClusterIP Service whose port http selects the pods;
//   - servicemonitor.yaml: a Prometheus Operator ServiceMonitor scraping
//     the Service's port http at /metrics every 15s;
//   - prometheusrule.yaml: a PrometheusRule whose spec is monitor's
//     shipped rules file (monitor.Rules), generated from it.
//
// The tests read the YAML with sigs.k8s.io/yaml into structs of their own
// and check that labels, selectors, port names and probes agree across the
// objects, that resources and the security context are set, that the
// RBAC objects refer to each other and grant nothing broad, and that the
// PrometheusRule's groups equal the rules file's. After changing the rules
// file, regenerate the PrometheusRule with
//
//	go test ./examples/serve/k8s -run PrometheusRule -update
package k8s
