// Package rbac decides who may do what to models and data.
//
// It follows Kubernetes RBAC: roles hold rules, bindings grant roles to
// subjects (users, groups, service accounts) everywhere or within one scope
// (a project or namespace). Grants only add up; anything not granted is
// denied, and a request without a subject gets nothing. Teams that already
// write Role and RoleBinding YAML for Kubernetes can load it as it is.
//
// # Policies
//
// A Policy is built in Go or read by Parse (or Load, from a file or a
// bucket object) from multi-document YAML in either form:
//
//	apiVersion: sextant/v1                       apiVersion: rbac.authorization.k8s.io/v1
//	kind: Role                                   kind: ClusterRole      # or Role, with a namespace
//	metadata: {name: promoter}                   metadata: {name: promoter}
//	rules:                                       rules:
//	  - resources: [models/aliases]                - apiGroups: [""]    # "", "*" or "sextant"
//	    verbs: [promote, rollback]                   resources: [models/aliases]
//	    names: ["fraud-*"]                           verbs: [promote, rollback]
//	---                                              resourceNames: [fraud]  # exact
//	apiVersion: sextant/v1                       ---
//	kind: RoleBinding                            apiVersion: rbac.authorization.k8s.io/v1
//	metadata: {name: release}                    kind: RoleBinding      # or ClusterRoleBinding
//	scope: risk            # optional            metadata: {name: release, namespace: risk}
//	role: promoter                               roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: promoter}
//	subjects:                                    subjects:
//	  - {kind: Group, name: release}               - {kind: Group, name: release}
//
// A Kubernetes namespace is a scope; a namespaced Role can be granted only
// by bindings of its own namespace, as in Kubernetes. A "v1 List" of such
// documents is read too. Decoding is strict: an unknown field, verb or
// resource, a malformed name pattern, a binding to a missing role, or an
// unsupported feature (aggregationRule, nonResourceURLs) is an error that
// names the file and line; every problem found is reported, each matching
// ErrInvalidPolicy.
//
// Kubernetes documents mean what they mean to Kubernetes (its API
// validation and its authorizer), or are refused:
//
//   - A rule must list apiGroups: one without any is an error, never
//     "every group".
//   - resourceNames are exact names, compared for equality: '*' is a
//     wildcard only in verbs, resources and apiGroups, so a resourceName
//     holding '*' or '?' (which no valid name does) is an error, and so
//     is a rule with resourceNames over more than one resource. Patterns
//     belong in the names of this package's own Role.
//   - A ServiceAccount subject has no apiGroup and a DNS-1123 subdomain
//     name (lower-case letters, digits, '-', '.'). In a ClusterRoleBinding
//     it must give its namespace; in a RoleBinding it defaults to the
//     binding's namespace, not to "no namespace".
//   - A User or Group subject has apiGroup rbac.authorization.k8s.io,
//     the default when it is empty.
//
// A service account is named "namespace:name" (or "name", outside any
// namespace, in this package's own kinds and in Go values). Neither part
// may be empty or hold ':' (Validate refuses it), so no two distinct
// (namespace, name) pairs share a name: a service account "b" of namespace
// "c:a" cannot pass for "a:b" of namespace "c". User and group names may
// hold ':'; a subject's kind keeps them apart from service accounts.
//
// Resources: models, models/versions, models/aliases, datasets, artifacts,
// deployments, policies, or "*". Verbs: get, list, create, update, delete,
// promote, deploy, rollback, sign, escalate, bind, evaluate (recording a
// model version's evaluation metrics), or "*".
//
// # Names and patterns
//
// A rule may restrict itself to resource names. Names are segments joined
// by "/" ("fraud-detector/3"), each of ASCII letters, digits, '.', '_' and
// '-'. Patterns match segment by segment: '*' is any run within a segment,
// '?' one character, and a whole segment "**" any number of segments
// (including none). See Match. A rule with names never grants a request
// without a name (list, create); a rule without names grants every name.
//
// # Deciding
//
// An Authorizer holds a compiled index: per subject the bindings that name
// it, per role and resource a verb table, a map of literal names and the
// few patterns. A decision looks up the subject and each of its groups
// (plus the implicit group Authenticated) and reads the tables; it never
// scans the policy, and neither Decide nor an allowed Authorize allocates
// (handing the decision to Options.Audit included; what that function does
// is its own cost).
// Its cost grows with the number of bindings that name the subject and its
// groups, not with the size of the policy. Every Decision says why: the
// binding, role and rule that allowed it, or the Reason it was denied.
//
// A request is made by a User or a ServiceAccount. A subject of kind Group
// (or any other kind) is refused with ReasonInvalidSubject, and Authorize,
// AuthorizeRole, AuthorizeBinding, the authenticators and Middleware all
// refuse it with an error matching ErrInvalidSubject: otherwise a token
// verified as "Group admins" would hold what the admins group holds.
// Group membership comes only from Subject.Groups (and Authenticated).
//
// Authorize(ctx, verb, resource, name) is the method other packages accept
// through their own one-method interface: the subject travels in the
// context (WithSubject), with an optional scope (WithScope). It returns nil,
// ErrNoSubject, or a *DeniedError matching ErrDenied, and sends each
// decision to Options.Audit (LogAudit writes them to a *slog.Logger).
//
// # Reloading
//
// Reload reads a Source (File, or Object for a gocloud.dev/blob bucket or
// anything with ReadAll), and when its bytes changed, parses, compiles and
// swaps the new index in with one atomic store: a decision sees the old
// policy or the new one, never a mixture. A broken document leaves the
// policy in force untouched; the error is returned and logged. Watch
// reloads on a ticker until its context ends.
//
// # Escalation
//
// As in Kubernetes, nobody grants what they do not hold. AuthorizeRole
// refuses to let the subject in the context create or change a role unless
// it already holds every permission of the role in the role's scope (or the
// verb escalate on policies of that name); AuthorizeBinding refuses a
// binding unless it holds every permission of the bound role in the
// binding's scope (or the verb bind on policies named after the role).
// Refusals match ErrEscalation and ErrDenied. Whether the subject may edit
// policies at all is an ordinary Authorize call.
//
// # HTTP
//
// Middleware authenticates each request with the first Authenticator that
// finds credentials, ClientCert (a certificate the TLS handshake verified;
// common name and organizations become user and groups) or BearerToken
// (with a verifier you supply), puts the subject in the context, and, given
// a Resolve function, authorizes the request. Unauthenticated requests get
// 401 (with WWW-Authenticate: Bearer when BearerToken is configured),
// denied ones 403, with no more than the status text. Credentials that
// are present but not acceptable give an error matching
// ErrInvalidCredentials (logged, never sent); absent ones ErrNoCredentials.
// BearerToken refuses a request carrying more than one Authorization
// header (401; the logged reason gives the count) rather than choosing one,
// since a proxy in front may have checked another. An authenticator that
// returns a subject of kind Group, or without a name, gets the request a
// 401 too.
//
// # Concurrency
//
// An Authorizer is safe for concurrent use: decisions, reloads, Replace and
// the escalation checks may run at the same time from any goroutines.
// Decisions take no lock; Reload and Replace take turns, so the policy in
// force is always the last one they read. The
// package starts no goroutines; Watch runs in the caller's.
//
// # Dependencies
//
// go.yaml.in/yaml/v3, for its node tree: strict decoding with a line number
// in every error needs it (converting YAML to JSON first loses the lines).
//
// # Performance
//
// A decision looks up the subject and each of its groups in the compiled
// index and never scans the policy, so its cost is flat in the number of
// rules and it allocates nothing. It is compared with Casbin v2 on the
// policy shapes of Casbin's BenchmarkRBACModel (five rules) and
// BenchmarkRBACModelSizes (small: 100 roles, 10 resources, 1,000 users;
// medium: x10; large: x100), with the same alternating requests, against
// Casbin's plain Enforcer and its CachedEnforcer and SyncedCachedEnforcer
// (which answer a repeated request from a cache), in one process by
//
//	cd bench && go run ./cmd/rbaccompare
//
// and for this package alone by
//
//	go test -run '^$' -bench Decide -benchmem ./rbac/
//
// The figures are in BENCHMARKS.md at the repository's root.
//
// # Testing
//
// Package rbactest gives tests a real authorizer from literal YAML
// (rbactest.New), authorizers that allow, deny or fail, a Recorder of the
// questions code asks, the benchmark policy shapes, and conformance suites
// for what users implement themselves: RunConformance for the Authorize
// contract and the questions each consumer asks (registrytest.Consumer,
// datasettest.Consumer; the verbs and resources are the Verb* and
// Resource* constants here, the only place they are spelled),
// RunAuthenticatorConformance for an Authenticator (an OIDC
// verifier, say), RunSourceConformance for a policy Source.
package rbac
