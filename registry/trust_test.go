package registry_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/sextant-ml/sextant/registry"
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
