package registry_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/rbac/rbactest"
	"github.com/sextant-ml/sextant/registry"
	"gocloud.dev/blob"
)

// rbacPolicy grants an administrator everything, lets the trainer service
// account read, register, sign and describe models but not move or delete
// aliases nor delete anything, lets the release group read and promote the
// fraud model only, and lets the ci service account add versions only.
const rbacPolicy = `
apiVersion: sextant/v1
kind: Role
metadata: {name: admin}
rules: [{resources: ["*"], verbs: ["*"]}]
---
apiVersion: sextant/v1
kind: Role
metadata: {name: trainer}
rules:
  - {resources: [models, models/versions], verbs: [get, list, create, update, sign]}
  - {resources: [models/aliases], verbs: [get, list]}
---
apiVersion: sextant/v1
kind: Role
metadata: {name: release}
rules:
  - {resources: [models, models/versions, models/aliases], verbs: [get, list]}
  - {resources: [models/aliases], verbs: [promote], names: [fraud]}
---
apiVersion: sextant/v1
kind: Role
metadata: {name: versioner}
rules: [{resources: [models/versions], verbs: [get, create]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: ci}
role: versioner
subjects: [{kind: ServiceAccount, name: ci}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: admins}
role: admin
subjects: [{kind: User, name: ada}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: trainers}
role: trainer
subjects: [{kind: ServiceAccount, name: trainer}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: releasers}
role: release
subjects: [{kind: Group, name: release}]
`

var (
	adminCtx   = rbac.WithSubject(context.Background(), rbac.Subject{Name: "ada"})
	trainerCtx = rbac.WithSubject(context.Background(), rbac.Subject{Kind: rbac.ServiceAccount, Name: "trainer"})
	releaseCtx = rbac.WithSubject(context.Background(), rbac.Subject{Name: "rita", Groups: []string{"release"}})
)

// rbacFixture is a bucket holding fraud/1 (signed, with a saved card and the
// production alias), fraud/2 (better metrics, staging) and churn/1, seeded
// without an authorizer, and a registry on it guarded by the real rbac
// authorizer behind a recorder.
type rbacFixture struct {
	b   *artifact.Bucket
	reg *registry.Registry
	rec *rbactest.Recorder
	key *ecdsa.PrivateKey
	dir string // a directory of model files for RegisterDir
	out string // where Load writes
}

func newRBACFixture(t *testing.T) *rbacFixture {
	t.Helper()
	ctx := context.Background()
	f := &rbacFixture{b: openBucket(t, "mem://"), dir: t.TempDir(), out: t.TempDir()}
	var err error
	if f.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	seed := newRegistry(t, f.b, nil)
	must[*registry.Version](t)(seed.Register(ctx, "fraud", &registry.VersionSpec{
		Files: files("model.bin", "weights-1"), Metrics: map[string]float64{"auc": 0.90}}))
	must[*registry.Version](t)(seed.Register(ctx, "fraud", &registry.VersionSpec{
		Files: files("model.bin", "weights-2"), Metrics: map[string]float64{"auc": 0.95}}))
	must[*registry.Version](t)(seed.Register(ctx, "churn", &registry.VersionSpec{Metrics: map[string]float64{"auc": 0.7}}))
	must[*registry.Signature](t)(seed.Sign(ctx, "fraud/1", f.key))
	must[artifact.Digest](t)(seed.SaveCard(ctx, "fraud/1", nil))
	if err := seed.SetAlias(ctx, "fraud", "production", 1); err != nil {
		t.Fatal(err)
	}
	if err := seed.SetAlias(ctx, "fraud", "staging", 2); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "model.bin"), []byte("weights-dir"), 0o644); err != nil {
		t.Fatal(err)
	}
	f.rec = &rbactest.Recorder{Next: rbactest.New(t, rbacPolicy)}
	f.reg = newRegistry(t, f.b, &registry.Options{Authorizer: f.rec, MaxStaleness: -1, AllowUnsigned: true})
	return f
}

