package rbac

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"
)

const reloadV1 = `apiVersion: sextant/v1
kind: Role
metadata: {name: reader}
rules: [{resources: [models], verbs: [get]}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: readers}
role: reader
subjects: [{kind: User, name: alice}]
`

var (
	reloadV2     = strings.ReplaceAll(reloadV1, "alice", "bob")
	reloadBroken = strings.Replace(reloadV2, "verbs: [get]", "verbs: [get, peek]", 1)
	alice        = Subject{Name: "alice"}
	bob          = Subject{Name: "bob"}
)

// checkReload drives one authorizer through a good policy, a change, a
// broken document and an unreadable source, writing through put.
func checkReload(t *testing.T, src Source, put func(string), remove func()) {
	t.Helper()
	ctx := context.Background()
	var logs bytes.Buffer
	a, err := New(nil, &Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	allowed := func(s Subject) bool { return a.Decide(s, "get", "models", "", "m").Allowed }

	put(reloadV1)
	if changed, err := a.Reload(ctx, src); err != nil || !changed {
		t.Fatalf("first reload: changed %v, %v", changed, err)
	}
	if !allowed(alice) || allowed(bob) {
		t.Fatalf("v1 not in force")
	}
	if changed, err := a.Reload(ctx, src); err != nil || changed {
		t.Errorf("reload of the same bytes: changed %v, %v", changed, err)
	}

	put(reloadV2)
	if changed, err := a.Reload(ctx, src); err != nil || !changed {
		t.Fatalf("second reload: changed %v, %v", changed, err)
	}
	if allowed(alice) || !allowed(bob) {
		t.Fatalf("v2 not in force")
	}

	put(reloadBroken)
	_, err = a.Reload(ctx, src)
	if !errors.Is(err, ErrInvalidPolicy) || !strings.Contains(err.Error(), `:4: unknown verb "peek"`) {
		t.Errorf("broken reload: %v, want ErrInvalidPolicy naming line 4", err)
	}
	if !allowed(bob) || allowed(alice) {
		t.Errorf("a broken reload changed the policy in force")
	}
	if !strings.Contains(logs.String(), "reload failed") {
		t.Errorf("broken reload not logged: %q", logs.String())
	}

	remove()
	if _, err := a.Reload(ctx, src); err == nil {
		t.Errorf("reload of a missing source succeeded")
	}
	if !allowed(bob) {
		t.Errorf("a failed read changed the policy in force")
	}
}

func TestReloadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	checkReload(t, File(path),
		func(s string) {
			if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		func() { os.Remove(path) })
}

func bucketTest(t *testing.T, b *blob.Bucket) {
	t.Cleanup(func() { b.Close() })
	ctx := context.Background()
	checkReload(t, Object(b, "policies/rbac.yaml"),
		func(s string) {
			if err := b.WriteAll(ctx, "policies/rbac.yaml", []byte(s), nil); err != nil {
				t.Fatal(err)
			}
		},
		func() {
			if err := b.Delete(ctx, "policies/rbac.yaml"); err != nil {
				t.Fatal(err)
			}
		})
}

func TestReloadMemBucket(t *testing.T) { bucketTest(t, memblob.OpenBucket(nil)) }

func TestReloadFileBucket(t *testing.T) {
	b, err := fileblob.OpenBucket(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	bucketTest(t, b)
}

func TestLoad(t *testing.T) {
	b := memblob.OpenBucket(nil)
	defer b.Close()
	ctx := context.Background()
	if err := b.WriteAll(ctx, "p.yaml", []byte(reloadBroken), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ctx, Object(b, "p.yaml")); !errors.Is(err, ErrInvalidPolicy) || !strings.Contains(err.Error(), "rbac: p.yaml:4: ") {
		t.Errorf("Load of a broken object: %v", err)
	}
	p, err := Load(ctx, File("testdata/policy.yaml"))
	if err != nil || len(p.Roles) != 2 {
		t.Fatalf("Load(File): %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Load(cancelled, File("testdata/policy.yaml")); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a cancelled context: %v", err)
	}
}

func TestWatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(reloadV1), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Watch(ctx, File(path), time.Millisecond) }()
	deadline := time.Now().Add(10 * time.Second)
	for !a.Decide(alice, "get", "models", "", "m").Allowed {
		if time.Now().After(deadline) {
			t.Fatal("watch never loaded the policy")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch returned %v, want context.Canceled", err)
	}
	if err := a.Watch(context.Background(), File(path), 0); err == nil {
		t.Errorf("Watch with a zero interval returned nil")
	}
}

// gatedSource returns reloadV1 on its first read, held until release is
// closed, and reloadV2 on every later read.
type gatedSource struct {
	reads   chan struct{} // receives once per read, when it starts
	release chan struct{}
	n       atomic.Int32
}

func (g *gatedSource) Read(ctx context.Context) (string, []byte, error) {
	first := g.n.Add(1) == 1
	g.reads <- struct{}{}
	if first {
		<-g.release
		return "gated.yaml", []byte(reloadV1), nil
	}
	return "gated.yaml", []byte(reloadV2), nil
}

// TestConcurrentReloadsKeepTheLatest starts a reload whose read is slow,
// then a second one that reads newer bytes. The newer policy must be the
// one in force at the end: a slow reload must not put older bytes over a
// newer policy.
func TestConcurrentReloadsKeepTheLatest(t *testing.T) {
	a, err := New(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	src := &gatedSource{reads: make(chan struct{}, 2), release: make(chan struct{})}
	ctx := context.Background()
	slow := make(chan error, 1)
	go func() { _, err := a.Reload(ctx, src); slow <- err }()
	<-src.reads // the slow reload is reading
	fast := make(chan error, 1)
	go func() { _, err := a.Reload(ctx, src); fast <- err }()
	// Let the second reload finish if it can run beside the first; if
	// reloads are serialized it waits for the first, and the timer lets
	// the first go on.
	select {
	case err := <-fast:
		fast <- err
	case <-time.After(200 * time.Millisecond):
	}
	close(src.release)
	for _, ch := range []chan error{slow, fast} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	if !a.Decide(bob, "get", "models", "", "m").Allowed || a.Decide(alice, "get", "models", "", "m").Allowed {
		t.Errorf("the older policy, read first but slowly, is in force over the newer one")
	}
}
