package rbac_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/rbac"
)

// pki is a certificate authority made for one test.
type pki struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newPKI() (*pki, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &pki{cert: cert, key: key, pool: pool}, nil
}

// issue makes a leaf certificate; server certificates are for 127.0.0.1.
func (p *pki) issue(cn string, orgs []string, server bool) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.cert, &key.PublicKey, p.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// listen opens a TLS 1.3 listener on loopback that verifies client
// certificates issued by p when a client presents one.
func (p *pki) listen() (net.Listener, error) {
	serverCert, err := p.issue("server", nil, true)
	if err != nil {
		return nil, err
	}
	return tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{serverCert},
		ClientCAs:    p.pool,
		ClientAuth:   tls.VerifyClientCertIfGiven,
	})
}

const httpPolicy = `apiVersion: sextant/v1
kind: Role
metadata: {name: promoter}
rules: [{resources: [models/aliases], verbs: [promote]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: release}
role: promoter
subjects: [{kind: Group, name: release}]
`

// promoteRoute maps POST /models/{name}/promote to promote models/aliases.
func promoteRoute(r *http.Request) (rbac.Request, bool) {
	name, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/models/"), "/promote")
	if !ok || r.Method != http.MethodPost {
		return rbac.Request{}, false
	}
	return rbac.Request{Verb: "promote", Resource: "models/aliases", Name: name, Scope: r.Header.Get("X-Project")}, true
}

func whoami() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := rbac.SubjectFrom(r.Context())
		fmt.Fprintf(w, "%s %s %v", s.Kind, s.Name, s.Groups)
	})
}

func newAuthorizer(t testing.TB) *rbac.Authorizer {
	p, err := rbac.Parse("policy.yaml", []byte(httpPolicy))
	if err != nil {
		t.Fatal(err)
	}
	a, err := rbac.New(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestMutualTLS(t *testing.T) {
	ca, err := newPKI()
	if err != nil {
		t.Fatal(err)
	}
	rogue, err := newPKI()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := ca.listen()
	if err != nil {
		t.Fatal(err)
	}
	mw := rbac.Middleware(newAuthorizer(t), &rbac.MiddlewareOptions{
		Authenticators: []rbac.Authenticator{rbac.ClientCert{}},
		Resolve:        promoteRoute,
	})
	srv := &http.Server{Handler: mw(whoami()), ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	url := "https://" + ln.Addr().String()

	client := func(cert *tls.Certificate) *http.Client {
		cfg := &tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS13}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
	}
	mustIssue := func(p *pki, cn string, orgs ...string) *tls.Certificate {
		c, err := p.issue(cn, orgs, false)
		if err != nil {
			t.Fatal(err)
		}
		return &c
	}
	rita := mustIssue(ca, "rita", "release")
	dan := mustIssue(ca, "dan", "data")

	tests := []struct {
		name     string
		cert     *tls.Certificate
		path     string
		wantCode int
		wantBody string
	}{
		{"release member may promote", rita, "/models/fraud/promote", 200, "User rita [release]"},
		{"other group is denied", dan, "/models/fraud/promote", 403, "Forbidden\n"},
		{"unmapped route is denied", rita, "/models/fraud/delete", 403, "Forbidden\n"},
		{"no certificate is unauthenticated", nil, "/models/fraud/promote", 401, "Unauthorized\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client(tt.cert).Post(url+tt.path, "text/plain", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.TLS == nil || resp.TLS.Version != tls.VersionTLS13 {
				t.Errorf("connection is not TLS 1.3: %+v", resp.TLS)
			}
			if resp.StatusCode != tt.wantCode || string(body) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tt.wantCode, tt.wantBody)
			}
		})
	}
	t.Run("certificate from another authority fails the handshake", func(t *testing.T) {
		resp, err := client(mustIssue(rogue, "rita", "release")).Post(url+"/models/fraud/promote", "text/plain", nil)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("request with a rogue certificate got %d", resp.StatusCode)
		}
	})
}

