package registrytest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"sync"
	"testing"

	"github.com/sextant-ml/sextant/registry"
)

// Questions lists every (verb, resource) pair the registry asks an Authorizer
// and needs answered yes for its operations to work. Registering a file by
// digest also asks "get artifacts" (without a name) and, when that is
// refused, "get models/versions" of the models that might hold the digest;
// a refusal there only narrows what may be referenced.
var Questions = []struct{ Verb, Resource string }{
	{"get", "models"}, {"list", "models"}, {"create", "models"}, {"update", "models"}, {"delete", "models"},
	{"get", "models/versions"}, {"list", "models/versions"}, {"create", "models/versions"},
	{"update", "models/versions"}, {"evaluate", "models/versions"}, {"delete", "models/versions"}, {"sign", "models/versions"},
	{"get", "models/aliases"}, {"update", "models/aliases"}, {"delete", "models/aliases"}, {"promote", "models/aliases"},
}

// RunConformance checks an Authorizer a user wrote for the registry.
// newAuthorizer returns the authorizer, a context whose subject may do
// everything on models, and one whose subject may do nothing. Each behaviour
// is a subtest:
//
//   - every question the registry asks is allowed for allowed, denied for denied;
//   - the authorizer is safe for concurrent use (run with -race);
//   - plugged into a registry, the allowed subject registers, aliases and
//     reads, and the denied one is refused by every operation, with the
//     authorizer's error wrapped, and changes nothing.
func RunConformance(t *testing.T, newAuthorizer func(t *testing.T) (a registry.Authorizer, allowed, denied context.Context)) {
	t.Run("AnswersEveryQuestion", func(t *testing.T) {
		a, allowed, denied := newAuthorizer(t)
		for _, q := range Questions {
			for _, name := range []string{"fraud", ""} {
				if err := a.Authorize(allowed, q.Verb, q.Resource, name); err != nil {
					t.Errorf("allowed subject: %s %s %q: %v", q.Verb, q.Resource, name, err)
				}
				if err := a.Authorize(denied, q.Verb, q.Resource, name); err == nil {
					t.Errorf("denied subject: %s %s %q was allowed", q.Verb, q.Resource, name)
				}
			}
		}
	})
	t.Run("ConcurrentUse", func(t *testing.T) {
		a, allowed, denied := newAuthorizer(t)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 200 {
					q := Questions[(i+j)%len(Questions)]
					if err := a.Authorize(allowed, q.Verb, q.Resource, "fraud"); err != nil {
						t.Error(err)
						return
					}
					if a.Authorize(denied, q.Verb, q.Resource, "fraud") == nil {
						t.Error("denied subject allowed under concurrency")
						return
					}
				}
			}()
		}
		wg.Wait()
	})
	t.Run("GuardsTheRegistry", func(t *testing.T) {
		a, allowed, denied := newAuthorizer(t)
		r := NewFixture(t, nil, &registry.Options{Authorizer: a}).Registry
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
	})
}