// objects lists every key in the bucket with its size: logs, checkpoints,
// catalog markers and stored files alike.
func (f *rbacFixture) objects(t *testing.T) map[string]int64 {
	t.Helper()
	out := make(map[string]int64)
	err := f.b.List(context.Background(), "", func(rel string, obj *blob.ListObject) error {
		out[rel] = obj.Size
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// rbacOp is one public operation, the questions it must ask (verb, resource,
// name), whether it writes, and which of the trainer and the release group
// may do it.
type rbacOp struct {
	name      string
	run       func(ctx context.Context, f *rbacFixture) error
	asks      []string
	write     bool
	trainer   bool
	releaseOK bool
}

func rbacOps() []rbacOp {
	discard := func(_ any, err error) error { return err }
	return []rbacOp{
		{name: "GetModel", asks: []string{"get models fraud"}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error { return discard(f.reg.GetModel(ctx, "fraud")) }},
		{name: "ListModels", asks: []string{`list models ""`}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error { return discard(f.reg.ListModels(ctx, nil)) }},
		{name: "SearchVersions/all", asks: []string{`list models/versions ""`}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error { return discard(f.reg.SearchVersions(ctx, nil)) }},
		{name: "SearchVersions/model", asks: []string{"list models/versions fraud"}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.SearchVersions(ctx, &registry.SearchOptions{Model: "fraud"}))
			}},
		{name: "History", asks: []string{"get models fraud"}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error { return discard(f.reg.History(ctx, "fraud")) }},
		{name: "Seq", asks: []string{"get models/aliases fraud"}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error { return discard(f.reg.Seq(ctx, "fraud")) }},
		{name: "Refresh", asks: []string{"get models fraud"}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error { return f.reg.Refresh(ctx, "fraud") }},
		{name: "Get", asks: []string{"get models/versions fraud"}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error { return discard(f.reg.Get(ctx, "fraud/1")) }},
		{name: "Resolve", asks: []string{"get models/versions fraud"}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.Resolve(ctx, "fraud@production"))
			}},
		{name: "Load", asks: []string{"get models/versions fraud"}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.Load(ctx, "fraud@production", f.out))
			}},
		{name: "OpenFile", asks: []string{"get models/versions fraud"}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				rc, err := f.reg.OpenFile(ctx, "fraud/1", "model.bin")
				if err == nil {
					rc.Close()
				}
				return err
			}},
		{name: "Verify", asks: []string{"get models/versions fraud"}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.Verify(ctx, "fraud/1", []crypto.PublicKey{f.key.Public()}))
			}},
		{name: "RenderCard", asks: []string{"get models/versions fraud"}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error { return discard(f.reg.RenderCard(ctx, "fraud/1", nil)) }},
		{name: "Card", asks: []string{"get models/versions fraud"}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error { return discard(f.reg.Card(ctx, "fraud/1")) }},
		{name: "Compare", asks: []string{"get models/versions fraud", "get models/versions churn"}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.Compare(ctx, "fraud/1", "churn/1"))
			}},
		{name: "Watch", asks: []string{"get models/aliases fraud"}, trainer: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				ctx, cancel := context.WithCancel(ctx)
				defer cancel()
				ch, err := f.reg.Watch(ctx, "fraud", nil)
				if err != nil {
					return err
				}
				cancel()
				for range ch { // closes once the polling goroutine stops
				}
				return nil
			}},
		{name: "Register", asks: []string{"create models/versions fraud"}, write: true, trainer: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.Register(ctx, "fraud", &registry.VersionSpec{Files: files("model.bin", "weights-3")}))
			}},
		{name: "Register/new-model", asks: []string{"create models/versions fresh", "create models fresh"}, write: true, trainer: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.Register(ctx, "fresh", &registry.VersionSpec{Files: files("model.bin", "weights-4")}))
			}},
		{name: "RegisterDir", asks: []string{"create models/versions fraud"}, write: true, trainer: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.RegisterDir(ctx, "fraud", f.dir, nil))
			}},
		{name: "CreateModel", asks: []string{"create models another"}, write: true, trainer: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.CreateModel(ctx, "another", &registry.ModelSpec{Description: "d"}))
			}},
		{name: "UpdateModel", asks: []string{"update models fraud"}, write: true, trainer: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.UpdateModel(ctx, "fraud", &registry.ModelUpdate{SetTags: map[string]string{"team": "risk"}}))
			}},
		{name: "UpdateVersion", asks: []string{"update models/versions fraud"}, write: true, trainer: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.UpdateVersion(ctx, "fraud/2", &registry.VersionUpdate{SetTags: map[string]string{"team": "risk"}}))
			}},
		// Metrics are the gate's evidence: updating a version is not enough.
		{name: "UpdateVersion/metrics", asks: []string{"evaluate models/versions fraud"}, write: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.UpdateVersion(ctx, "fraud/2", &registry.VersionUpdate{Metrics: map[string]float64{"f1": 0.8}}))
			}},
		{name: "UpdateVersion/both", asks: []string{"update models/versions fraud", "evaluate models/versions fraud"}, write: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.UpdateVersion(ctx, "fraud/2", &registry.VersionUpdate{
					Status: registry.StatusReady, Metrics: map[string]float64{"f1": 0.8}}))
			}},
		{name: "SaveCard", asks: []string{"update models/versions fraud"}, write: true, trainer: true,
			run: func(ctx context.Context, f *rbacFixture) error { return discard(f.reg.SaveCard(ctx, "fraud/2", nil)) }},
		{name: "Sign", asks: []string{"sign models/versions fraud"}, write: true, trainer: true,
			run: func(ctx context.Context, f *rbacFixture) error { return discard(f.reg.Sign(ctx, "fraud/2", f.key)) }},
		{name: "SetAlias", asks: []string{"update models/aliases fraud"}, write: true,
			run: func(ctx context.Context, f *rbacFixture) error { return f.reg.SetAlias(ctx, "fraud", "canary", 2) }},
		{name: "Promote", asks: []string{"promote models/aliases fraud"}, write: true, releaseOK: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.Promote(ctx, "fraud/2", "production", registry.Gate{
					"auc": {MinAbsoluteChange: registry.Float(0.01), GreaterIsBetter: true}}))
			}},
		{name: "Promote/other-model", asks: []string{"promote models/aliases churn"}, write: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.Promote(ctx, "churn/1", "production", nil))
			}},
		{name: "DeleteAlias", asks: []string{"delete models/aliases fraud"}, write: true,
			run: func(ctx context.Context, f *rbacFixture) error { return f.reg.DeleteAlias(ctx, "fraud", "staging") }},
		{name: "ArchiveVersion", asks: []string{"update models/versions fraud"}, write: true, trainer: true,
			run: func(ctx context.Context, f *rbacFixture) error {
				return discard(f.reg.ArchiveVersion(ctx, "fraud/1", true))
			}},
		{name: "DeleteVersion", asks: []string{"delete models/versions fraud"}, write: true,
			run: func(ctx context.Context, f *rbacFixture) error { return f.reg.DeleteVersion(ctx, "fraud/1") }},
		{name: "ArchiveModel", asks: []string{"update models churn"}, write: true, trainer: true,
			run: func(ctx context.Context, f *rbacFixture) error { return f.reg.ArchiveModel(ctx, "churn", true) }},
		{name: "DeleteModel", asks: []string{"delete models churn"}, write: true,
			run: func(ctx context.Context, f *rbacFixture) error { return f.reg.DeleteModel(ctx, "churn") }},
	}
}

