// Package datasettest provides real, in-memory dataset stores for tests:
// New returns a Store on a fresh mem:// bucket in one call, NewVersion a
// Store holding a version committed from a map of files; Commit adds
// versions, WriteTree and ReadTree turn maps of files into directories and
// back, Corrupt damages stored bytes for failure tests, and Consumer says
// what a Store asks an Authorizer, for rbactest.RunConformance.
package datasettest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sextant-ml/sextant/artifact/artifacttest"
	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/dataset/internal/testtree"
	"github.com/sextant-ml/sextant/rbac"
	"github.com/sextant-ml/sextant/rbac/rbactest"
)

// New returns a Store on a fresh, empty mem:// bucket, closed when the test
// ends. opts may be nil.
func New(t testing.TB, opts *dataset.Options) *dataset.Store {
	t.Helper()
	s, err := dataset.Open(context.Background(), "mem://", opts)
	if err != nil {
		t.Fatalf("datasettest: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// WriteTree writes files (slash-separated path to content) under a new
// temporary directory and returns it.
func WriteTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	testtree.Write(t, dir, files)
	return dir
}

// ReadTree returns every regular file under dir as a map of slash-separated
// paths to contents, to compare a checkout with what was committed.
func ReadTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	return testtree.Read(t, dir)
}

// Commit commits files as the next version of dataset name in s.
func Commit(t testing.TB, s *dataset.Store, name string, files map[string]string) dataset.Version {
	t.Helper()
	v, err := s.Commit(context.Background(), name, WriteTree(t, files), nil)
	if err != nil {
		t.Fatalf("datasettest: commit %s: %v", name, err)
	}
	return v
}

// NewVersion returns version 1 of dataset name holding files, committed
// to a fresh in-memory Store, which it returns too.
func NewVersion(t testing.TB, name string, files map[string]string) (*dataset.Store, dataset.Version) {
	t.Helper()
	s := New(t, nil)
	return s, Commit(t, s, name, files)
}

// Corrupt overwrites the stored bytes of file path of version v with
// different bytes, so that a checkout of v must fail with
// dataset.ErrDigestMismatch.
func Corrupt(t testing.TB, s *dataset.Store, v dataset.Version, path string) {
	t.Helper()
	ctx := context.Background()
	m, err := s.Manifest(ctx, v.Manifest)
	if err != nil {
		t.Fatalf("datasettest: %v", err)
	}
	e, ok := m.Lookup(path)
	if !ok {
		t.Fatalf("datasettest: version %d of %s has no file %q", v.Number, v.Dataset, path)
	}
	artifacttest.Tamper(t, s.Artifacts(), e.Digest, []byte("corrupted by datasettest"))
}

// Consumer describes what a dataset.Store asks an authorizer, for
// rbactest.RunConformance: "create", "update", "get" and "list" on
// "datasets", "create" and "get" on "artifacts" (Push and Pull), and an
// Exercise that commits, tags and reads as the allowed
// subject and checks that a commit by the denied one fails with the
// authorizer's error and leaves no version.
func Consumer() rbactest.Consumer {
	var qs []rbactest.Question
	for _, verb := range []string{rbac.VerbCreate, rbac.VerbUpdate, rbac.VerbGet, rbac.VerbList} {
		qs = append(qs, rbactest.Question{Verb: verb, Resource: rbac.ResourceDatasets})
	}
	qs = append(qs, rbactest.Question{Verb: rbac.VerbCreate, Resource: rbac.ResourceArtifacts},
		rbactest.Question{Verb: rbac.VerbGet, Resource: rbac.ResourceArtifacts})
	return rbactest.Consumer{Name: "dataset", Questions: qs, Exercise: exercise}
}

func exercise(t *testing.T, setup rbactest.Setup) {
	az, allowed, denied := setup.Authorizer, setup.Allowed, setup.Denied
	s := New(t, &dataset.Options{Authorizer: az})
	v, err := s.Commit(allowed, "d", WriteTree(t, map[string]string{"f": "x"}), &dataset.CommitOptions{Tags: []string{"t"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve(allowed, "d", "t"); err != nil {
		t.Error(err)
	}
	if err := s.Tag(allowed, "d", v.Number, "u"); err != nil {
		t.Error(err)
	}
	if _, err := s.Versions(allowed, "d"); err != nil {
		t.Error(err)
	}
	want := az.Authorize(denied, rbac.VerbCreate, rbac.ResourceDatasets, "e")
	if want == nil {
		t.Fatal("the denied subject is allowed")
	}
	if _, err := s.Commit(denied, "e", WriteTree(t, map[string]string{"f": "x"}), nil); err == nil || (!errors.Is(err, want) && !strings.Contains(err.Error(), want.Error())) {
		t.Errorf("Commit by the denied subject: %v, want the authorizer's error %v", err, want)
	}
	if _, err := s.Versions(allowed, "e"); !errors.Is(err, dataset.ErrNotFound) {
		t.Errorf("a denied commit left a version: %v", err)
	}
}