func TestClientCertRefusesUnverified(t *testing.T) {
	ca, err := newPKI()
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.issue("rita", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}
	if _, err := (rbac.ClientCert{}).Authenticate(r); err == nil || errors.Is(err, rbac.ErrNoCredentials) {
		t.Errorf("unverified certificate: %v, want a refusal", err)
	}
	r.TLS.VerifiedChains = [][]*x509.Certificate{{leaf, ca.cert}}
	mapped := rbac.ClientCert{Subject: func(c *x509.Certificate) (rbac.Subject, error) {
		return rbac.Subject{Kind: rbac.ServiceAccount, Name: "svc-" + c.Subject.CommonName}, nil
	}}
	if s, err := mapped.Authenticate(r); err != nil || s.Name != "svc-rita" || s.Kind != rbac.ServiceAccount {
		t.Errorf("custom mapping: %+v, %v", s, err)
	}
}

func TestBearerToken(t *testing.T) {
	tokens := map[string]rbac.Subject{
		"t-rita": {Name: "rita", Groups: []string{"release"}},
		"t-dan":  {Name: "dan"},
	}
	verify := func(_ context.Context, tok string) (rbac.Subject, error) {
		if s, ok := tokens[tok]; ok {
			return s, nil
		}
		return rbac.Subject{}, errors.New("unknown token")
	}
	var failing rbac.Checker = checkerFunc(func(context.Context, string, string, string) error {
		return errors.New("policy store down")
	})
	tests := []struct {
		name     string
		authz    rbac.Checker
		header   string
		path     string
		wantCode int
		wantBody string
		extra    []string // further Authorization headers
		wantLog  string   // in the refusal logged, when set
	}{
		{"valid token, allowed", nil, "Bearer t-rita", "/models/m/promote", 200, "User rita [release]", nil, ""},
		{"scheme is case-insensitive", nil, "bearer t-rita", "/models/m/promote", 200, "User rita [release]", nil, ""},
		{"valid token, denied", nil, "Bearer t-dan", "/models/m/promote", 403, "Forbidden\n", nil, ""},
		{"unknown token", nil, "Bearer nope", "/models/m/promote", 401, "Unauthorized\n", nil, ""},
		{"empty token", nil, "Bearer ", "/models/m/promote", 401, "Unauthorized\n", nil, ""},
		{"no header", nil, "", "/models/m/promote", 401, "Unauthorized\n", nil, ""},
		{"other scheme", nil, "Basic dTpw", "/models/m/promote", 401, "Unauthorized\n", nil, ""},
		{"invalid name", nil, "Bearer t-rita", "/models/a..b%2F../promote", 403, "Forbidden\n", nil, ""},
		{"authorizer failure leaks nothing", failing, "Bearer t-rita", "/models/m/promote", 500, "Internal Server Error\n", nil, ""},
		{"two tokens: neither counts", nil, "Bearer t-rita", "/models/m/promote", 401, "Unauthorized\n", []string{"Bearer t-dan"}, "2 Authorization headers"},
		{"two tokens, the first denied", nil, "Bearer t-dan", "/models/m/promote", 401, "Unauthorized\n", []string{"Bearer t-rita"}, "2 Authorization headers"},
		{"the same token twice", nil, "Bearer t-rita", "/models/m/promote", 401, "Unauthorized\n", []string{"Bearer t-rita"}, "2 Authorization headers"},
		{"another scheme beside a token", nil, "Basic dTpw", "/models/m/promote", 401, "Unauthorized\n", []string{"Bearer t-rita"}, "2 Authorization headers"},
		{"three headers", nil, "Bearer t-rita", "/models/m/promote", 401, "Unauthorized\n", []string{"Bearer t-rita", "Bearer t-rita"}, "3 Authorization headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			authz := tt.authz
			if authz == nil {
				authz = newAuthorizer(t)
			}
			var logBuf bytes.Buffer
			h := rbac.Middleware(authz, &rbac.MiddlewareOptions{
				Authenticators: []rbac.Authenticator{rbac.ClientCert{}, rbac.BearerToken{Verify: verify}},
				Resolve:        promoteRoute,
				Logger:         slog.New(slog.NewTextHandler(&logBuf, nil)),
			})(whoami())
			req := httptest.NewRequest(http.MethodPost, tt.path, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			for _, h := range tt.extra {
				req.Header.Add("Authorization", h)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Body.String(), tt.wantCode, tt.wantBody)
			}
			if tt.wantLog != "" && !strings.Contains(logBuf.String(), tt.wantLog) {
				t.Errorf("log %q does not say %q", logBuf.String(), tt.wantLog)
			}
			// A 401 names the scheme, and only the scheme; other answers
			// challenge nobody.
			var want []string
			if tt.wantCode == http.StatusUnauthorized {
				want = []string{"Bearer"}
			}
			if got := rec.Header().Values("WWW-Authenticate"); !slices.Equal(got, want) {
				t.Errorf("WWW-Authenticate = %q, want %q", got, want)
			}
		})
	}
}

