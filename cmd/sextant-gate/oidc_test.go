package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	testIssuer   = "https://token.actions.githubusercontent.com"
	testAudience = "sextant"
)

// testIssuerKeys are the keys of an OIDC provider made for the test: an RSA
// key (kid "rsa-1") and a P-256 key (kid "ec-1"), published as a JWKS file.
type testIssuerKeys struct {
	rsa  *rsa.PrivateKey
	ec   *ecdsa.PrivateKey
	jwks string // path of the JWKS file
	dir  string
}

// rsaKeyOnce is made by the first issuer and reused: a 2048-bit key takes
// a while to generate on a busy machine.
var rsaKeyOnce *rsa.PrivateKey

func newIssuer(t *testing.T) *testIssuerKeys {
	t.Helper()
	if rsaKeyOnce == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		rsaKeyOnce = k
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is := &testIssuerKeys{rsa: rsaKeyOnce, ec: ec, dir: t.TempDir()}
	is.jwks = filepath.Join(is.dir, "jwks.json")
	write(t, is.jwks, jwksOf(t, map[string]crypto.PublicKey{"rsa-1": &is.rsa.PublicKey, "ec-1": &ec.PublicKey}))
	return is
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func jwksOf(t *testing.T, keys map[string]crypto.PublicKey) string {
	t.Helper()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	for kid, k := range keys {
		switch k := k.(type) {
		case *rsa.PublicKey:
			set.Keys = append(set.Keys, map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
				"n": b64u(k.N.Bytes()), "e": b64u(big.NewInt(int64(k.E)).Bytes())})
		case *ecdsa.PublicKey:
			raw, err := k.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			set.Keys = append(set.Keys, map[string]string{"kty": "EC", "kid": kid, "crv": "P-256",
				"x": b64u(raw[1:33]), "y": b64u(raw[33:])})
		}
	}
	data, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// sign makes a compact JWS of claims with alg ("RS256" or "ES256") and kid.
func (is *testIssuerKeys) sign(t *testing.T, alg, kid string, claims map[string]any) string {
	t.Helper()
	hdr, _ := json.Marshal(map[string]string{"alg": alg, "kid": kid, "typ": "JWT"})
	body, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := b64u(hdr) + "." + b64u(body)
	sum := sha256.Sum256([]byte(input))
	var sig []byte
	switch alg {
	case "RS256":
		if sig, err = rsa.SignPKCS1v15(rand.Reader, is.rsa, crypto.SHA256, sum[:]); err != nil {
			t.Fatal(err)
		}
	case "ES256":
		r, s, err := ecdsa.Sign(rand.Reader, is.ec, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	default:
		sig = []byte("x")
	}
	return input + "." + b64u(sig)
}

// claimsFor are the claims of a valid token naming sub, issued now.
func claimsFor(sub string, now time.Time) map[string]any {
	return map[string]any{"iss": testIssuer, "aud": testAudience, "sub": sub,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		"repository": "sextant-ml/sextant", "environment": "production"}
}

// tokenFile writes a valid token for sub, signed with alg, and returns its path.
func (is *testIssuerKeys) tokenFile(t *testing.T, alg, sub string) string {
	t.Helper()
	kid := map[string]string{"RS256": "rsa-1", "ES256": "ec-1"}[alg]
	path := filepath.Join(is.dir, strings.NewReplacer(":", "_", "/", "_").Replace(sub)+"-"+alg+".jwt")
	write(t, path, is.sign(t, alg, kid, claimsFor(sub, time.Now()))+"\n")
	return path
}

// oidcFlags are the flags naming a token file and this issuer.
func (is *testIssuerKeys) oidcFlags(token string) []string {
	return []string{"-oidc-token", token, "-oidc-jwks", is.jwks, "-oidc-issuer", testIssuer, "-oidc-audience", testAudience}
}

func TestVerifyToken(t *testing.T) {
	is := newIssuer(t)
	now := time.Unix(1_800_000_000, 0)
	keys, err := parseJWKS([]byte(jwksOf(t, map[string]crypto.PublicKey{"rsa-1": &is.rsa.PublicKey, "ec-1": &is.ec.PublicKey})))
	if err != nil {
		t.Fatal(err)
	}
	check := oidcCheck{keys: keys, issuer: testIssuer, audience: testAudience, claim: "sub", now: now}
	with := func(change func(c map[string]any)) map[string]any {
		c := claimsFor("repo:acme/pumps:ref:refs/heads/main", now)
		change(c)
		return c
	}
	other := &testIssuerKeys{rsa: is.rsa}
	if other.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	valid := claimsFor("repo:acme/pumps:ref:refs/heads/main", now)
	tests := []struct {
		name  string
		token string
		claim string
		want  string // the subject, "" for a refusal
	}{
		{"RS256", is.sign(t, "RS256", "rsa-1", valid), "", "repo:acme/pumps:ref:refs/heads/main"},
		{"ES256", is.sign(t, "ES256", "ec-1", valid), "", "repo:acme/pumps:ref:refs/heads/main"},
		{"no kid", is.sign(t, "ES256", "", valid), "", "repo:acme/pumps:ref:refs/heads/main"},
		{"audience list", is.sign(t, "ES256", "ec-1", with(func(c map[string]any) { c["aud"] = []string{"other", testAudience} })), "", "repo:acme/pumps:ref:refs/heads/main"},
		{"other claim", is.sign(t, "RS256", "rsa-1", valid), "environment", "production"},
		{"within clock skew", is.sign(t, "RS256", "rsa-1", with(func(c map[string]any) { c["exp"] = now.Add(-30 * time.Second).Unix() })), "", "repo:acme/pumps:ref:refs/heads/main"},
		{"expired", is.sign(t, "RS256", "rsa-1", with(func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() })), "", ""},
		{"no expiry", is.sign(t, "RS256", "rsa-1", with(func(c map[string]any) { delete(c, "exp") })), "", ""},
		{"expiry a string", is.sign(t, "RS256", "rsa-1", with(func(c map[string]any) { c["exp"] = "tomorrow" })), "", ""},
		{"not yet valid", is.sign(t, "ES256", "ec-1", with(func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() })), "", ""},
		{"issued in the future", is.sign(t, "ES256", "ec-1", with(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() })), "", ""},
		{"wrong issuer", is.sign(t, "ES256", "ec-1", with(func(c map[string]any) { c["iss"] = "https://evil.example" })), "", ""},
		{"wrong audience", is.sign(t, "ES256", "ec-1", with(func(c map[string]any) { c["aud"] = "someone-else" })), "", ""},
		{"no audience", is.sign(t, "ES256", "ec-1", with(func(c map[string]any) { delete(c, "aud") })), "", ""},
		{"no subject", is.sign(t, "ES256", "ec-1", with(func(c map[string]any) { delete(c, "sub") })), "", ""},
		{"subject not a string", is.sign(t, "ES256", "ec-1", with(func(c map[string]any) { c["sub"] = 7 })), "", ""},
		{"unknown key", other.sign(t, "ES256", "ec-1", valid), "", ""},
		{"kid of another key", is.sign(t, "ES256", "rsa-1", valid), "", ""},
		{"alg none", is.sign(t, "none", "", valid), "", ""},
		{"HS256", is.sign(t, "HS256", "rsa-1", valid), "", ""},
		{"payload swapped", func() string {
			good := strings.Split(is.sign(t, "RS256", "rsa-1", valid), ".")
			evil := strings.Split(is.sign(t, "RS256", "rsa-1", with(func(c map[string]any) { c["sub"] = "release" })), ".")
			return good[0] + "." + evil[1] + "." + good[2]
		}(), "", ""},
		{"two parts", "a.b", "", ""},
		{"garbage", "!!!.???.***", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := check
			if tt.claim != "" {
				c.claim = tt.claim
			}
			got, err := verifyToken(tt.token, c)
			if tt.want == "" {
				if !errors.Is(err, errToken) {
					t.Fatalf("verifyToken = %q, %v; want errToken", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("verifyToken = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestParseJWKS(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{
		"not json":      "{",
		"empty":         `{"keys": []}`,
		"weak RSA":      jwksOf(t, map[string]crypto.PublicKey{"k": &small.PublicKey}),
		"only P-384":    `{"keys": [{"kty": "EC", "crv": "P-384", "x": "` + b64u(p384.X.Bytes()) + `", "y": "` + b64u(p384.Y.Bytes()) + `"}]}`,
		"off the curve": `{"keys": [{"kty": "EC", "crv": "P-256", "x": "` + b64u(make([]byte, 32)) + `", "y": "` + b64u(append(make([]byte, 31), 1)) + `"}]}`,
		"only HMAC":     `{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}`,
		"encryption":    `{"keys": [{"kty": "RSA", "use": "enc", "n": "AQAB", "e": "AQAB"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parseJWKS([]byte(doc)); !errors.Is(err, errJWKS) {
				t.Fatalf("parseJWKS = %v, want errJWKS", err)
			}
		})
	}
}

func FuzzVerifyToken(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiJ9.e30.AAAA")
	f.Add("a.b.c")
	f.Add("..")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	check := oidcCheck{keys: []verifyKey{{kid: "k", alg: "ES256", pub: &key.PublicKey}}, issuer: testIssuer, audience: testAudience, claim: "sub", now: time.Now()}
	f.Fuzz(func(t *testing.T, token string) {
		if sub, err := verifyToken(token, check); err == nil {
			t.Fatalf("a token nobody signed was accepted for %q", sub)
		} else if !errors.Is(err, errToken) {
			t.Fatalf("untyped error %v", err)
		}
	})
}

// The subject comes from a verified token; a token that does not verify
// stops the command before the registry is touched.
func TestOIDCSubject(t *testing.T) {
	f := newFixture(t)
	is := newIssuer(t)
	policy := filepath.Join(f.dir, "policy.yaml")
	write(t, policy, `apiVersion: sextant/v1
kind: Role
metadata: {name: trainer}
rules: [{resources: [models, models/versions, models/aliases, artifacts], verbs: [get, list, create, update, sign]}]
---
apiVersion: sextant/v1
kind: Role
metadata: {name: release}
rules:
  - {resources: [models, models/versions, models/aliases], verbs: [get, list]}
  - {resources: [models/aliases], verbs: [promote]}
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: main}
role: trainer
subjects: [{kind: User, name: "repo:acme/pumps:ref:refs/heads/main"}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: production}
role: release
subjects: [{kind: User, name: "repo:acme/pumps:environment:production"}]
`)
	dir, m := f.model(t, "v1", `{}`, `{"auc": 0.9, "log_loss": 0.1}`)
	trainer := is.tokenFile(t, "RS256", "repo:acme/pumps:ref:refs/heads/main")
	release := is.tokenFile(t, "ES256", "repo:acme/pumps:environment:production")
	expired := filepath.Join(is.dir, "expired.jwt")
	old := claimsFor("repo:acme/pumps:environment:production", time.Now().Add(-2*time.Hour))
	write(t, expired, is.sign(t, "ES256", "ec-1", old))
	forger := &testIssuerKeys{rsa: is.rsa}
	var err error
	if forger.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	forged := filepath.Join(is.dir, "forged.jwt")
	write(t, forged, forger.sign(t, "ES256", "ec-1", claimsFor("repo:acme/pumps:environment:production", time.Now())))
	base := []string{"-bucket", f.bucket, "-model", "m", "-policy", policy}
	promote := []string{"-version", "1", "-gate", f.gate}
	tests := []struct {
		name string
		cmd  string
		args []string
		want int
		text string
	}{
		{"main registers", "register", append(is.oidcFlags(trainer), "-dir", dir, "-metrics", m), exitOK, "registered m/1"},
		{"main may not promote", "promote", append(is.oidcFlags(trainer), promote...), exitError, "denied"},
		{"expired token", "promote", append(is.oidcFlags(expired), promote...), exitError, "expired"},
		{"forged token", "promote", append(is.oidcFlags(forged), promote...), exitError, "invalid OIDC token"},
		{"wrong audience", "promote", append(append(is.oidcFlags(release), "-oidc-audience", "other"), promote...), exitError, "audience"},
		{"token without key set", "promote", append([]string{"-oidc-token", release, "-oidc-issuer", testIssuer, "-oidc-audience", testAudience}, promote...), exitUsage, "-oidc-jwks"},
		{"token and -as", "promote", append(append(is.oidcFlags(release), "-as", "ServiceAccount:x", "-insecure-subject"), promote...), exitUsage, "not both"},
		{"production promotes", "promote", append(is.oidcFlags(release), promote...), exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{tt.cmd}, base...), tt.args...)
			code, _, stderr := cli(t, args...)
			if code != tt.want || !strings.Contains(stderr, tt.text) {
				t.Errorf("exit %d, want %d; stderr %q should contain %q", code, tt.want, stderr, tt.text)
			}
		})
	}
	hist, err := f.registry(t).History(context.Background(), "m")
	if err != nil {
		t.Fatal(err)
	}
	var actors []string
	for _, ev := range hist {
		actors = append(actors, string(ev.Type)+" by "+ev.Actor)
	}
	want := []string{
		"version.register by User:repo:acme/pumps:ref:refs/heads/main",
		"card.set by User:repo:acme/pumps:ref:refs/heads/main",
		"alias.set by User:repo:acme/pumps:environment:production",
	}
	if diff := cmp.Diff(want, actors); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}
