package registry_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/rbac/rbactest"

	"github.com/sextant-ml/sextant/registry"
	"github.com/sextant-ml/sextant/registry/registrytest"
)

func genKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// lyingSigner claims one public key and signs with another, as a
// misconfigured key service would.
type lyingSigner struct {
	claimed *ecdsa.PrivateKey
	signs   *ecdsa.PrivateKey
}

func (s lyingSigner) Public() crypto.PublicKey { return s.claimed.Public() }
func (s lyingSigner) Sign(rnd io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.signs.Sign(rnd, digest, opts)
}

func TestSignRecordsOnlyWhatVerifies(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t, openBucket(t, "mem://"), nil)
	must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{Files: files("model.bin", "weights")}))
	claimed := genKey(t)
	_, err := r.Sign(ctx, "fraud/1", lyingSigner{claimed: claimed, signs: genKey(t)})
	if !errors.Is(err, registry.ErrSignature) {
		t.Fatalf("Sign with a signer whose key does not match = %v, want ErrSignature", err)
	}
	v := must[*registry.Version](t)(r.Get(ctx, "fraud/1"))
	if len(v.Signatures) != 0 {
		t.Fatalf("a signature that does not verify was recorded: %+v", v.Signatures)
	}
	// The honest signer's signature is recorded with the key that verified it.
	sig := must[*registry.Signature](t)(r.Sign(ctx, "fraud/1", claimed))
	if id, _ := registry.KeyID(&claimed.PublicKey); sig.KeyID != id {
		t.Fatalf("recorded key id %q, want %q", sig.KeyID, id)
	}
}

// appendSignature attaches an existing envelope to a version by writing the
// log entry directly, as anyone who may write the bucket can.
func appendSignature(t *testing.T, r *registry.Registry, f *registrytest.Faults, model string, version int, sig *registry.Signature) {
	t.Helper()
	entry := fmt.Sprintf(`{"format":1,"type":"signature.add","time":"2026-02-01T00:00:00Z","actor":"mallory","version":%d,"digest":%q,"keyid":%q}`,
		version, sig.Digest, sig.KeyID)
	f.AppendRaw(t, model, []byte(entry))
	if err := r.Refresh(context.Background(), model); err != nil {
		t.Fatal(err)
	}
}

// A signature replayed onto another version, another model or read by
// another registry, all holding the same files, does not verify.
func TestSignatureReplay(t *testing.T) {
	ctx := context.Background()
	r, f := registrytest.NewFaulty(t, nil, &registry.Options{Name: "prod"})
	key := genKey(t)
	v1 := must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{Files: files("model.bin", "weights", "cfg.json", "{}")}))
	sig := must[*registry.Signature](t)(r.Sign(ctx, "fraud/1", key))
	byDigest := func() *registry.VersionSpec {
		var spec registry.VersionSpec
		for _, file := range v1.Files {
			spec.Files = append(spec.Files, registry.Upload{Path: file.Path, Digest: file.Digest})
		}
		return &spec
	}
	must[*registry.Version](t)(r.Register(ctx, "fraud", byDigest()))
	must[*registry.Version](t)(r.Register(ctx, "churn", byDigest()))
	appendSignature(t, r, f, "fraud", 2, sig)
	appendSignature(t, r, f, "churn", 1, sig)
	trusted := []crypto.PublicKey{key.Public()}
	if _, err := r.Verify(ctx, "fraud/1", trusted); err != nil {
		t.Fatalf("the version signed: %v", err)
	}
	staging, err := registry.Open(ctx, f.Store, &registry.Options{Name: "staging"})
	if err != nil {
		t.Fatal(err)
	}
	strict, err := registry.Open(ctx, f.Store, &registry.Options{Name: "prod", TrustedKeys: trusted})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		reg   *registry.Registry
		ref   string
		field string
	}{
		{"another version", r, "fraud/2", "version"},
		{"another model", r, "churn/1", "model"},
		{"another registry", staging, "fraud/1", "registry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.reg.Verify(ctx, tt.ref, trusted)
			var be *registry.BindingError
			if !errors.As(err, &be) || be.Field != tt.field || !errors.Is(err, registry.ErrSignature) {
				t.Fatalf("Verify(%s) = %v, want a *registry.BindingError on the %s", tt.ref, err, tt.field)
			}
		})
	}
	for _, ref := range []string{"fraud/2", "churn/1"} {
		if _, err := strict.Load(ctx, ref, t.TempDir()); !errors.Is(err, registry.ErrSignature) {
			t.Errorf("Load(%s) with a replayed signature = %v, want ErrSignature", ref, err)
		}
		if _, err := strict.OpenFile(ctx, ref, "model.bin"); !errors.Is(err, registry.ErrSignature) {
			t.Errorf("OpenFile(%s) with a replayed signature = %v, want ErrSignature", ref, err)
		}
	}
}

