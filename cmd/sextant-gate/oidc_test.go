package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

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
