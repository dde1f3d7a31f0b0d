package cli

import (
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