func TestMiddlewareScopeAndAuthenticateOnly(t *testing.T) {
	p := &rbac.Policy{
		Roles:    []rbac.Role{{Name: "p", Rules: []rbac.Rule{{Verbs: []string{"promote"}, Resources: []string{"models/aliases"}}}}},
		Bindings: []rbac.Binding{{Name: "b", Scope: "fraud", Role: "p", Subjects: []rbac.SubjectRef{{Kind: rbac.User, Name: "rita"}}}},
	}
	a, err := rbac.New(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	authn := []rbac.Authenticator{rbac.BearerToken{Verify: func(context.Context, string) (rbac.Subject, error) {
		return rbac.Subject{Name: "rita"}, nil
	}}}
	h := rbac.Middleware(a, &rbac.MiddlewareOptions{Authenticators: authn, Resolve: promoteRoute})(whoami())
	for project, want := range map[string]int{"fraud": 200, "churn": 403, "": 403} {
		req := httptest.NewRequest(http.MethodPost, "/models/m/promote", nil)
		req.Header.Set("Authorization", "Bearer x")
		req.Header.Set("X-Project", project)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("project %q: %d, want %d", project, rec.Code, want)
		}
	}
	// Without Resolve the middleware only authenticates.
	h = rbac.Middleware(nil, &rbac.MiddlewareOptions{Authenticators: authn})(whoami())
	req := httptest.NewRequest(http.MethodGet, "/anything", nil)
	req.Header.Set("Authorization", "Bearer x")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.String() != "User rita []" {
		t.Errorf("authenticate only: %d %q", rec.Code, rec.Body.String())
	}
	// Resolve without an authorizer is a configuration error, not an open door.
	h = rbac.Middleware(nil, &rbac.MiddlewareOptions{Authenticators: authn, Resolve: promoteRoute})(whoami())
	req = httptest.NewRequest(http.MethodPost, "/models/m/promote", nil)
	req.Header.Set("Authorization", "Bearer x")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("Resolve without an authorizer: %d, want 500", rec.Code)
	}
	// An authenticator that claims the subject is a group does not get
	// that group's grants: 401, as for any unacceptable credentials.
	asGroup := []rbac.Authenticator{authenticatorFunc(func(*http.Request) (rbac.Subject, error) {
		return rbac.Subject{Kind: rbac.Group, Name: "rita"}, nil
	})}
	groupGrant := &rbac.Policy{Roles: p.Roles, Bindings: []rbac.Binding{{Name: "b", Role: "p", Subjects: []rbac.SubjectRef{{Kind: rbac.Group, Name: "rita"}}}}}
	ga, err := rbac.New(groupGrant, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]http.Handler{
		"authorize":         rbac.Middleware(ga, &rbac.MiddlewareOptions{Authenticators: asGroup, Resolve: promoteRoute})(whoami()),
		"authenticate only": rbac.Middleware(nil, &rbac.MiddlewareOptions{Authenticators: asGroup})(whoami()),
	} {
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/models/m/promote", nil))
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("group as principal (%s): %d %q, want 401", name, rec.Code, rec.Body.String())
		}
	}
	// No authenticators: nobody gets in.
	h = rbac.Middleware(a, nil)(whoami())
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("no authenticators: %d, want 401", rec.Code)
	}
}

type authenticatorFunc func(r *http.Request) (rbac.Subject, error)

func (f authenticatorFunc) Authenticate(r *http.Request) (rbac.Subject, error) { return f(r) }

type checkerFunc func(ctx context.Context, verb, resource, name string) error

func (f checkerFunc) Authorize(ctx context.Context, verb, resource, name string) error {
	return f(ctx, verb, resource, name)
}

