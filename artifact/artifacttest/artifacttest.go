// Package artifacttest provides ready, real artifact stores for tests: an
// in-memory Store in one call, helpers to seed it, and a fault-injecting
// bucket for testing how code built on a Store copes with storage that
// fails, loses objects, returns corrupted bytes or is slow.
//
// Everything here is a real implementation: the stores are
// artifact.Store on memblob, and the faulty bucket is a gocloud driver that
// forwards to memblob. Every helper registers its cleanup with t.Cleanup.
package artifacttest

import (
	"context"
	"strings"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
)

// New returns an empty Store on a fresh mem:// bucket, closed when the
// test ends. A nil opts is the zero artifact.Options (no encryption); pass
// a Keeper from gocloud.dev/secrets/localsecrets to test with encryption.
func New(t testing.TB, opts *artifact.Options) *artifact.Store {
	t.Helper()
	s, err := artifact.Open(context.Background(), "mem://", opts)
	if err != nil {
		t.Fatalf("artifacttest: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// NewBucket returns a fresh mem:// Bucket, closed when the test ends: the
// ground a registry, a dataset store, a pipeline or a rollout store keeps
// its state on.
func NewBucket(t testing.TB) *artifact.Bucket {
	t.Helper()
	b, err := artifact.OpenBucket(context.Background(), "mem://")
	if err != nil {
		t.Fatalf("artifacttest: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// Seed stores each content in s and returns the descriptors in the same
// order. It fails the test on any error.
func Seed(t testing.TB, s *artifact.Store, contents ...string) []artifact.Descriptor {
	t.Helper()
	ds := make([]artifact.Descriptor, len(contents))
	for i, c := range contents {
		d, err := s.Put(context.Background(), strings.NewReader(c), nil)
		if err != nil {
			t.Fatalf("artifacttest: seed %d: %v", i, err)
		}
		ds[i] = d
	}
	return ds
}

// Tamper replaces the stored bytes of content d in s with data, under the
// key Put stored them at (Store.Key); reading d afterwards fails with
// artifact.ErrDigestMismatch. Unlike Faults.Corrupt, which damages reads
// through a faulty bucket, the damage is in the store itself, as a failed
// disk or a hostile writer leaves it.
func Tamper(t testing.TB, s *artifact.Store, d artifact.Digest, data []byte) {
	t.Helper()
	key, err := s.Key(d)
	if err != nil {
		t.Fatalf("artifacttest: tamper: %v", err)
	}
	if err := s.Bucket().WriteAll(context.Background(), key, data); err != nil {
		t.Fatalf("artifacttest: tamper %s: %v", key, err)
	}
}

// NewFaultyBucket returns a Bucket on a fresh in-memory store whose
// operations can be made to fail, hide objects, corrupt reads or slow
// down through the returned Faults. It starts without faults.
func NewFaultyBucket(t testing.TB) (*artifact.Bucket, *Faults) {
	t.Helper()
	bb, f := newFaultyBlob()
	b, err := artifact.NewBucket(bb, &artifact.BucketOptions{Owned: true})
	if err != nil {
		t.Fatalf("artifacttest: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b, f
}

// NewFaultyStore returns a Store on NewFaultyBucket. A nil opts is the zero
// artifact.Options.
func NewFaultyStore(t testing.TB, opts *artifact.Options) (*artifact.Store, *Faults) {
	t.Helper()
	b, f := NewFaultyBucket(t)
	s, err := artifact.New(b, opts)
	if err != nil {
		t.Fatalf("artifacttest: %v", err)
	}
	return s, f
}
