package registry

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/rbac"
)

// Signature records a DSSE envelope stored in the artifact store for a version.
type Signature struct {
	KeyID   string          `json:"keyid"`
	Digest  artifact.Digest `json:"digest"` // artifact digest of the envelope JSON
	Actor   string          `json:"actor,omitempty"`
	Created time.Time       `json:"created"`
}

// The signature layout of the OpenSSF model-signing format: an in-toto v1
// Statement with one subject per file (its path and SHA-256), wrapped in a
// DSSE envelope signed with ECDSA P-256 over SHA-256 (ASN.1 DER signatures).
const (
	// PayloadType is the DSSE payload type of an in-toto statement.
	PayloadType = "application/vnd.in-toto+json"
	// StatementType is the in-toto Statement v1 type.
	StatementType = "https://in-toto.io/Statement/v1"
	// PredicateType is the model-signing predicate whose subjects are the files.
	PredicateType = "https://model_signing/Digests/v0.1"
)

// Envelope is a DSSE envelope.
type Envelope struct {
	PayloadType string              `json:"payloadType"`
	Payload     string              `json:"payload"` // base64 (standard encoding)
	Signatures  []EnvelopeSignature `json:"signatures"`
}

// EnvelopeSignature is one signature of a DSSE envelope.
type EnvelopeSignature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"` // base64 of the ASN.1 DER ECDSA signature
}

// Statement is an in-toto v1 statement.
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