func callStrings(calls []rbactest.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		name := c.Name
		if name == "" {
			name = `""`
		}
		out[i] = c.Verb + " " + c.Resource + " " + name
	}
	return out
}

// TestRBACQuestions runs every operation as an administrator through the
// real rbac authorizer and checks the exact questions each one asks.
func TestRBACQuestions(t *testing.T) {
	t.Parallel()
	f := newRBACFixture(t)
	for _, op := range rbacOps() {
		before := len(f.rec.Calls())
		objects := f.objects(t)
		if err := op.run(adminCtx, f); err != nil {
			t.Fatalf("%s as admin: %v", op.name, err)
		}
		calls := f.rec.Calls()[before:]
		if diff := cmp.Diff(op.asks, callStrings(calls)); diff != "" {
			t.Errorf("%s asked (-want +got):\n%s", op.name, diff)
		}
		for _, c := range calls {
			if c.Err != nil || c.Subject.Name != "ada" {
				t.Errorf("%s: %v answered %v for subject %q", op.name, c, c.Err, c.Subject.Name)
			}
		}
		if changed := !cmp.Equal(objects, f.objects(t)); changed != op.write {
			t.Errorf("%s changed the bucket: %v, want %v", op.name, changed, op.write)
		}
	}
	// Names that cannot be a model's are refused before anyone is asked.
	before := len(f.rec.Calls())
	for name, err := range map[string]error{
		"GetModel":    func() error { _, err := f.reg.GetModel(adminCtx, "../x"); return err }(),
		"History":     func() error { _, err := f.reg.History(adminCtx, "a/b"); return err }(),
		"Watch":       func() error { _, err := f.reg.Watch(adminCtx, "a b", nil); return err }(),
		"Seq":         func() error { _, err := f.reg.Seq(adminCtx, "a:b"); return err }(),
		"DeleteModel": f.reg.DeleteModel(adminCtx, ".x"),
		"SearchVersions": func() error {
			_, err := f.reg.SearchVersions(adminCtx, &registry.SearchOptions{Model: "a@b"})
			return err
		}(),
	} {
		if !errors.Is(err, registry.ErrInvalidName) {
			t.Errorf("%s with an invalid name = %v, want ErrInvalidName", name, err)
		}
	}
	if calls := f.rec.Calls()[before:]; len(calls) != 0 {
		t.Errorf("invalid names reached the authorizer: %v", calls)
	}
	// The last operations took effect: the admin's writes went through.
	if _, err := f.reg.GetModel(adminCtx, "churn"); !errors.Is(err, registry.ErrDeleted) {
		t.Fatalf("churn after DeleteModel: %v", err)
	}
	if n := must[int](t)(f.reg.Resolve(adminCtx, "fraud@production")); n != 2 {
		t.Fatalf("production after Promote = %d, want 2", n)
	}
}

