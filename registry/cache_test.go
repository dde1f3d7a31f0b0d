package registry_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/s3test"
	"github.com/sextant-ml/sextant/registry"
)

// Two registries on one bucket: the second serves its cache until it is
// older than MaxStaleness or refreshed, then sees the first one's writes.
func TestStalenessAndRefresh(t *testing.T) {
	ctx := context.Background()
	b := openBucket(t, "mem://")
	writer := newRegistry(t, b, nil)
	reader := newRegistry(t, b, &registry.Options{MaxStaleness: time.Hour})
	always := newRegistry(t, b, &registry.Options{MaxStaleness: -1})
	brief := newRegistry(t, b, &registry.Options{MaxStaleness: 20 * time.Millisecond})
	for range 2 {
		must[*registry.Version](t)(writer.Register(ctx, "m", nil))
	}
	if err := writer.SetAlias(ctx, "m", "production", 1); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*registry.Registry{reader, always, brief} {
		if n := must[int](t)(r.Resolve(ctx, "m@production")); n != 1 {
			t.Fatalf("first read: %d", n)
		}
	}
	if err := writer.SetAlias(ctx, "m", "production", 2); err != nil {
		t.Fatal(err)
	}
	if n := must[int](t)(reader.Resolve(ctx, "m@production")); n != 1 {
		t.Fatalf("a cache younger than MaxStaleness was refreshed: %d", n)
	}
	if n := must[int](t)(always.Resolve(ctx, "m@production")); n != 2 {
		t.Fatalf("negative MaxStaleness served a stale cache: %d", n)
	}
	time.Sleep(30 * time.Millisecond) // brief's cache is now older than its MaxStaleness
	if n := must[int](t)(brief.Resolve(ctx, "m@production")); n != 2 {
		t.Fatalf("a cache older than MaxStaleness was served: %d", n)
	}
	if err := reader.Refresh(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	if n := must[int](t)(reader.Resolve(ctx, "m@production")); n != 2 {
		t.Fatalf("after Refresh: %d", n)
	}
	// A write through the stale registry folds what it missed first.
	if err := reader.SetAlias(ctx, "m", "staging", 2); err != nil {
		t.Fatal(err)
	}
	if v := must[*registry.Version](t)(reader.Register(ctx, "m", nil)); v.Number != 3 {
		t.Fatalf("next version from a stale cache = %d", v.Number)
	}
}

func TestResolveFromCacheDoesNotAllocate(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t, openBucket(t, "mem://"), &registry.Options{MaxStaleness: time.Hour})
	must[*registry.Version](t)(r.Register(ctx, "fraud", nil))
	if err := r.SetAlias(ctx, "fraud", "production", 1); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if n, err := r.Resolve(ctx, "fraud@production"); err != nil || n != 1 {
			t.Fatal(n, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Resolve from the cache allocates %v times per call", allocs)
	}
}

// gofakes3 v1.2.0 checks If-None-Match: * under its backend lock, so of many
// concurrent create-only writes of one key through s3blob exactly one wins.
func TestS3CreateOnlyIsAtomic(t *testing.T) {
	ctx := context.Background()
	srv := s3test.New(t)
	b, err := artifact.NewBucket(srv.Bucket(t, "atomic"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, exists := 0, 0
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := b.CreateOnly(ctx, "registry/models/m/log/00000000000000000001.json", []byte{byte('a' + i)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, artifact.ErrExist):
				exists++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || exists != 15 {
		t.Fatalf("%d writers won and %d saw ErrExist; want 1 and 15", wins, exists)
	}
}

func TestRegisterDirRefusesSymlinks(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t, openBucket(t, "mem://"), nil)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "model.bin"), []byte("w"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "leak")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RegisterDir(ctx, "m", dir, nil); !errors.Is(err, registry.ErrInvalidArgument) {
		t.Fatalf("RegisterDir with a symlink = %v, want ErrInvalidArgument", err)
	}
	if _, err := r.GetModel(ctx, "m"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("a refused registration created the model: %v", err)
	}
	if _, err := r.RegisterDir(ctx, "m", filepath.Join(dir, "missing"), nil); err == nil {
		t.Fatal("RegisterDir of a missing directory succeeded")
	}
}
