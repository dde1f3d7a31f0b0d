package registrytest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/rbac/rbactest"
	"github.com/sextant-ml/sextant/registry"
)

// Consumer describes what the registry asks an authorizer, for
// rbactest.RunConformance: every (verb, resource) pair it needs answered
// yes for its operations to work, and an Exercise that plugs the
// authorizer into a registry. There the allowed subject registers, aliases
// and reads, and the denied one is refused by every operation, with an
// error that is not the registry's own (not found, invalid argument,
// corrupt entry), and changes nothing.
//
// Registering a file by digest also asks "get artifacts" (without a name)
// and, when that is refused, "get models/versions" of the models that
// might hold the digest; a refusal there only narrows what may be
// referenced, so it is not among the questions.
func Consumer() rbactest.Consumer {
	return rbactest.Consumer{
		Name: "registry",
		Questions: []rbactest.Question{
			{Verb: rbac.VerbGet, Resource: rbac.ResourceModels},
			{Verb: rbac.VerbList, Resource: rbac.ResourceModels},
			{Verb: rbac.VerbCreate, Resource: rbac.ResourceModels},
			{Verb: rbac.VerbUpdate, Resource: rbac.ResourceModels},
			{Verb: rbac.VerbDelete, Resource: rbac.ResourceModels},
			{Verb: rbac.VerbGet, Resource: rbac.ResourceModelVersions},
			{Verb: rbac.VerbList, Resource: rbac.ResourceModelVersions},
			{Verb: rbac.VerbCreate, Resource: rbac.ResourceModelVersions},
			{Verb: rbac.VerbUpdate, Resource: rbac.ResourceModelVersions},
			{Verb: rbac.VerbEvaluate, Resource: rbac.ResourceModelVersions},
			{Verb: rbac.VerbDelete, Resource: rbac.ResourceModelVersions},
			{Verb: rbac.VerbSign, Resource: rbac.ResourceModelVersions},
			{Verb: rbac.VerbGet, Resource: rbac.ResourceModelAliases},
			{Verb: rbac.VerbUpdate, Resource: rbac.ResourceModelAliases},
			{Verb: rbac.VerbDelete, Resource: rbac.ResourceModelAliases},
			{Verb: rbac.VerbPromote, Resource: rbac.ResourceModelAliases},
		},
		Exercise: guardsTheRegistry,
	}
}

// guardsTheRegistry is Consumer's Exercise.
func guardsTheRegistry(t *testing.T, s rbactest.Setup) {
	r := New(t, nil, &registry.Options{Authorizer: s.Authorizer})
	allowed, denied := s.Allowed, s.Denied
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Register(allowed, "fraud", nil); err != nil {
		t.Fatalf("allowed Register: %v", err)
	}
	if err := r.SetAlias(allowed, "fraud", "production", 1); err != nil {
		t.Fatalf("allowed SetAlias: %v", err)
	}
	ops := map[string]func() error{
		"Register":       func() error { _, err := r.Register(denied, "fraud", nil); return err },
		"Get":            func() error { _, err := r.Get(denied, "fraud/1"); return err },
		"Resolve":        func() error { _, err := r.Resolve(denied, "fraud@production"); return err },
		"SetAlias":       func() error { return r.SetAlias(denied, "fraud", "staging", 1) },
		"DeleteAlias":    func() error { return r.DeleteAlias(denied, "fraud", "production") },
		"Promote":        func() error { _, err := r.Promote(denied, "fraud/1", "canary", nil); return err },
		"ArchiveVersion": func() error { _, err := r.ArchiveVersion(denied, "fraud/1", true); return err },
		"DeleteVersion":  func() error { return r.DeleteVersion(denied, "fraud/1") },
		"DeleteModel":    func() error { return r.DeleteModel(denied, "fraud") },
		"SearchVersions": func() error { _, err := r.SearchVersions(denied, nil); return err },
		"ListModels":     func() error { _, err := r.ListModels(denied, nil); return err },
		"History":        func() error { _, err := r.History(denied, "fraud"); return err },
		"CreateModel":    func() error { _, err := r.CreateModel(denied, "churn", nil); return err },
		"UpdateModel":    func() error { _, err := r.UpdateModel(denied, "fraud", nil); return err },
		"GetModel":       func() error { _, err := r.GetModel(denied, "fraud"); return err },
		"ArchiveModel":   func() error { return r.ArchiveModel(denied, "fraud", true) },
		"Refresh":        func() error { return r.Refresh(denied, "fraud") },
		"UpdateVersion":  func() error { _, err := r.UpdateVersion(denied, "fraud/1", nil); return err },
		"UpdateVersion/metrics": func() error {
			_, err := r.UpdateVersion(denied, "fraud/1", &registry.VersionUpdate{Metrics: map[string]float64{"auc": 1}})
			return err
		},
		"Load":       func() error { _, err := r.Load(denied, "fraud/1", t.TempDir()); return err },
		"OpenFile":   func() error { _, err := r.OpenFile(denied, "fraud/1", "model.bin"); return err },
		"Compare":    func() error { _, err := r.Compare(denied, "fraud/1", "fraud/1"); return err },
		"RenderCard": func() error { _, err := r.RenderCard(denied, "fraud/1", nil); return err },
		"SaveCard":   func() error { _, err := r.SaveCard(denied, "fraud/1", nil); return err },
		"Card":       func() error { _, err := r.Card(denied, "fraud/1"); return err },
		"Sign":       func() error { _, err := r.Sign(denied, "fraud/1", key); return err },
		"Verify":     func() error { _, err := r.Verify(denied, "fraud/1", []crypto.PublicKey{key.Public()}); return err },
		"Watch":      func() error { _, err := r.Watch(denied, "fraud", nil); return err },
		"Seq":        func() error { _, err := r.Seq(denied, "fraud"); return err },
	}
	for name, op := range ops {
		err := op()
		if err == nil {
			t.Errorf("denied %s succeeded", name)
			continue
		}
		for _, sentinel := range []error{registry.ErrNotFound, registry.ErrInvalidArgument, registry.ErrCorruptEntry} {
			if errors.Is(err, sentinel) {
				t.Errorf("denied %s failed for another reason: %v", name, err)
			}
		}
	}
	hist, err := r.History(allowed, "fraud")
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 {
		t.Fatalf("denied operations changed the log: %d entries, want 2", len(hist))
	}
}