// TestRBACRefusals runs every operation as a subject without permission and
// checks the refusal: the rbac error wrapped (ErrNoSubject without a subject,
// a *rbac.DeniedError naming the request otherwise) and the bucket untouched.
func TestRBACRefusals(t *testing.T) {
	t.Parallel()
	subjects := []struct {
		name    string
		ctx     context.Context // carries no subject for "no-subject"
		allowed func(op rbacOp) bool
	}{
		{"no-subject", context.Background(), func(rbacOp) bool { return false }},
		{"trainer", trainerCtx, func(op rbacOp) bool { return op.trainer }},
		{"release", releaseCtx, func(op rbacOp) bool { return op.releaseOK }},
	}
	for _, s := range subjects {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			f := newRBACFixture(t)
			for _, op := range rbacOps() {
				before := len(f.rec.Calls())
				objects := f.objects(t)
				err := op.run(s.ctx, f)
				if s.allowed(op) {
					if err != nil {
						t.Errorf("%s as %s: %v", op.name, s.name, err)
					}
					continue
				}
				// The refusal is the answer to the last question asked, and
				// the questions up to it are the operation's own.
				calls := callStrings(f.rec.Calls()[before:])
				if len(calls) == 0 || len(calls) > len(op.asks) || !cmp.Equal(calls, op.asks[:len(calls)]) {
					t.Errorf("%s as %s asked %q, want a prefix of %q", op.name, s.name, calls, op.asks)
					continue
				}
				if _, ok := rbac.SubjectFrom(s.ctx); !ok {
					if !errors.Is(err, rbac.ErrNoSubject) || errors.Is(err, rbac.ErrDenied) {
						t.Errorf("%s without a subject = %v, want rbac.ErrNoSubject", op.name, err)
					}
				} else {
					var denied *rbac.DeniedError
					if !errors.Is(err, rbac.ErrDenied) || !errors.As(err, &denied) {
						t.Errorf("%s as %s = %v, want a denial", op.name, s.name, err)
						continue
					}
					got := callStrings([]rbactest.Call{{Verb: denied.Verb, Resource: denied.Resource, Name: denied.Name}})[0]
					if last := calls[len(calls)-1]; got != last {
						t.Errorf("%s as %s was denied %q, want %q", op.name, s.name, got, last)
					}
				}
				if diff := cmp.Diff(objects, f.objects(t)); diff != "" {
					t.Errorf("refused %s as %s changed the bucket (-before +after):\n%s", op.name, s.name, diff)
				}
			}
		})
	}
}

