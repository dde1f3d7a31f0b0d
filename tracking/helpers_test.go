package tracking_test

import (
	"context"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/tracking"
)

// newTracker returns a tracker on a fresh mem:// bucket, and its store.
func newTracker(t testing.TB, opts *tracking.Options) (*tracking.Tracker, *artifact.Store) {
	t.Helper()
	b, err := artifact.OpenBucket(context.Background(), "mem://")
	if err != nil {
		t.Fatal(err)
	}
	s, err := artifact.New(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if opts == nil {
		opts = &tracking.Options{User: func(context.Context) string { return "tester" }}
	}
	tr, err := tracking.Open(context.Background(), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	return tr, s
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