// Subject is one signed file: its path and digests by algorithm.
type Subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// PAE is DSSE's pre-authentication encoding of a payload:
// "DSSEv1" SP len(type) SP type SP len(body) SP body, lengths in ASCII decimal.
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// KeyID names a public key: the hex SHA-256 of its PKIX DER encoding.
func KeyID(pub *ecdsa.PublicKey) (string, error) {
	if pub == nil {
		return "", fmt.Errorf("%w: nil public key", ErrInvalidArgument)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

func ecdsaKey(k crypto.PublicKey) (*ecdsa.PublicKey, error) {
	pk, ok := k.(*ecdsa.PublicKey)
	if !ok || pk == nil || pk.Curve != elliptic.P256() {
		return nil, fmt.Errorf("registry: want an ECDSA P-256 public key, got %T", k)
	}
	return pk, nil
}

// Predicate is what a signature says about the files it covers: that they
// are version Version of model Model in the registry named Registry
// (Options.Name), evaluated with Metrics. It is the statement's predicate,
// so a signature made for one version does not verify for another version,
// another model or another registry that holds the same files, nor once the
// version's metrics (the evidence a promotion gate reads) differ from those
// signed.
type Predicate struct {
	Registry string             `json:"registry"`
	Model    string             `json:"model"`
	Version  int                `json:"version"`
	Metrics  map[string]float64 `json:"metrics,omitempty"`
}

// statement builds the in-toto statement of a manifest bound to p.
func statement(p Predicate, files []File) ([]byte, error) {
	pred, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	st := Statement{Type: StatementType, PredicateType: PredicateType, Predicate: pred,
		Subject: make([]Subject, 0, len(files))}
	for _, f := range files {
		st.Subject = append(st.Subject, Subject{Name: f.Path, Digest: map[string]string{"sha256": f.Digest.Hex()}})
	}
	return json.Marshal(st)
}

// BindingError reports a signature by a trusted key over the right files
// that was made for another version, model or registry (an envelope
// replayed onto a version it was not made for), or for other metrics than
// the version has now. errors.Is(err, ErrSignature)
// holds.
type BindingError struct {
	Field  string // "registry", "model", "version" or "metrics"
	Signed string // what the statement says
	Want   string // what the version being verified is
}

func (e *BindingError) Error() string {
	return fmt.Sprintf("registry: signature verification failed: the statement was signed for %s %s, not %s", e.Field, e.Signed, e.Want)
}

// Is reports ErrSignature.
func (e *BindingError) Is(target error) bool { return target == ErrSignature }

// check compares a signed predicate with the one wanted.
func (p Predicate) check(want Predicate) error {
	switch {
	case p.Registry != want.Registry:
		return &BindingError{Field: "registry", Signed: strconv.Quote(p.Registry), Want: strconv.Quote(want.Registry)}
	case p.Model != want.Model:
		return &BindingError{Field: "model", Signed: strconv.Quote(p.Model), Want: strconv.Quote(want.Model)}
	case p.Version != want.Version:
		return &BindingError{Field: "version", Signed: strconv.Itoa(p.Version), Want: strconv.Itoa(want.Version)}
	}
	names := slices.Sorted(maps.Keys(p.Metrics))
	for name := range want.Metrics {
		if _, ok := p.Metrics[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		s, sok := p.Metrics[name]
		w, wok := want.Metrics[name]
		if sok != wok || s != w {
			return &BindingError{Field: "metrics", Signed: metricText(name, s, sok), Want: metricText(name, w, wok)}
		}
	}
	return nil
}

func metricText(name string, v float64, ok bool) string {
	if !ok {
		return "without " + strconv.Quote(name)
	}
	return strconv.Quote(name) + " = " + strconv.FormatFloat(v, 'g', -1, 64)
}

// SignManifest returns a DSSE envelope over the in-toto statement of files
// bound to p, signed by signer, whose public key must be ECDSA P-256.
func SignManifest(p Predicate, files []File, signer crypto.Signer) (*Envelope, error) {
	if signer == nil {
		return nil, fmt.Errorf("%w: nil signer", ErrInvalidArgument)
	}
	pub, err := ecdsaKey(signer.Public())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	keyID, err := KeyID(pub)
	if err != nil {
		return nil, err
	}
	payload, err := statement(p, files)
	if err != nil {
		return nil, fmt.Errorf("registry: statement: %w", err)
	}
	sum := sha256.Sum256(PAE(PayloadType, payload))
	sig, err := signer.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("registry: sign: %w", err)
	}
	return &Envelope{PayloadType: PayloadType, Payload: base64.StdEncoding.EncodeToString(payload),
		Signatures: []EnvelopeSignature{{KeyID: keyID, Sig: base64.StdEncoding.EncodeToString(sig)}}}, nil
}

// VerifyManifest checks that env carries a valid signature by one of keys,
// that its statement lists exactly files (same paths, same SHA-256) and that
// its predicate is p: the same registry, model and version (a *BindingError
// otherwise). It returns the key id that verified; nil keys are skipped.
// Errors match ErrSignature.
func VerifyManifest(env *Envelope, p Predicate, files []File, keys []*ecdsa.PublicKey) (string, error) {
	if env == nil || env.PayloadType != PayloadType {
		return "", fmt.Errorf("%w: not an in-toto DSSE envelope", ErrSignature)
	}
	payload, err := decodeB64(env.Payload)
	if err != nil {
		return "", fmt.Errorf("%w: payload: %v", ErrSignature, err)
	}
	sum := sha256.Sum256(PAE(env.PayloadType, payload))
	keyID := ""
	for _, s := range env.Signatures {
		sig, err := decodeB64(s.Sig)
		if err != nil {
			continue
		}
		for _, k := range keys {
			if k != nil && k.Curve != nil && ecdsa.VerifyASN1(k, sum[:], sig) {
				keyID, _ = KeyID(k)
				break
			}
		}
		if keyID != "" {
			break
		}
	}
	if keyID == "" {
		return "", fmt.Errorf("%w: no signature by a trusted key", ErrSignature)
	}
	var st Statement
	if err := json.Unmarshal(payload, &st); err != nil {
		return "", fmt.Errorf("%w: statement: %v", ErrSignature, err)
	}
	if st.Type != StatementType || st.PredicateType != PredicateType {
		return "", fmt.Errorf("%w: statement type %q, predicate %q", ErrSignature, st.Type, st.PredicateType)
	}
	var signed Predicate
	if err := json.Unmarshal(st.Predicate, &signed); err != nil {
		return "", fmt.Errorf("%w: predicate: %v", ErrSignature, err)
	}
	if err := signed.check(p); err != nil {
		return "", err
	}
	want := make(map[string]string, len(files))
	for _, f := range files {
		want[f.Path] = f.Digest.Hex()
	}
	seen := make(map[string]bool, len(st.Subject))
	for _, s := range st.Subject {
		d, ok := want[s.Name]
		if !ok || seen[s.Name] {
			return "", fmt.Errorf("%w: signed file %q is not in the version (or listed twice)", ErrSignature, s.Name)
		}
		if s.Digest["sha256"] != d {
			return "", fmt.Errorf("%w: file %q: signed digest sha256:%s, version has sha256:%s", ErrSignature, s.Name, s.Digest["sha256"], d)
		}
		seen[s.Name] = true
	}
	if len(seen) != len(want) {
		for _, f := range files {
			if !seen[f.Path] {
				return "", fmt.Errorf("%w: file %q is not covered by the signature", ErrSignature, f.Path)
			}
		}
	}
	return keyID, nil
}

// decodeB64 accepts standard and URL-safe base64, padded or not, as DSSE allows.
func decodeB64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("invalid base64")
}

// Sign signs the manifest of the version ref names with signer (ECDSA P-256),
// checks the envelope against the signer's public key, then stores it in the
// artifact store and records it in the log with the key id that verified it;
// a signature that does not verify is never recorded (ErrSignature). A
// version can carry several signatures.
func (r *Registry) Sign(ctx context.Context, ref string, signer crypto.Signer) (*Signature, error) {
	st, n, err := r.lookup(ctx, ref, rbac.VerbSign, true)
	if err != nil {
		return nil, err
	}
	pred := r.predicate(st.versions[n-1])
	env, err := SignManifest(pred, st.versions[n-1].Files, signer)
	if err != nil {
		return nil, err
	}
	// Record only what verifies: a signer whose Public key does not match
	// the key it signs with (a misconfigured KMS key, a wrong key file)
	// would otherwise leave a key id on the version that nothing proves.
	pub, err := ecdsaKey(signer.Public())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
	}
	keyID, err := VerifyManifest(env, pred, st.versions[n-1].Files, []*ecdsa.PublicKey{pub})
	if err != nil {
		return nil, fmt.Errorf("registry: sign %s/%d: the signature does not verify with the signer's public key: %w", st.name, n, err)
	}
	data, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("registry: envelope: %w", err)
	}
	desc, err := r.put(ctx, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	files, metrics := st.versions[n-1].Files, st.versions[n-1].Metrics
	v, err := r.changeVersionFrom(ctx, st.name, n, func(s *state) (*record, error) {
		if !slices.Equal(s.versions[n-1].Files, files) {
			return nil, fmt.Errorf("%w: manifest of %s/%d changed while signing", ErrSignature, s.name, n)
		}
		if !maps.Equal(s.versions[n-1].Metrics, metrics) {
			return nil, fmt.Errorf("%w: metrics of %s/%d changed while signing", ErrSignature, s.name, n)
		}
		return &record{Type: EventSignatureAdd, Version: n, Digest: desc.Digest, KeyID: keyID}, nil
	})
	if err != nil {
		return nil, err
	}
	sig := v.Signatures[len(v.Signatures)-1]
	return &sig, nil
}