// With TrustedKeys, the metrics a gate reads are signed evidence: a
// rewrite after signing, of the candidate's metrics or the baseline's,
// through the registry or past it, stops the promotion until the version is
// signed again.
func TestPromoteChecksSignedMetrics(t *testing.T) {
	ctx := context.Background()
	r, f := registrytest.NewFaulty(t, nil, nil)
	key := genKey(t)
	strict, err := registry.Open(ctx, f.Store, &registry.Options{TrustedKeys: []crypto.PublicKey{key.Public()}, MaxStaleness: -1})
	if err != nil {
		t.Fatal(err)
	}
	gate := registry.Gate{"auc": {MinAbsoluteChange: registry.Float(0.01), GreaterIsBetter: true}}
	register := func(weights string, auc float64) string {
		t.Helper()
		v := must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{
			Files: files("model.bin", weights), Metrics: map[string]float64{"auc": auc}}))
		must[*registry.Signature](t)(r.Sign(ctx, v.Ref().String(), key))
		return v.Ref().String()
	}
	production := func() int {
		t.Helper()
		n, err := strict.Resolve(ctx, "fraud@production")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	must[*registry.Version](t)(strict.Promote(ctx, register("w1", 0.9), "production", gate))
	weak := register("w2", 0.8)
	if _, err := strict.Promote(ctx, weak, "production", gate); !errors.Is(err, registry.ErrGateFailed) {
		t.Fatalf("Promote of a weaker candidate = %v, want ErrGateFailed", err)
	}
	// The candidate's metrics are rewritten after signing.
	must[*registry.Version](t)(r.UpdateVersion(ctx, weak, &registry.VersionUpdate{Metrics: map[string]float64{"auc": 0.99}}))
	var be *registry.BindingError
	if _, err := strict.Promote(ctx, weak, "production", gate); !errors.As(err, &be) || be.Field != "metrics" {
		t.Fatalf("Promote after the candidate's metrics changed = %v, want a *registry.BindingError on the metrics", err)
	}
	if n := production(); n != 1 {
		t.Fatalf("production moved to %d", n)
	}
	if _, err := r.Verify(ctx, weak, []crypto.PublicKey{key.Public()}); !errors.As(err, &be) {
		t.Fatalf("Verify after the metrics changed = %v, want a *registry.BindingError", err)
	}
	// The baseline's metrics are lowered past the registry.
	next := register("w3", 0.85)
	f.AppendRaw(t, "fraud", []byte(`{"format":1,"type":"version.update","time":"2026-02-01T00:00:00Z","actor":"mallory","version":1,"metrics":{"auc":0.5}}`))
	if _, err := strict.Promote(ctx, next, "production", gate); !errors.As(err, &be) || be.Field != "metrics" {
		t.Fatalf("Promote against a rewritten baseline = %v, want a *registry.BindingError on the metrics", err)
	}
	if n := production(); n != 1 {
		t.Fatalf("production moved to %d", n)
	}
	// Signing the baseline again vouches for its new metrics.
	if err := r.Refresh(ctx, "fraud"); err != nil {
		t.Fatal(err)
	}
	must[*registry.Signature](t)(r.Sign(ctx, "fraud/1", key))
	if v, err := strict.Promote(ctx, next, "production", gate); err != nil || v.Number != 3 {
		t.Fatalf("Promote once the evidence is signed = %v, %v", v, err)
	}
}

const digestPolicy = `
apiVersion: sextant/v1
kind: Role
metadata: {name: churn-team}
rules:
  - {resources: [models, models/versions], verbs: [get, list, create, update], names: [churn]}
---
apiVersion: sextant/v1
kind: Role
metadata: {name: artifact-reader}
rules:
  - {resources: [models, models/versions], verbs: [get, list, create, update], names: [churn]}
  - {resources: [artifacts], verbs: [get]}
---
apiVersion: sextant/v1
kind: Role
metadata: {name: fraud-reader}
rules:
  - {resources: [models, models/versions], verbs: [get, list, create, update], names: [churn]}
  - {resources: [models/versions], verbs: [get], names: [fraud]}
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: bob}
role: churn-team
subjects: [{kind: User, name: bob}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: carol}
role: artifact-reader
subjects: [{kind: User, name: carol}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: dave}
role: fraud-reader
subjects: [{kind: User, name: dave}]
`

