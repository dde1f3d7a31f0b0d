package dataset

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset/internal/testbucket"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/rbac/rbactest"
)

// rbacPolicy lets ada write and read the dataset "sensors" and its
// artifacts, and rob only read it.
const rbacPolicy = `
apiVersion: sextant/v1
kind: Role
metadata: {name: sensors-reader}
rules:
  - {resources: [datasets], verbs: [get, list], names: [sensors]}
  - {resources: [artifacts], verbs: [get], names: ["sha256/**"]}
---
apiVersion: sextant/v1
kind: Role
metadata: {name: sensors-writer}
rules:
  - {resources: [datasets], verbs: [create, update], names: [sensors]}
  - {resources: [artifacts], verbs: [create], names: ["sha256/**"]}
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: readers}
role: sensors-reader
subjects: [{kind: User, name: ada}, {kind: User, name: rob}]
---
apiVersion: sextant/v1
kind: RoleBinding
metadata: {name: writers}
role: sensors-writer
subjects: [{kind: User, name: ada}]
`

// bucketKeys lists every object on b.
func bucketKeys(t *testing.T, b *blob.Bucket) []string {
	t.Helper()
	var keys []string
	it := b.List(nil)
	for {
		obj, err := it.Next(t.Context())
		if err != nil {
			if errors.Is(err, io.EOF) {
				return keys
			}
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
}

// TestStoreRealAuthorizer runs every Store operation through the rbac
// package's compiled authorizer: which questions are asked, that granted
// ones work, that a refused commit or push writes nothing, and that a
// context without a subject is refused with rbac.ErrNoSubject.
func TestStoreRealAuthorizer(t *testing.T) {
	b, _ := testbucket.Open(t, "mem")
	ab, err := artifact.NewBucket(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := artifact.New(ab, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &rbactest.Recorder{Next: rbactest.New(t, rbacPolicy)}
	s, err := New(blobs, &Options{Authorizer: rec})
	if err != nil {
		t.Fatal(err)
	}
	bg := t.Context()
	ada := rbac.WithSubject(bg, rbac.Subject{Name: "ada"})
	rob := rbac.WithSubject(bg, rbac.Subject{Name: "rob"})

	src := makeTree(t, map[string]string{"a.csv": "t,v\n1,2\n", "b/c.csv": "t,v\n3,4\n"})
	type call struct{ Subject, Verb, Resource, Name string }
	calls := func() []call {
		var out []call
		for _, c := range rec.Calls() {
			if c.Err != nil {
				out = append(out, call{c.Subject.Name, c.Verb, c.Resource, c.Name + " DENIED"})
				continue
			}
			out = append(out, call{c.Subject.Name, c.Verb, c.Resource, c.Name})
		}
		return out
	}

	// Granted: every operation ada and rob are allowed works, and asks
	// exactly one question per resolution.
	v, err := s.Commit(ada, "sensors", src, &CommitOptions{Tags: []string{"gold"}})
	if err != nil {
		t.Fatalf("commit as ada: %v", err)
	}
	m, err := s.Manifest(bg, v.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	mname := v.Manifest.ResourceName()
	if err := s.Tag(ada, "sensors", 1, "silver"); err != nil {
		t.Fatalf("tag as ada: %v", err)
	}
	if vs, err := s.Versions(rob, "sensors"); err != nil || len(vs) != 1 {
		t.Fatalf("versions as rob: %v, %v", vs, err)
	}
	if got, err := s.Resolve(rob, "sensors", "gold"); err != nil || got.Manifest != v.Manifest {
		t.Fatalf("resolve as rob: %v, %v", got, err)
	}
	out := t.TempDir()
	if _, tr, err := s.Checkout(rob, "sensors", "latest", out, nil); err != nil || tr.Files != 2 {
		t.Fatalf("checkout as rob: %v, %v", tr, err)
	}
	if diff := cmp.Diff(readTree(t, src), readTree(t, out)); diff != "" {
		t.Fatalf("checkout as rob (-want +got):\n%s", diff)
	}
	ch, err := s.Status(rob, "sensors", "1", out)
	if err != nil {
		t.Fatalf("status as rob: %v", err)
	}
	if diff := cmp.Diff(Changes{Unchanged: []string{"a.csv", "b/c.csv"}}, ch); diff != "" {
		t.Fatalf("status as rob (-want +got):\n%s", diff)
	}
	if _, err := s.Diff(rob, "sensors", "1", "gold"); err != nil {
		t.Fatalf("diff as rob: %v", err)
	}
	if _, _, err := s.Push(ada, src); err != nil {
		t.Fatalf("push as ada: %v", err)
	}
	if _, err := s.Pull(rob, m, t.TempDir(), nil); err != nil {
		t.Fatalf("pull as rob: %v", err)
	}
	want := []call{
		{"ada", "create", "datasets", "sensors"},
		{"ada", "update", "datasets", "sensors"},
		{"rob", "list", "datasets", "sensors"},
		{"rob", "get", "datasets", "sensors"},
		{"rob", "get", "datasets", "sensors"}, // checkout
		{"rob", "get", "datasets", "sensors"}, // status
		{"rob", "get", "datasets", "sensors"}, // diff: from
		{"rob", "get", "datasets", "sensors"}, // diff: to
		{"ada", "create", "artifacts", mname}, // push
		{"rob", "get", "artifacts", mname},    // pull
	}
	if diff := cmp.Diff(want, calls()); diff != "" {
		t.Fatalf("questions asked (-want +got):\n%s", diff)
	}

	// Refused: rob may not commit, tag or push; ada may not commit another
	// dataset. Nothing is written to the bucket by any of them.
	before := bucketKeys(t, b)
	fresh := makeTree(t, map[string]string{"new.csv": "t,v\n9,9\n"})
	fm := hashManifest(t, fresh)
	rec2 := &rbactest.Recorder{Next: rec.Next}
	s.opts.Authorizer = rec2
	rec = rec2
	denied := []struct {
		name string
		call func() error
		want call
	}{
		{"rob commits", func() error { _, err := s.Commit(rob, "sensors", fresh, nil); return err },
			call{"rob", "create", "datasets", "sensors DENIED"}},
		{"ada commits another dataset", func() error { _, err := s.Commit(ada, "other", fresh, nil); return err },
			call{"ada", "create", "datasets", "other DENIED"}},
		{"rob tags", func() error { return s.Tag(rob, "sensors", 1, "mine") },
			call{"rob", "update", "datasets", "sensors DENIED"}},
		{"rob pushes", func() error { _, _, err := s.Push(rob, fresh); return err },
			call{"rob", "create", "artifacts", fm.Digest().ResourceName() + " DENIED"}},
		{"ada lists another dataset", func() error { _, err := s.Versions(ada, "other"); return err },
			call{"ada", "list", "datasets", "other DENIED"}},
	}
	var wantDenied []call
	for _, tc := range denied {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, rbac.ErrDenied) {
				t.Fatalf("got %v, want an error matching rbac.ErrDenied", err)
			}
		})
		wantDenied = append(wantDenied, tc.want)
	}
	if diff := cmp.Diff(wantDenied, calls()); diff != "" {
		t.Errorf("questions asked (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, bucketKeys(t, b)); diff != "" {
		t.Errorf("refused operations wrote to the bucket (-before +after):\n%s", diff)
	}
	if vs, err := s.Versions(ada, "sensors"); err != nil || len(vs) != 1 {
		t.Errorf("after refused commits, versions = %v, %v; want only version 1", vs, err)
	}

	// No subject: every operation is refused with ErrNoSubject, which is
	// not a denial.
	noSubject := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"commit", func(ctx context.Context) error { _, err := s.Commit(ctx, "sensors", fresh, nil); return err }},
		{"tag", func(ctx context.Context) error { return s.Tag(ctx, "sensors", 1, "x") }},
		{"versions", func(ctx context.Context) error { _, err := s.Versions(ctx, "sensors"); return err }},
		{"resolve", func(ctx context.Context) error { _, err := s.Resolve(ctx, "sensors", ""); return err }},
		{"checkout", func(ctx context.Context) error {
			_, _, err := s.Checkout(ctx, "sensors", "", t.TempDir(), nil)
			return err
		}},
		{"status", func(ctx context.Context) error { _, err := s.Status(ctx, "sensors", "", out); return err }},
		{"diff", func(ctx context.Context) error { _, err := s.Diff(ctx, "sensors", "1", "1"); return err }},
		{"push", func(ctx context.Context) error { _, _, err := s.Push(ctx, fresh); return err }},
		{"pull", func(ctx context.Context) error { _, err := s.Pull(ctx, m, t.TempDir(), nil); return err }},
	}
	for _, tc := range noSubject {
		t.Run("no subject/"+tc.name, func(t *testing.T) {
			err := tc.call(bg)
			if !errors.Is(err, rbac.ErrNoSubject) || errors.Is(err, rbac.ErrDenied) {
				t.Fatalf("got %v, want an error matching rbac.ErrNoSubject only", err)
			}
		})
	}
	if diff := cmp.Diff(before, bucketKeys(t, b)); diff != "" {
		t.Errorf("operations without a subject wrote to the bucket (-before +after):\n%s", diff)
	}
}
