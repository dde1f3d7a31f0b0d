package registry_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/sextant-ml/sextant/registry"
)

// TestNilArgumentsAreErrors: nil keys, signers, versions and options given
// to the public API give typed errors, never a panic.
func TestNilArgumentsAreErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := openBucket(t, "mem://")
	r := newRegistry(t, b, nil)
	v := must[*registry.Version](t)(r.Register(ctx, "fraud", &registry.VersionSpec{Files: files("m", "x")}))
	var nilKey *ecdsa.PublicKey
	checks := []struct {
		name string
		err  func() error
		want error
	}{
		{"KeyID(nil)", func() error { _, err := registry.KeyID(nil); return err }, registry.ErrInvalidArgument},
		{"SignManifest(nil signer)", func() error { _, err := registry.SignManifest(registry.Predicate{}, v.Files, nil); return err }, registry.ErrInvalidArgument},
		{"Sign(nil signer)", func() error { _, err := r.Sign(ctx, "fraud/1", nil); return err }, registry.ErrInvalidArgument},
		{"VerifyManifest(nil envelope)", func() error { _, err := registry.VerifyManifest(nil, registry.Predicate{}, v.Files, nil); return err }, registry.ErrSignature},
		{"Verify(nil key)", func() error { _, err := r.Verify(ctx, "fraud/1", []crypto.PublicKey{nil}); return err }, registry.ErrInvalidArgument},
		{"Verify(typed nil key)", func() error { _, err := r.Verify(ctx, "fraud/1", []crypto.PublicKey{nilKey}); return err }, registry.ErrInvalidArgument},
		{"Open(nil trusted key)", func() error {
			_, err := registry.Open(ctx, newStore(t, b), &registry.Options{TrustedKeys: []crypto.PublicKey{nilKey}})
			return err
		}, registry.ErrInvalidArgument},
		{"Open(nil store)", func() error { _, err := registry.Open(ctx, nil, nil); return err }, registry.ErrInvalidArgument},
		{"RenderCard(nil, nil)", func() error { _, err := registry.RenderCard(nil, nil, ""); return err }, registry.ErrInvalidArgument},
		{"RenderCard(model, nil)", func() error { _, err := registry.RenderCard(&registry.Model{Name: "fraud"}, nil, ""); return err }, registry.ErrInvalidArgument},
	}
	for _, c := range checks {
		if err := c.err(); !errors.Is(err, c.want) {
			t.Errorf("%s = %v, want %v", c.name, err, c.want)
		}
	}
	// A signed envelope checked with a nil key among good ones still verifies.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	env := must[*registry.Envelope](t)(registry.SignManifest(registry.Predicate{}, v.Files, key))
	if _, err := registry.VerifyManifest(env, registry.Predicate{}, v.Files, []*ecdsa.PublicKey{nil, {}, &key.PublicKey}); err != nil {
		t.Errorf("VerifyManifest with nil and empty keys before the signer's: %v", err)
	}
	if _, err := registry.VerifyManifest(env, registry.Predicate{}, v.Files, []*ecdsa.PublicKey{nil}); !errors.Is(err, registry.ErrSignature) {
		t.Errorf("VerifyManifest with only a nil key = %v, want ErrSignature", err)
	}
	c := registry.CompareVersions(nil, v)
	if len(c.Files) != 1 || c.Files[0].Kind != registry.Added {
		t.Errorf("CompareVersions(nil, v) files = %+v, want m added", c.Files)
	}
	if c := registry.CompareVersions(v, nil); len(c.Files) != 1 || c.Files[0].Kind != registry.Removed {
		t.Errorf("CompareVersions(v, nil) files = %+v, want m removed", c.Files)
	}
}
