// Package registrytest gives tests a real, in-memory model registry in one
// call: New returns a registry.Registry on a fresh mem:// bucket, seeded
// from Go literals (models, versions with their files, aliases), closed
// when the test ends. NewFaulty returns one with Faults beside it, for
// fault injection: damaging a log entry, writing an entry from a "newer"
// writer, or altering a stored file. Consumer describes what the registry
// asks an authorizer, for rbactest.RunConformance.
package registrytest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/artifact/artifacttest"
	"github.com/sextant-ml/sextant/registry"
)

// Seed is the initial content of a test registry.
type Seed struct {
	Models []Model
}

// Model is one seeded model. Versions are registered in order (1, 2, ...),
// then Aliases are set.
type Model struct {
	Name        string
	Description string
	Tags        map[string]string
	Versions    []Version
	Aliases     map[string]int
}

// Version is one seeded version.
type Version struct {
	// Files maps paths to contents.
	Files       map[string]string
	Description string
	Tags        map[string]string
	Params      map[string]string
	Metrics     map[string]float64
	Status      registry.Status // default ready
	Lineage     registry.Lineage
	Archived    bool
}

// Faults injects faults into the state beneath a registry: its log
// entries and stored files on Bucket. NewFaulty fills it in; a Faults built
// by hand needs Bucket (and Store, for tests that open more registries on
// the same state), and its methods fail the test without one.
type Faults struct {
	// Store is the artifact store the registry is open on.
	Store *artifact.Store
	// Bucket is the store's bucket, where the registry's log lives.
	Bucket *artifact.Bucket
}

// New returns a registry on a fresh mem:// bucket seeded with seed (nil for
// an empty one), closed when the test ends. With nil opts it has the actor
// "test", a fixed clock starting at 2026-01-01T00:00:00Z and advancing one
// second per change, and Options.AllowUnsigned set, so that tests read the
// files of the unsigned versions it seeds. Options given are used as they
// are, with only the actor and the clock defaulted, so a test of signature
// checks sets TrustedKeys (or AllowUnsigned) itself. It fails the test on
// any seeding error.
func New(t testing.TB, seed *Seed, opts *registry.Options) *registry.Registry {
	t.Helper()
	r, _ := NewFaulty(t, seed, opts)
	return r
}

// NewFaulty is New with the Faults of the registry's state.
func NewFaulty(t testing.TB, seed *Seed, opts *registry.Options) (*registry.Registry, *Faults) {
	t.Helper()
	ctx := context.Background()
	store, err := artifact.Open(ctx, "mem://", nil)
	if err != nil {
		t.Fatalf("registrytest: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	o := registry.Options{AllowUnsigned: true}
	if opts != nil {
		o = *opts
	}
	if o.Actor == nil {
		o.Actor = func(context.Context) string { return "test" }
	}
	if o.Now == nil {
		o.Now = newClock()
	}
	r, err := registry.Open(ctx, store, &o)
	if err != nil {
		t.Fatalf("registrytest: %v", err)
	}
	if seed != nil {
		if err := apply(ctx, r, seed); err != nil {
			t.Fatalf("registrytest: seed: %v", err)
		}
	}
	return r, &Faults{Store: store, Bucket: store.Bucket()}
}

// newClock returns a clock that starts at 2026-01-01 and advances a second
// per call; safe for concurrent use.
func newClock() func() time.Time {
	ch := make(chan time.Time, 1)
	ch <- time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		t := <-ch
		ch <- t.Add(time.Second)
		return t
	}
}

func apply(ctx context.Context, r *registry.Registry, seed *Seed) error {
	for _, m := range seed.Models {
		if _, err := r.CreateModel(ctx, m.Name, &registry.ModelSpec{Description: m.Description, Tags: m.Tags}); err != nil {
			return err
		}
		for i, v := range m.Versions {
			spec := &registry.VersionSpec{Description: v.Description, Tags: v.Tags, Params: v.Params,
				Metrics: v.Metrics, Status: v.Status, Lineage: v.Lineage}
			for _, p := range slices.Sorted(maps.Keys(v.Files)) {
				spec.Files = append(spec.Files, registry.Upload{Path: p, Body: strings.NewReader(v.Files[p])})
			}
			got, err := r.Register(ctx, m.Name, spec)
			if err != nil {
				return fmt.Errorf("model %s version %d: %w", m.Name, i+1, err)
			}
			if v.Archived {
				if _, err := r.ArchiveVersion(ctx, got.Ref().String(), true); err != nil {
					return err
				}
			}
		}
		for _, a := range slices.Sorted(maps.Keys(m.Aliases)) {
			if err := r.SetAlias(ctx, m.Name, a, m.Aliases[a]); err != nil {
				return err
			}
		}
	}
	return nil
}

// check fails t when f has no bucket to inject faults into.
func (f *Faults) check(t testing.TB) {
	t.Helper()
	if f == nil || f.Bucket == nil {
		t.Fatalf("registrytest: Faults without a Bucket; use NewFaulty")
	}
}

// entryKey is where entry seq of model lives on the bucket.
func entryKey(model string, seq uint64) string {
	return fmt.Sprintf("registry/models/%s/log/%020d.json", model, seq)
}

// AppendRaw writes data as the next entry of model's log, bypassing the
// registry: a truncated or garbled entry, or one from a newer writer. It
// returns the entry's sequence number.
func (f *Faults) AppendRaw(t testing.TB, model string, data []byte) uint64 {
	t.Helper()
	f.check(t)
	ctx := context.Background()
	for seq := uint64(1); ; seq++ {
		ok, err := f.Bucket.Exists(ctx, entryKey(model, seq))
		if err != nil {
			t.Fatalf("registrytest: %v", err)
		}
		if !ok {
			if err := f.Bucket.CreateOnly(ctx, entryKey(model, seq), data); err != nil {
				t.Fatalf("registrytest: %v", err)
			}
			return seq
		}
	}
}

// CorruptNext appends a truncated entry to model's log; reads of the model
// then fail with registry.ErrCorruptEntry naming that entry, in a registry
// that reads the log afresh (a new one, one whose cache of the model is
// older than its MaxStaleness, or after Refresh).
func (f *Faults) CorruptNext(t testing.TB, model string) uint64 {
	t.Helper()
	return f.AppendRaw(t, model, []byte(`{"format":1,"type":"alias.set","ti`))
}

// FutureNext appends an entry of a type this version does not know, as a
// newer writer would; reads then fail with registry.ErrUnsupportedEntry, in
// a registry that reads the log afresh, as with CorruptNext.
func (f *Faults) FutureNext(t testing.TB, model string) uint64 {
	t.Helper()
	return f.AppendRaw(t, model, []byte(`{"format":1,"type":"model.future","time":"2030-01-01T00:00:00Z"}`))
}

// TamperFile replaces the stored bytes of content d; reading it afterwards
// fails with artifact.ErrDigestMismatch.
func (f *Faults) TamperFile(t testing.TB, d artifact.Digest, data []byte) {
	t.Helper()
	f.check(t)
	artifacttest.Tamper(t, f.Store, d, data)
}
