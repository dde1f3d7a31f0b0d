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
	"github.com/sextant-ml/sextant/cmd/internal/oidctest"
)

// The subject comes from a verified token; a token that does not verify
// stops the command before the registry is touched.
func TestOIDCSubject(t *testing.T) {
	f := newFixture(t)
	is := oidctest.New(t)
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
	trainer := is.TokenFile(t, "RS256", "repo:acme/pumps:ref:refs/heads/main")
	release := is.TokenFile(t, "ES256", "repo:acme/pumps:environment:production")
	expired := filepath.Join(is.Dir, "expired.jwt")
	old := oidctest.Claims("repo:acme/pumps:environment:production", time.Now().Add(-2*time.Hour))
	write(t, expired, is.Sign(t, "ES256", "ec-1", old))
	forger := &oidctest.Keys{RSA: is.RSA}
	var err error
	if forger.EC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	forged := filepath.Join(is.Dir, "forged.jwt")
	write(t, forged, forger.Sign(t, "ES256", "ec-1", oidctest.Claims("repo:acme/pumps:environment:production", time.Now())))
	base := []string{"-bucket", f.bucket, "-model", "m", "-policy", policy}
	promote := []string{"-version", "1", "-gate", f.gate}
	tests := []struct {
		name string
		cmd  string
		args []string
		want int
		text string
	}{
		{"main registers", "register", append(is.Flags(trainer), "-dir", dir, "-metrics", m), exitOK, "registered m/1"},
		{"main may not promote", "promote", append(is.Flags(trainer), promote...), exitError, "denied"},
		{"expired token", "promote", append(is.Flags(expired), promote...), exitError, "expired"},
		{"forged token", "promote", append(is.Flags(forged), promote...), exitError, "invalid OIDC token"},
		{"wrong audience", "promote", append(append(is.Flags(release), "-oidc-audience", "other"), promote...), exitError, "audience"},
		{"token without key set", "promote", append([]string{"-oidc-token", release, "-oidc-issuer", oidctest.Issuer, "-oidc-audience", oidctest.Audience}, promote...), exitUsage, "-oidc-jwks"},
		{"token and -as", "promote", append(append(is.Flags(release), "-as", "ServiceAccount:x", "-insecure-subject"), promote...), exitUsage, "not both"},
		{"production promotes", "promote", append(is.Flags(release), promote...), exitOK, ""},
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
