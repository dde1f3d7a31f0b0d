package cli

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/cmd/internal/oidctest"
)

func TestVerifyToken(t *testing.T) {
	is := oidctest.New(t)
	now := time.Unix(1_800_000_000, 0)
	keys, err := parseJWKS([]byte(oidctest.JWKS(t, map[string]crypto.PublicKey{"rsa-1": &is.RSA.PublicKey, "ec-1": &is.EC.PublicKey})))
	if err != nil {
		t.Fatal(err)
	}
	check := oidcCheck{keys: keys, issuer: oidctest.Issuer, audience: oidctest.Audience, claim: "sub", now: now}
	with := func(change func(c map[string]any)) map[string]any {
		c := oidctest.Claims("repo:acme/pumps:ref:refs/heads/main", now)
		change(c)
		return c
	}
	other := &oidctest.Keys{RSA: is.RSA}
	if other.EC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	valid := oidctest.Claims("repo:acme/pumps:ref:refs/heads/main", now)
	tests := []struct {
		name  string
		token string
		claim string
		want  string // the subject, "" for a refusal
	}{
		{"RS256", is.Sign(t, "RS256", "rsa-1", valid), "", "repo:acme/pumps:ref:refs/heads/main"},
		{"ES256", is.Sign(t, "ES256", "ec-1", valid), "", "repo:acme/pumps:ref:refs/heads/main"},
		{"no kid", is.Sign(t, "ES256", "", valid), "", "repo:acme/pumps:ref:refs/heads/main"},
		{"audience list", is.Sign(t, "ES256", "ec-1", with(func(c map[string]any) { c["aud"] = []string{"other", oidctest.Audience} })), "", "repo:acme/pumps:ref:refs/heads/main"},
		{"other claim", is.Sign(t, "RS256", "rsa-1", valid), "environment", "production"},
		{"within clock skew", is.Sign(t, "RS256", "rsa-1", with(func(c map[string]any) { c["exp"] = now.Add(-30 * time.Second).Unix() })), "", "repo:acme/pumps:ref:refs/heads/main"},
		{"expired", is.Sign(t, "RS256", "rsa-1", with(func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() })), "", ""},
		{"no expiry", is.Sign(t, "RS256", "rsa-1", with(func(c map[string]any) { delete(c, "exp") })), "", ""},
		{"expiry a string", is.Sign(t, "RS256", "rsa-1", with(func(c map[string]any) { c["exp"] = "tomorrow" })), "", ""},
		{"not yet valid", is.Sign(t, "ES256", "ec-1", with(func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() })), "", ""},
		{"issued in the future", is.Sign(t, "ES256", "ec-1", with(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() })), "", ""},
		{"wrong issuer", is.Sign(t, "ES256", "ec-1", with(func(c map[string]any) { c["iss"] = "https://evil.example" })), "", ""},
		{"wrong audience", is.Sign(t, "ES256", "ec-1", with(func(c map[string]any) { c["aud"] = "someone-else" })), "", ""},
		{"no audience", is.Sign(t, "ES256", "ec-1", with(func(c map[string]any) { delete(c, "aud") })), "", ""},
		{"no subject", is.Sign(t, "ES256", "ec-1", with(func(c map[string]any) { delete(c, "sub") })), "", ""},
		{"subject not a string", is.Sign(t, "ES256", "ec-1", with(func(c map[string]any) { c["sub"] = 7 })), "", ""},
		{"unknown key", other.Sign(t, "ES256", "ec-1", valid), "", ""},
		{"kid of another key", is.Sign(t, "ES256", "rsa-1", valid), "", ""},
		{"alg none", is.Sign(t, "none", "", valid), "", ""},
		{"HS256", is.Sign(t, "HS256", "rsa-1", valid), "", ""},
		{"payload swapped", func() string {
			good := strings.Split(is.Sign(t, "RS256", "rsa-1", valid), ".")
			evil := strings.Split(is.Sign(t, "RS256", "rsa-1", with(func(c map[string]any) { c["sub"] = "release" })), ".")
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
		"weak RSA":      oidctest.JWKS(t, map[string]crypto.PublicKey{"k": &small.PublicKey}),
		"only P-384":    `{"keys": [{"kty": "EC", "crv": "P-384", "x": "` + oidctest.B64(p384.X.Bytes()) + `", "y": "` + oidctest.B64(p384.Y.Bytes()) + `"}]}`,
		"off the curve": `{"keys": [{"kty": "EC", "crv": "P-256", "x": "` + oidctest.B64(make([]byte, 32)) + `", "y": "` + oidctest.B64(append(make([]byte, 31), 1)) + `"}]}`,
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
	check := oidcCheck{keys: []verifyKey{{kid: "k", alg: "ES256", pub: &key.PublicKey}}, issuer: oidctest.Issuer, audience: oidctest.Audience, claim: "sub", now: time.Now()}
	f.Fuzz(func(t *testing.T, token string) {
		if sub, err := verifyToken(token, check); err == nil {
			t.Fatalf("a token nobody signed was accepted for %q", sub)
		} else if !errors.Is(err, errToken) {
			t.Fatalf("untyped error %v", err)
		}
	})
}
