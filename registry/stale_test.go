package registry_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/registry"
	"gocloud.dev/blob"
)

// TestWritesThroughAliasesIgnoreStaleCache: a process whose cache is old
// (here an hour of MaxStaleness) and that writes through an alias must act on
// the version the alias names in the log, not the one its cache remembers.
func TestWritesThroughAliasesIgnoreStaleCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		write func(r *registry.Registry) error
		check func(t *testing.T, r *registry.Registry)
	}{
		{"Promote", func(r *registry.Registry) error {
			_, err := r.Promote(ctx, "fraud@staging", "production", nil)
			return err
		}, func(t *testing.T, r *registry.Registry) {
			if n := must[int](t)(r.Resolve(ctx, "fraud@production")); n != 2 {
				t.Fatalf("promoted version %d, want 2", n)
			}
		}},
		{"UpdateVersion", func(r *registry.Registry) error {
			_, err := r.UpdateVersion(ctx, "fraud@staging", &registry.VersionUpdate{Status: registry.StatusFailed})
			return err
		}, func(t *testing.T, r *registry.Registry) {
			if v := must[*registry.Version](t)(r.Get(ctx, "fraud/2")); v.Status != registry.StatusFailed {
				t.Fatalf("version 2 status %q; the update went elsewhere", v.Status)
			}
		}},
		{"DeleteVersion", func(r *registry.Registry) error {
			return r.DeleteVersion(ctx, "fraud@latest")
		}, func(t *testing.T, r *registry.Registry) {
			if v := must[*registry.Version](t)(r.Get(ctx, "fraud/1")); v.Deleted {
				t.Fatal("deleted version 1, which was latest only in a stale cache")
			}
		}},
		{"Sign", func(r *registry.Registry) error {
			_, err := r.Sign(ctx, "fraud@staging", key)
			return err
		}, func(t *testing.T, r *registry.Registry) {
			if v := must[*registry.Version](t)(r.Get(ctx, "fraud/2")); len(v.Signatures) != 1 {
				t.Fatalf("version 2 carries %d signatures, want 1", len(v.Signatures))
			}
		}},
		{"SaveCard", func(r *registry.Registry) error {
			_, err := r.SaveCard(ctx, "fraud@staging", nil)
			return err
		}, func(t *testing.T, r *registry.Registry) {
			if v := must[*registry.Version](t)(r.Get(ctx, "fraud/2")); v.Card == "" {
				t.Fatal("the card was saved on another version than 2")
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := openBucket(t, "mem://")
			writer := newRegistry(t, b, nil)
			must[*registry.Version](t)(writer.Register(ctx, "fraud", &registry.VersionSpec{Files: files("m", "1")}))
			if err := writer.SetAlias(ctx, "fraud", "staging", 1); err != nil {
				t.Fatal(err)
			}
			stale := newRegistry(t, b, &registry.Options{MaxStaleness: time.Hour})
			if n := must[int](t)(stale.Resolve(ctx, "fraud@staging")); n != 1 { // warms the cache
				t.Fatalf("staging = %d", n)
			}
			// Another process moves staging and registers a newer version.
			must[*registry.Version](t)(writer.Register(ctx, "fraud", &registry.VersionSpec{Files: files("m", "2")}))
			if err := writer.SetAlias(ctx, "fraud", "staging", 2); err != nil {
				t.Fatal(err)
			}
			if n := must[int](t)(stale.Resolve(ctx, "fraud@staging")); n != 1 {
				t.Fatalf("the cache was expected to be stale, yet staging = %d", n)
			}
			if err := tt.write(stale); err != nil {
				t.Fatal(err)
			}
			tt.check(t, newRegistry(t, b, nil)) // a cold reader: what the log says
		})
	}
}

// TestFailedWritesLeaveNoCatalogEntry: a write refused for a model that does
// not exist must not list that model.
func TestFailedWritesLeaveNoCatalogEntry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := openBucket(t, "mem://")
	r := newRegistry(t, b, nil)
	if _, err := r.UpdateModel(ctx, "ghost", nil); err == nil {
		t.Fatal("UpdateModel of a missing model succeeded")
	}
	if _, err := r.UpdateVersion(ctx, "ghost/1", nil); err == nil {
		t.Fatal("UpdateVersion of a missing model succeeded")
	}
	if _, err := r.Promote(ctx, "ghost/1", "production", nil); err == nil {
		t.Fatal("Promote of a missing model succeeded")
	}
	if err := r.SetAlias(ctx, "ghost", "production", 1); err == nil {
		t.Fatal("SetAlias of a missing model succeeded")
	}
	var keys []string
	if err := b.List(ctx, "", func(rel string, _ *blob.ListObject) error { keys = append(keys, rel); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Fatalf("refused writes left %q on the bucket", keys)
	}
}
