package dataset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset/internal/atomicfile"
	"github.com/sextant-ml/sextant/dataset/internal/testbucket"
	"github.com/sextant-ml/sextant/dataset/internal/testtree"
)

// newStore returns a Store on a fresh bucket of kind, and the artifact
// bucket under it.
func newStore(t testing.TB, kind string, aopts *artifact.Options, opts *Options) (*Store, *artifact.Bucket) {
	t.Helper()
	b, dir := testbucket.Open(t, kind)
	ab, err := artifact.NewBucket(b, &artifact.BucketOptions{LocalDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := artifact.New(ab, aopts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(blobs, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, ab
}

func readTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	return testtree.Read(t, dir)
}

func makeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	testtree.Write(t, dir, files)
	return dir
}

func TestStoreRoundTrip(t *testing.T) {
	for _, kind := range testbucket.Kinds() {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			s, _ := newStore(t, kind, nil, &Options{Workers: 4})
			v1files := map[string]string{"a.csv": "x,y\n1,2\n", "b/c.txt": "hello", "b/d.txt": "hello", "big.bin": string(testtree.Random(7, 1<<20+11))}
			src := makeTree(t, v1files)
			os.Chmod(filepath.Join(src, "b", "c.txt"), 0o755)
			v1, err := s.Commit(ctx, "sensors", src, &CommitOptions{Message: "first", Tags: []string{"baseline"}})
			if err != nil {
				t.Fatal(err)
			}
			if v1.Number != 1 || v1.Files != 4 || v1.Bytes != int64(len(v1files["big.bin"])+8+5+5) || v1.Message != "first" {
				t.Errorf("v1 = %+v", v1)
			}
			// Nothing is uploaded twice.
			_, tr, err := s.Push(ctx, src)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Files != 0 || tr.Present != 3 {
				t.Errorf("second push moved %+v, want nothing (3 distinct contents present)", tr)
			}

			// Version 2: one file changed, one added, one deleted.
			testtree.WriteFile(t, filepath.Join(src, "a.csv"), []byte("x,y\n1,2\n3,4\n"))
			testtree.WriteFile(t, filepath.Join(src, "new.txt"), []byte("new"))
			os.Remove(filepath.Join(src, "b", "d.txt"))
			st, err := s.Status(ctx, "sensors", "latest", src)
			if err != nil {
				t.Fatal(err)
			}
			want := Changes{Added: []string{"new.txt"}, Modified: []string{"a.csv"}, Deleted: []string{"b/d.txt"}, Unchanged: []string{"b/c.txt", "big.bin"}}
			if diff := cmp.Diff(want, st); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
			_, tr, err = s.Push(ctx, src)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Files != 2 || tr.Present != 2 {
				t.Errorf("push of v2 moved %+v, want 2 new files and 2 present", tr)
			}
			v2, err := s.Commit(ctx, "sensors", src, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Tag(ctx, "sensors", 2, "prod"); err != nil {
				t.Fatal(err)
			}
			if err := s.Tag(ctx, "sensors", 1, "prod"); err != nil {
				t.Fatal(err)
			}
			versions, err := s.Versions(ctx, "sensors")
			if err != nil {
				t.Fatal(err)
			}
			if len(versions) != 2 || versions[1].Manifest != v2.Manifest || fmt.Sprint(versions[0].Tags) != "[baseline prod]" || len(versions[1].Tags) != 0 {
				t.Errorf("versions = %+v", versions)
			}
			for ref, wantN := range map[string]int{"": 2, "latest": 2, "1": 1, "v2": 2, "prod": 1, "baseline": 1} {
				v, err := s.Resolve(ctx, "sensors", ref)
				if err != nil || v.Number != wantN {
					t.Errorf("Resolve(%q) = %d, %v; want %d", ref, v.Number, err, wantN)
				}
			}
			d, err := s.Diff(ctx, "sensors", "1", "2")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(Changes{Added: want.Added, Modified: want.Modified, Deleted: want.Deleted, Unchanged: want.Unchanged}, d); diff != "" {
				t.Errorf("diff v1 v2 (-want +got):\n%s", diff)
			}

			// Checkout v1 into a fresh directory, then again (all present),
			// then v2 over it with pruning.
			dest := filepath.Join(t.TempDir(), "out")
			_, tr, err = s.Checkout(ctx, "sensors", "prod", dest, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(v1files, readTree(t, dest)); diff != "" {
				t.Errorf("checkout of v1 (-want +got):\n%s", diff)
			}
			if tr.Files != 4 || tr.Present != 0 {
				t.Errorf("first checkout %+v", tr)
			}
			if fi, _ := os.Stat(filepath.Join(dest, "b", "c.txt")); fi.Mode().Perm() != 0o755 {
				t.Errorf("mode %v, want 0755", fi.Mode())
			}
			if _, tr, err = s.Checkout(ctx, "sensors", "1", dest, nil); err != nil || tr.Files != 0 || tr.Present != 4 {
				t.Errorf("second checkout %+v, %v; want every file kept", tr, err)
			}
			if _, _, err = s.Checkout(ctx, "sensors", "2", dest, &CheckoutOptions{Prune: true}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(readTree(t, src), readTree(t, dest)); diff != "" {
				t.Errorf("checkout of v2 (-want +got):\n%s", diff)
			}
			if st, err := s.Status(ctx, "sensors", "2", dest); err != nil || !st.Clean() {
				t.Errorf("status after checkout: %+v, %v", st, err)
			}
		})
	}
}

func TestStoreErrors(t *testing.T) {
	ctx := t.Context()
	s, _ := newStore(t, "mem", nil, nil)
	src := makeTree(t, map[string]string{"f": "x"})
	for _, name := range []string{"", "../x", "a/b", ".hidden", "a b", strings.Repeat("n", 129)} {
		if _, err := s.Commit(ctx, name, src, nil); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Commit(%q): %v, want ErrInvalidName", name, err)
		}
	}
	for _, tag := range []string{"latest", "3", "v3", "a/b"} {
		if _, err := s.Commit(ctx, "d", src, &CommitOptions{Tags: []string{tag}}); !errors.Is(err, ErrInvalidName) {
			t.Errorf("tag %q: %v, want ErrInvalidName", tag, err)
		}
	}
	if _, err := s.Versions(ctx, "nothing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Versions of unknown dataset: %v", err)
	}
	if _, err := s.Commit(ctx, "d", src, nil); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"2", "v0", "nope"} {
		if _, err := s.Resolve(ctx, "d", ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("Resolve(%q): %v, want ErrNotFound", ref, err)
		}
	}
	if err := s.Tag(ctx, "d", 5, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Tag of a missing version: %v", err)
	}
	if _, err := s.Commit(ctx, "d", filepath.Join(src, "missing"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Commit of a missing directory: %v", err)
	}
}

type denyAll struct{ calls []string }

var errDenied = errors.New("denied")

func (d *denyAll) Authorize(_ context.Context, verb, resource, name string) error {
	d.calls = append(d.calls, verb+" "+resource+" "+name)
	return errDenied
}

func TestStoreAuthorizer(t *testing.T) {
	az := &denyAll{}
	s, _ := newStore(t, "mem", nil, &Options{Authorizer: az})
	ctx := t.Context()
	_, err1 := s.Commit(ctx, "d", t.TempDir(), nil)
	_, err2 := s.Versions(ctx, "d")
	_, err3 := s.Resolve(ctx, "d", "")
	err4 := s.Tag(ctx, "d", 1, "t")
	pushed := makeTree(t, map[string]string{"f": "x"})
	_, _, err5 := s.Push(ctx, pushed)
	pm := hashManifest(t, pushed)
	empty := &Manifest{}
	_, err6 := s.Pull(ctx, empty, t.TempDir(), nil)
	for i, err := range []error{err1, err2, err3, err4, err5, err6} {
		if !errors.Is(err, errDenied) {
			t.Errorf("call %d: %v, want the authorizer's error", i, err)
		}
	}
	want := []string{"create datasets d", "list datasets d", "get datasets d", "update datasets d", "create artifacts " + pm.Digest().ResourceName(), "get artifacts " + empty.Digest().ResourceName()}
	if diff := cmp.Diff(want, az.calls); diff != "" {
		t.Errorf("authorizer calls (-want +got):\n%s", diff)
	}
}

func TestStoreConcurrentCommits(t *testing.T) {
	s, _ := newStore(t, "file", nil, nil)
	const n = 6
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			src := makeTree(t, map[string]string{"f": fmt.Sprint(i)})
			_, err := s.Commit(t.Context(), "d", src, nil)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// A second Store (another process's view) sees the same log.
	other, err := New(s.blobs, nil)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := other.Versions(t.Context(), "d")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[artifact.Digest]bool{}
	for i, v := range versions {
		if v.Number != i+1 {
			t.Errorf("version %d has number %d", i, v.Number)
		}
		seen[v.Manifest] = true
	}
	if len(versions) != n || len(seen) != n {
		t.Errorf("%d versions with %d distinct manifests, want %d", len(versions), len(seen), n)
	}
}

func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && atomicfile.IsTemp(p) {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

func TestCheckoutCorruptObject(t *testing.T) {
	ctx := t.Context()
	s, ab := newStore(t, "mem", nil, nil)
	src := makeTree(t, map[string]string{"good": "good", "bad": "original content"})
	v, err := s.Commit(ctx, "d", src, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, _ := v1manifest(t, s, v).Lookup("bad")
	hexsum := e.Digest.Hex()
	if err := ab.WriteAll(ctx, "cas/sha256/"+hexsum[:2]+"/"+hexsum[2:], []byte("tampered content")); err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	testtree.WriteFile(t, filepath.Join(dest, "bad"), []byte("local"))
	_, _, err = s.Checkout(ctx, "d", "", dest, nil)
	if !errors.Is(err, ErrDigestMismatch) || !errors.Is(err, artifact.ErrDigestMismatch) || !strings.Contains(err.Error(), "bad") {
		t.Fatalf("checkout of a corrupt object: %v, want ErrDigestMismatch naming the file", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dest, "bad")); string(data) != "local" {
		t.Errorf("file in place was replaced by %q", data)
	}
	noTempFiles(t, dest)
}

func v1manifest(t *testing.T, s *Store, v Version) *Manifest {
	t.Helper()
	m, err := s.Manifest(t.Context(), v.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCheckoutInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var armed bool
	s, _ := newStore(t, "file", &artifact.Options{Progress: func(done, total int64) {
		if armed && done > 1<<20 {
			cancel()
		}
	}}, &Options{Workers: 1})
	big := string(testtree.Random(3, 6<<20))
	src := makeTree(t, map[string]string{"big.bin": big})
	if _, err := s.Commit(ctx, "d", src, nil); err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	armed = true
	_, _, err := s.Checkout(ctx, "d", "", dest, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted checkout: %v, want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(dest, "big.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a partial file is in place: %v", err)
	}
	noTempFiles(t, dest)
	// A retry completes.
	armed = false
	if _, _, err := s.Checkout(t.Context(), "d", "", dest, nil); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dest, "big.bin")); string(data) != big {
		t.Error("retried checkout wrote wrong bytes")
	}
}

func TestCorruptLog(t *testing.T) {
	ctx := t.Context()
	s, ab := newStore(t, "mem", nil, nil)
	for i, entry := range []string{`{"type":"commit","v":1,"number":1,"manifest":"sha256:00","time":"2026-01-01T00:00:00Z"}`, `{"type":"launch","v":1}`} {
		if err := ab.WriteAll(ctx, fmt.Sprintf("datasets/d/log/%020d.json", i+1), []byte(entry)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Versions(ctx, "d"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown entry type: %v, want ErrUnsupported", err)
	}
	s2, ab2 := newStore(t, "mem", nil, nil)
	ab2.WriteAll(ctx, "datasets/d/log/00000000000000000001.json", []byte(`{"type":"commit","v":1,"number":7}`))
	if _, err := s2.Versions(ctx, "d"); !errors.Is(err, ErrCorruptLog) {
		t.Errorf("out-of-order number: %v, want ErrCorruptLog", err)
	}
	ab2.WriteAll(ctx, "datasets/e/log/00000000000000000001.json", []byte(`{"type":"commit","v":9}`))
	if _, err := s2.Versions(ctx, "e"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("newer format: %v, want ErrUnsupported", err)
	}
}

func TestStoreProgress(t *testing.T) {
	var mu sync.Mutex
	last := map[string]Progress{}
	s, _ := newStore(t, "mem", nil, &Options{Progress: func(p Progress) {
		mu.Lock()
		last[p.Phase] = p
		mu.Unlock()
	}})
	files := map[string]string{"a": "same", "b": "same", "c": "other!"}
	if _, err := s.Commit(t.Context(), "d", makeTree(t, files), nil); err != nil {
		t.Fatal(err)
	}
	dest := t.TempDir()
	testtree.WriteFile(t, filepath.Join(dest, "c"), []byte("other!"))
	if _, _, err := s.Checkout(t.Context(), "d", "", dest, nil); err != nil {
		t.Fatal(err)
	}
	want := map[string]Progress{
		"hash":     {Phase: "hash", FilesDone: 3, FilesTotal: 3, BytesDone: 14, BytesTotal: 14},
		"upload":   {Phase: "upload", FilesDone: 2, FilesTotal: 2, BytesDone: 10, BytesTotal: 10},
		"download": {Phase: "download", FilesDone: 3, FilesTotal: 3, BytesDone: 14, BytesTotal: 14, FilesCached: 1},
	}
	if diff := cmp.Diff(want, last); diff != "" {
		t.Errorf("last progress per phase (-want +got):\n%s", diff)
	}
}

func TestStoreCheckpoint(t *testing.T) {
	ctx := t.Context()
	s, ab := newStore(t, "mem", nil, nil)
	v := func() Version {
		v, err := s.Commit(ctx, "d", makeTree(t, map[string]string{"f": "x"}), nil)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}()
	for i := 2; i <= checkpointEvery+1; i++ {
		if err := s.Tag(ctx, "d", v.Number, fmt.Sprintf("t%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	cp := fmt.Sprintf("datasets/d/checkpoint/%020d.json", checkpointEvery)
	if ok, err := ab.Exists(ctx, cp); !ok || err != nil {
		t.Fatalf("no checkpoint at %s: %v", cp, err)
	}
	// A fresh reader starts from the checkpoint: the entries before it are
	// not needed any more.
	for i := 1; i <= 10; i++ {
		if err := ab.Delete(ctx, fmt.Sprintf("datasets/d/log/%020d.json", i)); err != nil {
			t.Fatal(err)
		}
	}
	fresh, err := New(s.Artifacts(), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fresh.Resolve(ctx, "d", "t2")
	if err != nil {
		t.Fatal(err)
	}
	if got.Number != 1 || got.Manifest != v.Manifest || len(got.Tags) != checkpointEvery {
		t.Errorf("resolved through the checkpoint: %+v", got)
	}
	if _, err := fresh.Commit(ctx, "d", makeTree(t, map[string]string{"f": "y"}), nil); err != nil {
		t.Fatal(err)
	}
	if vs, err := fresh.Versions(ctx, "d"); err != nil || len(vs) != 2 {
		t.Errorf("after a commit through the checkpoint: %d versions, %v", len(vs), err)
	}
}
