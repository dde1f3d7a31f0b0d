package registry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/artifact"
)

// The example from the DSSE specification (protocol.md, "Test vectors").
func TestPAESpecVector(t *testing.T) {
	got := string(PAE("http://example.com/HelloWorld", []byte("hello world")))
	want := "DSSEv1 29 http://example.com/HelloWorld 11 hello world"
	if got != want {
		t.Fatalf("PAE = %q, want %q", got, want)
	}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignManifestLayout(t *testing.T) {
	key := newKey(t)
	files := []File{{Path: "model.bin", Digest: testDigest, Size: 3}, {Path: "sub/config.json", Digest: "sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9", Size: 3}}
	pred := Predicate{Registry: "prod", Model: "fraud", Version: 3}
	env, err := SignManifest(pred, files, key)
	if err != nil {
		t.Fatal(err)
	}
	if env.PayloadType != "application/vnd.in-toto+json" || len(env.Signatures) != 1 {
		t.Fatalf("envelope %+v", env)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	// The statement is checked field by field, as another tool would read it.
	var st struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		Predicate map[string]any `json:"predicate"`
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		t.Fatal(err)
	}
	if st.Type != "https://in-toto.io/Statement/v1" || st.PredicateType != "https://model_signing/Digests/v0.1" || len(st.Subject) != 2 {
		t.Fatalf("statement %+v", st)
	}
	if diff := cmp.Diff(map[string]any{"registry": "prod", "model": "fraud", "version": 3.0}, st.Predicate); diff != "" {
		t.Fatalf("predicate (-want +got):\n%s", diff)
	}
	if st.Subject[0].Name != "model.bin" || st.Subject[0].Digest["sha256"] != testDigest[7:] {
		t.Fatalf("subject 0 = %+v", st.Subject[0])
	}
	// The signature is ECDSA P-256 over SHA-256 of the PAE, ASN.1 encoded.
	sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	sum := sha256.Sum256(PAE(env.PayloadType, payload))
	if !ecdsa.VerifyASN1(&key.PublicKey, sum[:], sig) {
		t.Fatal("signature does not verify with crypto/ecdsa directly")
	}
	id, err := VerifyManifest(env, pred, files, []*ecdsa.PublicKey{&newKey(t).PublicKey, &key.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := KeyID(&key.PublicKey); id != want || env.Signatures[0].KeyID != want {
		t.Fatalf("key id %q, envelope %q, want %q", id, env.Signatures[0].KeyID, want)
	}
}

func TestVerifyManifestRejects(t *testing.T) {
	key := newKey(t)
	files := []File{{Path: "model.bin", Digest: testDigest, Size: 3}, {Path: "tok.json", Digest: testDigest, Size: 3}}
	pred := Predicate{Registry: "prod", Model: "fraud", Version: 3}
	env, err := SignManifest(pred, files, key)
	if err != nil {
		t.Fatal(err)
	}
	other := artifact.Digest("sha256:" + strings.Repeat("0", 62) + "ff")
	tampered := func(f func(e *Envelope)) *Envelope {
		c := *env
		c.Signatures = append([]EnvelopeSignature(nil), env.Signatures...)
		f(&c)
		return &c
	}
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	trusted := []*ecdsa.PublicKey{&key.PublicKey}
	tests := []struct {
		name  string
		env   *Envelope
		pred  Predicate
		files []File
		keys  []*ecdsa.PublicKey
	}{
		{"untrusted key", env, pred, files, []*ecdsa.PublicKey{&newKey(t).PublicKey}},
		{"no keys", env, pred, files, nil},
		{"file digest changed", env, pred, []File{{Path: "model.bin", Digest: testDigest}, {Path: "tok.json", Digest: other}}, []*ecdsa.PublicKey{&key.PublicKey}},
		{"file added", env, pred, append(append([]File(nil), files...), File{Path: "z.bin", Digest: testDigest}), []*ecdsa.PublicKey{&key.PublicKey}},
		{"file removed", env, pred, files[:1], []*ecdsa.PublicKey{&key.PublicKey}},
		{"payload altered", tampered(func(e *Envelope) {
			e.Payload = base64.StdEncoding.EncodeToString(append(payload[:len(payload)-1:len(payload)-1], ' ', '}'))
		}), pred, files, []*ecdsa.PublicKey{&key.PublicKey}},
		{"payload type altered", tampered(func(e *Envelope) { e.PayloadType = "application/json" }), pred, files, []*ecdsa.PublicKey{&key.PublicKey}},
		{"signature garbage", tampered(func(e *Envelope) { e.Signatures[0].Sig = "!!" }), pred, files, []*ecdsa.PublicKey{&key.PublicKey}},
		{"nil envelope", nil, pred, files, []*ecdsa.PublicKey{&key.PublicKey}},
		{"another version", env, Predicate{Registry: "prod", Model: "fraud", Version: 4}, files, trusted},
		{"another model", env, Predicate{Registry: "prod", Model: "churn", Version: 3}, files, trusted},
		{"another registry", env, Predicate{Registry: "staging", Model: "fraud", Version: 3}, files, trusted},
		{"unnamed registry", env, Predicate{Model: "fraud", Version: 3}, files, trusted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := VerifyManifest(tt.env, tt.pred, tt.files, tt.keys); !errors.Is(err, ErrSignature) {
				t.Fatalf("VerifyManifest = %v, want ErrSignature", err)
			}
		})
	}
}

func TestSignManifestRejectsOtherCurves(t *testing.T) {
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SignManifest(Predicate{}, nil, k); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("SignManifest with P-384 = %v, want ErrInvalidArgument", err)
	}
}

// testdata/dsse holds an envelope made without this package (gen.py, with
// Python's cryptography): VerifyManifest must accept it, and reject it for
// files that differ.
func TestVerifyForeignEnvelope(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "dsse", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var env Envelope
	if err := json.Unmarshal(read("envelope.json"), &env); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(read("key.pub.pem"))
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key := pub.(*ecdsa.PublicKey)
	var contents map[string]string
	if err := json.Unmarshal(read("files.json"), &contents); err != nil {
		t.Fatal(err)
	}
	var files []File
	for _, p := range slices.Sorted(maps.Keys(contents)) {
		files = append(files, File{Path: p, Digest: artifact.FromBytes([]byte(contents[p])), Size: int64(len(contents[p]))})
	}
	pred := Predicate{Registry: "prod", Model: "fraud", Version: 3}
	id, err := VerifyManifest(&env, pred, files, []*ecdsa.PublicKey{key})
	if err != nil {
		t.Fatalf("foreign envelope rejected: %v", err)
	}
	if id != env.Signatures[0].KeyID {
		t.Fatalf("key id %s, envelope says %s", id, env.Signatures[0].KeyID)
	}
	var be *BindingError
	if _, err := VerifyManifest(&env, Predicate{Registry: "prod", Model: "fraud", Version: 2}, files, []*ecdsa.PublicKey{key}); !errors.As(err, &be) || be.Field != "version" {
		t.Fatalf("foreign envelope for version 3 checked as version 2 = %v, want a *BindingError on the version", err)
	}
	// The older layout, with an empty predicate, binds nothing and is refused.
	var unbound Envelope
	if err := json.Unmarshal(read("envelope-unbound.json"), &unbound); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyManifest(&unbound, pred, files, []*ecdsa.PublicKey{key}); !errors.As(err, &be) {
		t.Fatalf("an envelope with an empty predicate = %v, want a *BindingError", err)
	}
	files[1].Digest = artifact.FromBytes([]byte("other weights"))
	if _, err := VerifyManifest(&env, pred, files, []*ecdsa.PublicKey{key}); !errors.Is(err, ErrSignature) {
		t.Fatalf("foreign envelope accepted for other files: %v", err)
	}
}
