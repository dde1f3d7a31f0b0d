package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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
