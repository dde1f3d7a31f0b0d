// Package datasettest provides real, in-memory dataset stores for tests:
// a Store on a fresh mem:// bucket in one call, committed versions from a
// map of files, fault injection (corrupting stored bytes), and a
// conformance suite for Authorizer implementations.
package datasettest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/dataset/internal/testtree"
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

// NewCommitted returns a fresh in-memory Store holding version 1 of
// dataset name with files.
func NewCommitted(t testing.TB, name string, files map[string]string) (*dataset.Store, dataset.Version) {
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
	d, err := artifact.ParseDigest(e.Digest)
	if err != nil {
		t.Fatalf("datasettest: file %q of version %d: %v", path, v.Number, err)
	}
	key := "cas/sha256/" + d.Hex()[:2] + "/" + d.Hex()[2:]
	if err := s.Artifacts().Bucket().WriteAll(ctx, key, []byte("corrupted by datasettest")); err != nil {
		t.Fatalf("datasettest: corrupt %s: %v", key, err)
	}
}

// RunConformance checks an Authorizer implementation against what a
// dataset.Store expects of it. newAuthorizer returns the authorizer and two
// contexts: one whose subject may do everything to datasets, one whose
// subject may do nothing. One subtest per behaviour.
func RunConformance(t *testing.T, newAuthorizer func(t *testing.T) (az dataset.Authorizer, allowed, denied context.Context)) {
	verbs := []string{"create", "update", "get", "list"}
	t.Run("allows", func(t *testing.T) {
		az, allowed, _ := newAuthorizer(t)
		for _, verb := range verbs {
			if err := az.Authorize(allowed, verb, "datasets", "d"); err != nil {
				t.Errorf("Authorize(%s datasets d) = %v for the allowed subject", verb, err)
			}
		}
	})
	t.Run("denies", func(t *testing.T) {
		az, _, denied := newAuthorizer(t)
		for _, verb := range verbs {
			if err := az.Authorize(denied, verb, "datasets", "d"); err == nil {
				t.Errorf("Authorize(%s datasets d) allowed the denied subject", verb)
			}
		}
	})
	t.Run("store allows", func(t *testing.T) {
		az, allowed, _ := newAuthorizer(t)
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
	})
	t.Run("store denies with the authorizer's error", func(t *testing.T) {
		az, allowed, denied := newAuthorizer(t)
		want := az.Authorize(denied, "create", "datasets", "d")
		if want == nil {
			t.Fatal("the denied subject is allowed")
		}
		s := New(t, &dataset.Options{Authorizer: az})
		_, err := s.Commit(denied, "d", WriteTree(t, map[string]string{"f": "x"}), nil)
		if err == nil || (!errors.Is(err, want) && !strings.Contains(err.Error(), want.Error())) {
			t.Errorf("Commit by the denied subject: %v, want the authorizer's error %v", err, want)
		}
		if _, err := s.Versions(allowed, "d"); !errors.Is(err, dataset.ErrNotFound) {
			t.Errorf("a denied commit left a version: %v", err)
		}
	})
}