// predicate is what a signature of v in this registry must say.
func (r *Registry) predicate(v *Version) Predicate {
	return Predicate{Registry: r.name, Model: v.Model, Version: v.Number, Metrics: maps.Clone(v.Metrics)}
}

// changeVersionFrom appends the record mk builds for version n of model,
// after checking the version still exists.
func (r *Registry) changeVersionFrom(ctx context.Context, model string, n int, mk func(s *state) (*record, error)) (*Version, error) {
	st, err := r.write(ctx, model, func(s *state) (*record, error) {
		if _, err := s.resolve(Ref{Model: model, Version: n}); err != nil {
			return nil, err
		}
		return mk(s)
	})
	if err != nil {
		return nil, err
	}
	return st.view(n), nil
}

// Verify checks the version ref names: at least one of its signatures must
// be by one of keys and cover exactly its manifest, and every file's bytes in
// the store must hash to its digest. It returns the key id that verified.
// Errors match ErrSignature, or artifact.ErrDigestMismatch for a tampered file.
func (r *Registry) Verify(ctx context.Context, ref string, keys []crypto.PublicKey) (string, error) {
	pks := make([]*ecdsa.PublicKey, 0, len(keys))
	for i, k := range keys {
		pk, err := ecdsaKey(k)
		if err != nil {
			return "", fmt.Errorf("%w: key %d: %w", ErrInvalidArgument, i, err)
		}
		pks = append(pks, pk)
	}
	st, n, err := r.lookup(ctx, ref, rbac.VerbGet, false)
	if err != nil {
		return "", err
	}
	v := st.versions[n-1]
	keyID, err := r.verifySignatures(ctx, v, pks)
	if err != nil {
		return "", err
	}
	for _, f := range v.Files {
		if err := r.checkFile(ctx, f); err != nil {
			return "", err
		}
	}
	return keyID, nil
}

// verifySignatures checks the stored envelopes of v against keys.
func (r *Registry) verifySignatures(ctx context.Context, v *Version, keys []*ecdsa.PublicKey) (string, error) {
	if len(v.Signatures) == 0 {
		return "", fmt.Errorf("%w: %s/%d is not signed", ErrSignature, v.Model, v.Number)
	}
	var last error
	for _, s := range v.Signatures {
		data, err := r.getBlob(ctx, s.Digest)
		if err != nil {
			last = err
			continue
		}
		var env Envelope
		if err := json.Unmarshal(data, &env); err != nil {
			last = fmt.Errorf("%w: envelope %s: %v", ErrSignature, s.Digest, err)
			continue
		}
		keyID, err := VerifyManifest(&env, r.predicate(v), v.Files, keys)
		if err == nil {
			return keyID, nil
		}
		last = err
	}
	return "", fmt.Errorf("registry: %s/%d: %w", v.Model, v.Number, last)
}

// checkFile reads a file through the store, which verifies its digest.
func (r *Registry) checkFile(ctx context.Context, f File) error {
	if err := r.store.Verify(ctx, f.Digest); err != nil {
		return fmt.Errorf("registry: file %q: %w", f.Path, err)
	}
	return nil
}
