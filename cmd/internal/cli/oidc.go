package cli

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strings"
	"time"
)

// errToken reports an OIDC token that does not prove who runs the command.
var errToken = errors.New("sextant: invalid OIDC token")

// errJWKS reports a key set that cannot be used.
var errJWKS = errors.New("sextant: invalid JWKS")

// clockSkew is how far the token's time claims may be off from this clock.
const clockSkew = 60 * time.Second

// jwk is one JSON Web Key (RFC 7517) of the kinds accepted: RSA, and EC on P-256.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// verifyKey is a usable key of the set.
type verifyKey struct {
	kid, alg string // alg: "RS256" or "ES256"
	pub      crypto.PublicKey
}

// parseJWKS reads a JWKS document ({"keys": [...]}). Keys of other types,
// curves or uses are skipped; a set with no usable key is an error.
func parseJWKS(data []byte) ([]verifyKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return nil, fmt.Errorf("%w: %v", errJWKS, err)
	}
	var out []verifyKey
	for i, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		switch {
		case k.Kty == "RSA" && (k.Alg == "" || k.Alg == "RS256"):
			pub, err := rsaKey(k)
			if err != nil {
				return nil, fmt.Errorf("%w: key %d (%q): %v", errJWKS, i, k.Kid, err)
			}
			out = append(out, verifyKey{kid: k.Kid, alg: "RS256", pub: pub})
		case k.Kty == "EC" && k.Crv == "P-256" && (k.Alg == "" || k.Alg == "ES256"):
			pub, err := ecKey(k)
			if err != nil {
				return nil, fmt.Errorf("%w: key %d (%q): %v", errJWKS, i, k.Kid, err)
			}
			out = append(out, verifyKey{kid: k.Kid, alg: "ES256", pub: pub})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no RS256 or ES256 signing key", errJWKS)
	}
	return out, nil
}

func b64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func rsaKey(k jwk) (*rsa.PublicKey, error) {
	n, err := b64(k.N)
	if err != nil || len(n) == 0 {
		return nil, errors.New("bad modulus")
	}
	e, err := b64(k.E)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("bad exponent")
	}
	exp := new(big.Int).SetBytes(e)
	if !exp.IsInt64() || exp.Int64() < 3 || exp.Int64()%2 == 0 {
		return nil, errors.New("bad exponent")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp.Int64())}
	if pub.N.BitLen() < 2048 {
		return nil, fmt.Errorf("RSA modulus of %d bits; at least 2048 required", pub.N.BitLen())
	}
	return pub, nil
}

func ecKey(k jwk) (*ecdsa.PublicKey, error) {
	x, errX := b64(k.X)
	y, errY := b64(k.Y)
	if errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
		return nil, errors.New("bad P-256 coordinates")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		return nil, err
	}
	return pub, nil
}

// oidcCheck is what a token must satisfy.
type oidcCheck struct {
	keys     []verifyKey
	issuer   string
	audience string
	claim    string // the claim naming the subject, "sub" by default
	now      time.Time
}

// verifyToken checks a compact JWS token (RS256 or ES256) against the key
// set, then its issuer, audience and validity period, and returns the value
// of the subject claim. Every failure matches errToken.
func verifyToken(token string, c oidcCheck) (string, error) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("%w: not a compact JWS (header.payload.signature)", errToken)
	}
	hdrJSON, err := b64(parts[0])
	if err != nil {
		return "", fmt.Errorf("%w: header: %v", errToken, err)
	}
	var hdr struct {
		Alg  string          `json:"alg"`
		Kid  string          `json:"kid"`
		Crit json.RawMessage `json:"crit"`
	}
	if err := json.Unmarshal(hdrJSON, &hdr); err != nil {
		return "", fmt.Errorf("%w: header: %v", errToken, err)
	}
	if hdr.Alg != "RS256" && hdr.Alg != "ES256" {
		return "", fmt.Errorf("%w: algorithm %q; only RS256 and ES256 are accepted", errToken, hdr.Alg)
	}
	if hdr.Crit != nil {
		return "", fmt.Errorf("%w: critical header extensions are not supported", errToken)
	}
	sig, err := b64(parts[2])
	if err != nil {
		return "", fmt.Errorf("%w: signature: %v", errToken, err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	verified := false
	for _, k := range c.keys {
		if k.alg != hdr.Alg || hdr.Kid != "" && k.kid != hdr.Kid {
			continue
		}
		if verifySig(k, sum[:], sig) {
			verified = true
			break
		}
	}
	if !verified {
		return "", fmt.Errorf("%w: no key of the set (kid %q, %s) verifies the signature", errToken, hdr.Kid, hdr.Alg)
	}
	payload, err := b64(parts[1])
	if err != nil {
		return "", fmt.Errorf("%w: payload: %v", errToken, err)
	}
	return checkClaims(payload, c)
}

func verifySig(k verifyKey, sum, sig []byte) bool {
	switch pub := k.pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum, sig) == nil
	case *ecdsa.PublicKey:
		if len(sig) != 64 {
			return false
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(pub, sum, r, s)
	}
	return false
}

func checkClaims(payload []byte, c oidcCheck) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil {
		return "", fmt.Errorf("%w: claims: %v", errToken, err)
	}
	if iss, _ := claims["iss"].(string); iss != c.issuer {
		return "", fmt.Errorf("%w: issuer %q, want %q", errToken, iss, c.issuer)
	}
	if !hasAudience(claims["aud"], c.audience) {
		return "", fmt.Errorf("%w: audience %v does not include %q", errToken, claims["aud"], c.audience)
	}
	exp, ok := numericDate(claims["exp"])
	if !ok {
		return "", fmt.Errorf("%w: no expiry (exp)", errToken)
	}
	if !c.now.Before(exp.Add(clockSkew)) {
		return "", fmt.Errorf("%w: expired at %s", errToken, exp.UTC().Format(time.RFC3339))
	}
	for _, name := range []string{"nbf", "iat"} {
		v, present := claims[name]
		if !present {
			continue
		}
		t, ok := numericDate(v)
		if !ok {
			return "", fmt.Errorf("%w: %s is not a time", errToken, name)
		}
		if t.After(c.now.Add(clockSkew)) {
			return "", fmt.Errorf("%w: %s %s is in the future", errToken, name, t.UTC().Format(time.RFC3339))
		}
	}
	sub, _ := claims[c.claim].(string)
	if sub == "" {
		return "", fmt.Errorf("%w: no string claim %q naming the subject", errToken, c.claim)
	}
	return sub, nil
}

func hasAudience(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		return slices.ContainsFunc(a, func(v any) bool { s, _ := v.(string); return s == want })
	}
	return false
}

// numericDate reads a JWT NumericDate: seconds since the epoch.
func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f > 1<<40 {
		return time.Time{}, false
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), true
}

// oidcSubject reads the token and the key set and returns the verified
// value of the subject claim.
func oidcSubject(tokenFile, jwksFile string, c oidcCheck) (string, error) {
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return "", err
	}
	set, err := os.ReadFile(jwksFile)
	if err != nil {
		return "", err
	}
	if c.keys, err = parseJWKS(set); err != nil {
		return "", fmt.Errorf("%s: %w", jwksFile, err)
	}
	return verifyToken(string(token), c)
}
