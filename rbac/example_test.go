package rbac_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/sextant-ml/sextant/rbac"
)

func Example() {
	policy, err := rbac.Parse("policy.yaml", []byte(`
apiVersion: sextant/v1
kind: Role
metadata: {name: promoter}
rules:
  - resources: [models/aliases]
    verbs: [promote, rollback]
    names: ["fraud-*"]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: release}
scope: risk
role: promoter
subjects: [{kind: Group, name: release}]
`))
	if err != nil {
		log.Fatal(err)
	}
	authz, err := rbac.New(policy, nil)
	if err != nil {
		log.Fatal(err)
	}
	rita := rbac.Subject{Name: "rita", Groups: []string{"release"}}
	ctx := rbac.WithScope(rbac.WithSubject(context.Background(), rita), "risk")

	fmt.Println(authz.Authorize(ctx, "promote", "models/aliases", "fraud-v2"))
	err = authz.Authorize(ctx, "promote", "models/aliases", "churn")
	fmt.Println(errors.Is(err, rbac.ErrDenied), err)
	fmt.Println(authz.Decide(rita, "rollback", "models/aliases", "risk", "fraud-v1"))
	// Output:
	// <nil>
	// true rbac: denied: User "rita" may not promote models/aliases "churn" in scope "risk": no binding grants it
	// allowed by binding "release" (role "promoter", rule 0)
}

// Kubernetes RBAC documents are read as they are written; errors name the
// file and the line.
func ExampleParse_kubernetes() {
	_, err := rbac.Parse("team.yaml", []byte(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: model-reader
rules:
  - apiGroups: [""]
    resources: [models]
    verbs: [get, list, watch]
`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, rbac.ErrInvalidPolicy))
	// Output:
	// rbac: team.yaml:8: unknown verb "watch"
	// true
}

// A server that authenticates clients by certificate over TLS 1.3 and lets
// only the release group promote.
func ExampleMiddleware() {
	ca, err := newPKI()
	if err != nil {
		log.Fatal(err)
	}
	// A TLS 1.3 listener on loopback with ClientCAs set to the authority
	// and ClientAuth tls.VerifyClientCertIfGiven, so that a client without
	// a certificate reaches the middleware and gets 401.
	ln, err := ca.listen()
	if err != nil {
		log.Fatal(err)
	}
	policy, err := rbac.Parse("policy.yaml", []byte(httpPolicy))
	if err != nil {
		log.Fatal(err)
	}
	authz, err := rbac.New(policy, nil)
	if err != nil {
		log.Fatal(err)
	}
	handler := rbac.Middleware(authz, &rbac.MiddlewareOptions{
		Authenticators: []rbac.Authenticator{rbac.ClientCert{}},
		Resolve: func(r *http.Request) (rbac.Request, bool) {
			name, ok := strings.CutPrefix(r.URL.Path, "/promote/")
			return rbac.Request{Verb: "promote", Resource: "models/aliases", Name: name}, ok
		},
	})(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := rbac.SubjectFrom(r.Context())
		fmt.Fprintf(w, "promoted by %s", s.Name)
	}))
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	for _, user := range []struct{ cn, group string }{{"rita", "release"}, {"dan", "data"}, {"", ""}} {
		cfg := &tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS13}
		if user.cn != "" {
			cert, err := ca.issue(user.cn, []string{user.group}, false)
			if err != nil {
				log.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
		resp, err := client.Get("https://" + ln.Addr().String() + "/promote/fraud")
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%q: %d %s\n", user.cn, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	// Output:
	// "rita": 200 promoted by rita
	// "dan": 403 Forbidden
	// "": 401 Unauthorized
}

func ExampleLogAudit() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{} // keep the example's output stable
			}
			return a
		},
	}))
	authz, err := rbac.New(&rbac.Policy{}, &rbac.Options{Audit: rbac.LogAudit(logger)})
	if err != nil {
		log.Fatal(err)
	}
	ctx := rbac.WithSubject(context.Background(), rbac.Subject{Name: "eve"})
	_ = authz.Authorize(ctx, "delete", "datasets", "census")
	// Output:
	// level=WARN msg="rbac decision" allowed=false reason="denied: no binding grants it" subject_kind=User subject=eve verb=delete resource=datasets name=census scope=""
}

// Policies live in a bucket; a reload swaps them in atomically, and a
// broken one leaves the policy in force untouched.
func ExampleAuthorizer_Reload() {
	ctx := context.Background()
	bucket := memblob.OpenBucket(nil) // or blob.OpenBucket(ctx, "s3://...")
	defer bucket.Close()
	good := `apiVersion: sextant/v1
kind: Role
metadata: {name: reader}
rules: [{resources: [datasets], verbs: [get]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: everyone}
role: reader
subjects: [{kind: Group, name: system:authenticated}]
`
	if err := bucket.WriteAll(ctx, "rbac.yaml", []byte(good), nil); err != nil {
		log.Fatal(err)
	}
	authz, err := rbac.New(nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	src := rbac.Object(bucket, "rbac.yaml")
	fmt.Println(authz.Reload(ctx, src))

	broken := strings.Replace(good, "verbs: [get]", "verbs: [get, read]", 1)
	if err := bucket.WriteAll(ctx, "rbac.yaml", []byte(broken), nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println(authz.Reload(ctx, src))
	fmt.Println(authz.Decide(rbac.Subject{Name: "ann"}, "get", "datasets", "", "census"))
	// Output:
	// true <nil>
	// false rbac: rbac.yaml:4: unknown verb "read"
	// allowed by binding "everyone" (role "reader", rule 0)
}