func TestAuthenticatorErrors(t *testing.T) {
	ca, err := newPKI()
	if err != nil {
		t.Fatal(err)
	}
	certReq := func(cn string, verified bool) *http.Request {
		c, err := ca.issue(cn, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}
		if verified {
			r.TLS.VerifiedChains = [][]*x509.Certificate{{leaf, ca.cert}}
		}
		return r
	}
	tokenReq := func(hs ...string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, h := range hs {
			if h != "" {
				r.Header.Add("Authorization", h)
			}
		}
		return r
	}
	errUnknown := errors.New("unknown token")
	verify := func(_ context.Context, tok string) (rbac.Subject, error) {
		if tok == "good" {
			return rbac.Subject{Name: "rita"}, nil
		}
		return rbac.Subject{}, errUnknown
	}
	refuseAll := func(*x509.Certificate) (rbac.Subject, error) { return rbac.Subject{}, errUnknown }
	asGroup := func(*x509.Certificate) (rbac.Subject, error) {
		return rbac.Subject{Kind: rbac.Group, Name: "release"}, nil
	}
	verifyAsGroup := func(context.Context, string) (rbac.Subject, error) {
		return rbac.Subject{Kind: rbac.Group, Name: "release"}, nil
	}
	verifyNameless := func(context.Context, string) (rbac.Subject, error) { return rbac.Subject{Kind: rbac.User}, nil }
	tests := []struct {
		name  string
		authn rbac.Authenticator
		req   *http.Request
		want  error // nil: authenticated
	}{
		{"no TLS", rbac.ClientCert{}, tokenReq(""), rbac.ErrNoCredentials},
		{"unverified certificate", rbac.ClientCert{}, certReq("rita", false), rbac.ErrInvalidCredentials},
		{"no common name", rbac.ClientCert{}, certReq("", true), rbac.ErrInvalidCredentials},
		{"mapping refuses", rbac.ClientCert{Subject: refuseAll}, certReq("rita", true), errUnknown},
		{"verified certificate", rbac.ClientCert{}, certReq("rita", true), nil},
		{"no header", rbac.BearerToken{Verify: verify}, tokenReq(""), rbac.ErrNoCredentials},
		{"other scheme", rbac.BearerToken{Verify: verify}, tokenReq("Basic dTpw"), rbac.ErrNoCredentials},
		{"empty token", rbac.BearerToken{Verify: verify}, tokenReq("Bearer  "), rbac.ErrInvalidCredentials},
		{"no verifier", rbac.BearerToken{}, tokenReq("Bearer good"), rbac.ErrInvalidCredentials},
		{"refused token", rbac.BearerToken{Verify: verify}, tokenReq("Bearer bad"), errUnknown},
		{"accepted token", rbac.BearerToken{Verify: verify}, tokenReq("Bearer good"), nil},
		{"two Authorization headers", rbac.BearerToken{Verify: verify}, tokenReq("Bearer good", "Bearer bad"), rbac.ErrInvalidCredentials},
		{"two Authorization headers, both good", rbac.BearerToken{Verify: verify}, tokenReq("Bearer good", "Bearer good"), rbac.ErrInvalidCredentials},
		{"two Authorization headers of another scheme", rbac.BearerToken{Verify: verify}, tokenReq("Basic dTpw", "Basic dTpw"), rbac.ErrInvalidCredentials},
		{"certificate mapped to a group", rbac.ClientCert{Subject: asGroup}, certReq("rita", true), rbac.ErrInvalidSubject},
		{"token verified as a group", rbac.BearerToken{Verify: verifyAsGroup}, tokenReq("Bearer good"), rbac.ErrInvalidSubject},
		{"token verified without a name", rbac.BearerToken{Verify: verifyNameless}, tokenReq("Bearer good"), rbac.ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.authn.Authenticate(tt.req)
			if tt.want == nil {
				if err != nil || s.Name != "rita" {
					t.Fatalf("got %+v, %v; want rita", s, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want an error matching %v", err, tt.want)
			}
			// Present but unacceptable credentials stop the chain: they
			// must not look like absent ones, and absent ones must not
			// look invalid.
			if errors.Is(err, rbac.ErrNoCredentials) == errors.Is(err, rbac.ErrInvalidCredentials) {
				t.Errorf("%v matches both or neither of ErrNoCredentials and ErrInvalidCredentials", err)
			}
		})
	}
}