// Registering by digest reads content through the new version, so the
// subject must be able to read it already; whether it exists is not told to
// a subject who may not.
func TestRegisterByDigestIsAuthorized(t *testing.T) {
	ctx := context.Background()
	b := openBucket(t, "mem://")
	admin := newRegistry(t, b, nil)
	secret := must[*registry.Version](t)(admin.Register(ctx, "fraud", &registry.VersionSpec{Files: files("model.bin", "fraud weights")}))
	secretDigest := secret.Files[0].Digest
	absent := artifact.FromBytes([]byte("nobody stored this"))
	r := newRegistry(t, b, &registry.Options{Authorizer: rbactest.New(t, digestPolicy)})
	as := func(name string) context.Context { return rbac.WithSubject(ctx, rbac.Subject{Name: name}) }
	byDigest := func(d artifact.Digest) *registry.VersionSpec {
		return &registry.VersionSpec{Files: []registry.Upload{{Path: "model.bin", Digest: d}}}
	}
	bob := as("bob")
	own := must[*registry.Version](t)(r.Register(bob, "churn", &registry.VersionSpec{Files: files("model.bin", "churn weights")}))

	refused := func(t *testing.T, ctx context.Context, d artifact.Digest) string {
		t.Helper()
		_, err := r.Register(ctx, "churn", byDigest(d))
		if !errors.Is(err, registry.ErrUnknownDigest) || errors.Is(err, rbac.ErrDenied) || errors.Is(err, artifact.ErrNotFound) {
			t.Fatalf("Register by digest %s = %v, want ErrUnknownDigest alone", d, err)
		}
		return strings.ReplaceAll(err.Error(), string(d), "DIGEST")
	}
	t.Run("another team's weights", func(t *testing.T) {
		denied, missing := refused(t, bob, secretDigest), refused(t, bob, absent)
		if denied != missing {
			t.Fatalf("a refusal and an absent digest differ:\n%s\n%s", denied, missing)
		}
	})
	t.Run("own model's weights", func(t *testing.T) {
		v := must[*registry.Version](t)(r.Register(bob, "churn", byDigest(own.Files[0].Digest)))
		if v.Files[0].Size != own.Files[0].Size {
			t.Fatalf("size %d, want %d", v.Files[0].Size, own.Files[0].Size)
		}
	})
	t.Run("uploaded in the same call", func(t *testing.T) {
		spec := &registry.VersionSpec{Files: []registry.Upload{
			{Path: "a.bin", Body: strings.NewReader("fresh bytes")},
			{Path: "b.bin", Digest: artifact.FromBytes([]byte("fresh bytes"))},
		}}
		must[*registry.Version](t)(r.Register(bob, "churn", spec))
	})
	t.Run("may read every artifact", func(t *testing.T) {
		must[*registry.Version](t)(r.Register(as("carol"), "churn", byDigest(secretDigest)))
		refused(t, as("carol"), absent)
	})
	t.Run("may read the model holding it", func(t *testing.T) {
		must[*registry.Version](t)(r.Register(as("dave"), "churn", byDigest(secretDigest)))
		refused(t, as("dave"), absent)
	})
	// Refusals wrote nothing: churn holds the five versions registered above.
	if m := must[*registry.Model](t)(admin.GetModel(ctx, "churn")); m.LatestVersion != 5 {
		t.Fatalf("churn has %d versions, want 5", m.LatestVersion)
	}
}

// Without trusted keys, handing out a version's files is an explicit choice.
func TestUnsignedNeedsExplicitChoice(t *testing.T) {
	ctx := context.Background()
	b := openBucket(t, "mem://")
	must[*registry.Version](t)(newRegistry(t, b, nil).Register(ctx, "fraud", &registry.VersionSpec{Files: files("model.bin", "weights")}))
	tests := []struct {
		name string
		opts *registry.Options
		want error
	}{
		{"nil options", nil, registry.ErrNoTrustedKeys},
		{"no keys", &registry.Options{}, registry.ErrNoTrustedKeys},
		{"allow unsigned", &registry.Options{AllowUnsigned: true}, nil},
		{"trusted keys", &registry.Options{TrustedKeys: []crypto.PublicKey{genKey(t).Public()}}, registry.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRegistry(t, b, tt.opts)
			if _, err := r.Load(ctx, "fraud/1", t.TempDir()); !errors.Is(err, tt.want) {
				t.Errorf("Load = %v, want %v", err, tt.want)
			}
			rc, err := r.OpenFile(ctx, "fraud/1", "model.bin")
			if err == nil {
				rc.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("OpenFile = %v, want %v", err, tt.want)
			}
		})
	}
	store := newStore(t, b)
	if _, err := registry.Open(ctx, store, &registry.Options{AllowUnsigned: true, TrustedKeys: []crypto.PublicKey{genKey(t).Public()}}); !errors.Is(err, registry.ErrInvalidArgument) {
		t.Fatalf("Open with AllowUnsigned and TrustedKeys = %v, want ErrInvalidArgument", err)
	}
}
