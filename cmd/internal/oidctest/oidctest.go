// Package oidctest is an OIDC provider made for tests of the commands: an
// RSA and a P-256 signing key published as a JWKS file, and compact JWS
// tokens signed with them, as a CI system's token service issues them.
package oidctest

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
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The issuer and audience the tokens name.
const (
	Issuer   = "https://token.actions.githubusercontent.com"
	Audience = "sextant"
)

// Keys are the keys of a provider: RSA (kid "rsa-1") and P-256 (kid
// "ec-1"), published at JWKSFile.
type Keys struct {
	RSA      *rsa.PrivateKey
	EC       *ecdsa.PrivateKey
	JWKSFile string
	Dir      string // where TokenFile writes tokens
}

// rsaKey is made once per test binary: a 2048-bit key takes a while to
// generate on a busy machine.
var rsaKey = sync.OnceValues(func() (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, 2048) })

// New returns a provider whose JWKS file and tokens live in a directory of t.
func New(t testing.TB) *Keys {
	t.Helper()
	rk, err := rsaKey()
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := &Keys{RSA: rk, EC: ec, Dir: t.TempDir()}
	k.JWKSFile = filepath.Join(k.Dir, "jwks.json")
	writeFile(t, k.JWKSFile, JWKS(t, map[string]crypto.PublicKey{"rsa-1": &rk.PublicKey, "ec-1": &ec.PublicKey}))
	return k
}

// B64 is base64url without padding, as JOSE writes it.
func B64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// JWKS returns a JSON Web Key Set publishing keys by kid.
func JWKS(t testing.TB, keys map[string]crypto.PublicKey) string {
	t.Helper()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	for kid, k := range keys {
		switch k := k.(type) {
		case *rsa.PublicKey:
			set.Keys = append(set.Keys, map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
				"n": B64(k.N.Bytes()), "e": B64(big.NewInt(int64(k.E)).Bytes())})
		case *ecdsa.PublicKey:
			raw, err := k.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			set.Keys = append(set.Keys, map[string]string{"kty": "EC", "kid": kid, "crv": "P-256",
				"x": B64(raw[1:33]), "y": B64(raw[33:])})
		}
	}
	data, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// Sign makes a compact JWS of claims with alg ("RS256" or "ES256"; any
// other gives a junk signature) and kid.
func (k *Keys) Sign(t testing.TB, alg, kid string, claims map[string]any) string {
	t.Helper()
	hdr, _ := json.Marshal(map[string]string{"alg": alg, "kid": kid, "typ": "JWT"})
	body, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := B64(hdr) + "." + B64(body)
	sum := sha256.Sum256([]byte(input))
	var sig []byte
	switch alg {
	case "RS256":
		if sig, err = rsa.SignPKCS1v15(rand.Reader, k.RSA, crypto.SHA256, sum[:]); err != nil {
			t.Fatal(err)
		}
	case "ES256":
		r, s, err := ecdsa.Sign(rand.Reader, k.EC, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	default:
		sig = []byte("x")
	}
	return input + "." + B64(sig)
}

// Claims are the claims of a valid token naming sub, issued at now.
func Claims(sub string, now time.Time) map[string]any {
	return map[string]any{"iss": Issuer, "aud": Audience, "sub": sub,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
		"repository": "sextant-ml/sextant", "environment": "production"}
}

// TokenFile writes a valid token for sub, signed with alg, and returns its
// path.
func (k *Keys) TokenFile(t testing.TB, alg, sub string) string {
	t.Helper()
	kid := map[string]string{"RS256": "rsa-1", "ES256": "ec-1"}[alg]
	path := filepath.Join(k.Dir, strings.NewReplacer(":", "_", "/", "_").Replace(sub)+"-"+alg+".jwt")
	writeFile(t, path, k.Sign(t, alg, kid, Claims(sub, time.Now()))+"\n")
	return path
}

// Flags are the command flags naming a token file and this provider.
func (k *Keys) Flags(token string) []string {
	return []string{"-oidc-token", token, "-oidc-jwks", k.JWKSFile, "-oidc-issuer", Issuer, "-oidc-audience", Audience}
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