// TestRBACTrainerRegistersReleasePromotes is the workflow the roles exist for:
// the trainer registers a better version but cannot promote it; the release
// group promotes it through the gate; the trainer still reads production.
func TestRBACTrainerRegistersReleasePromotes(t *testing.T) {
	t.Parallel()
	f := newRBACFixture(t)
	v := must[*registry.Version](t)(f.reg.Register(trainerCtx, "fraud", &registry.VersionSpec{
		Files: files("model.bin", "weights-3"), Metrics: map[string]float64{"auc": 0.97}}))
	if v.Number != 3 {
		t.Fatalf("trainer registered version %d, want 3", v.Number)
	}
	gate := registry.Gate{"auc": {MinAbsoluteChange: registry.Float(0.01), GreaterIsBetter: true}}
	_, err := f.reg.Promote(trainerCtx, "fraud/3", "production", gate)
	if !errors.Is(err, rbac.ErrDenied) {
		t.Fatalf("trainer Promote = %v, want rbac.ErrDenied", err)
	}
	if _, err := f.reg.Register(releaseCtx, "fraud", nil); !errors.Is(err, rbac.ErrDenied) {
		t.Fatalf("release group Register = %v, want rbac.ErrDenied", err)
	}
	if _, err := f.reg.Promote(releaseCtx, "fraud/3", "production", gate); err != nil {
		t.Fatalf("release group Promote: %v", err)
	}
	if n := must[int](t)(f.reg.Resolve(trainerCtx, "fraud@production")); n != 3 {
		t.Fatalf("production = %d, want 3", n)
	}
	// Adding versions is not adding models: the ci account, which may only
	// create versions, adds one to fraud but cannot start a model.
	ciCtx := rbac.WithSubject(context.Background(), rbac.Subject{Kind: rbac.ServiceAccount, Name: "ci"})
	if v := must[*registry.Version](t)(f.reg.Register(ciCtx, "fraud", nil)); v.Number != 4 {
		t.Fatalf("ci registered version %d, want 4", v.Number)
	}
	objects := f.objects(t)
	_, err = f.reg.Register(ciCtx, "brand-new", &registry.VersionSpec{Files: files("model.bin", "new weights")})
	var denied *rbac.DeniedError
	if !errors.As(err, &denied) || denied.Verb != "create" || denied.Resource != "models" || denied.Name != "brand-new" {
		t.Fatalf("ci Register of a new model = %v, want create models refused", err)
	}
	if diff := cmp.Diff(objects, f.objects(t)); diff != "" {
		t.Fatalf("the refused registration wrote to the bucket (-before +after):\n%s", diff)
	}
	hist := must[[]registry.Event](t)(f.reg.History(adminCtx, "fraud"))
	last := hist[len(hist)-2]
	if got := fmt.Sprintf("%s %s %d->%d", last.Type, last.Alias, last.Previous, last.Version); got != "alias.set production 1->3" {
		t.Fatalf("last event %q", got)
	}
}
