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
	"testing"

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
func appendSignature(t *testing.T, f *registrytest.Fixture, model string, version int, sig *registry.Signature) {
	t.Helper()
	entry := fmt.Sprintf(`{"format":1,"type":"signature.add","time":"2026-02-01T00:00:00Z","actor":"mallory","version":%d,"digest":%q,"keyid":%q}`,
		version, sig.Digest, sig.KeyID)
	f.AppendRaw(t, model, []byte(entry))
	if err := f.Registry.Refresh(context.Background(), model); err != nil {
		t.Fatal(err)
	}
}

// A signature replayed onto another version, another model or read by
// another registry, all holding the same files, does not verify.
func TestSignatureReplay(t *testing.T) {
	ctx := context.Background()
	f := registrytest.NewFixture(t, nil, &registry.Options{Name: "prod"})
	r := f.Registry
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
	appendSignature(t, f, "fraud", 2, sig)
	appendSignature(t, f, "churn", 1, sig)
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
