package artifact_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/artifact/artifacttest"
)

// guarded returns a bucket over a fault-injecting memblob with the given
// timeout and retries, and its faults.
func guarded(t *testing.T, timeout time.Duration, retries int) (*artifact.Bucket, *artifacttest.Faults) {
	t.Helper()
	fb, f := artifacttest.NewFaultyBucket(t)
	b, err := artifact.NewBucket(fb.Blob(), &artifact.BucketOptions{Timeout: timeout, Retries: retries})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WriteAll(context.Background(), "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	f.Reset()
	return b, f
}

func TestBucketTimeoutEndsStalledCalls(t *testing.T) {
	b, f := guarded(t, 20*time.Millisecond, -1)
	f.Slow(artifacttest.OpRead, time.Hour)
	f.Slow(artifacttest.OpAttributes, time.Hour)
	ctx := context.Background()
	if _, err := b.ReadAll(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ReadAll on a stalled store = %v, want a deadline error", err)
	}
	if _, err := b.Attributes(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Attributes on a stalled store = %v, want a deadline error", err)
	}
}

func TestBucketRetries(t *testing.T) {
	ctx := context.Background()
	t.Run("a passing error is retried", func(t *testing.T) {
		b, f := guarded(t, time.Minute, 0) // default retries
		f.FailNth(artifacttest.OpRead, 1, nil)
		if data, err := b.ReadAll(ctx, "k"); err != nil || string(data) != "v" {
			t.Fatalf("ReadAll after one failure = %q, %v", data, err)
		}
		if n := f.Calls(artifacttest.OpRead); n != 2 {
			t.Fatalf("%d reads, want 2", n)
		}
	})
	t.Run("retries are bounded", func(t *testing.T) {
		b, f := guarded(t, time.Minute, 2)
		f.Fail(artifacttest.OpRead, nil)
		if _, err := b.ReadAll(ctx, "k"); !errors.Is(err, artifacttest.ErrInjected) {
			t.Fatalf("ReadAll on a failing store = %v", err)
		}
		if n := f.Calls(artifacttest.OpRead); n != 3 {
			t.Fatalf("%d reads, want 3 (one and two retries)", n)
		}
	})
	t.Run("none when disabled", func(t *testing.T) {
		b, f := guarded(t, time.Minute, -1)
		f.FailNth(artifacttest.OpRead, 1, nil)
		if _, err := b.ReadAll(ctx, "k"); err == nil {
			t.Fatal("ReadAll succeeded with retries disabled")
		}
		if n := f.Calls(artifacttest.OpRead); n != 1 {
			t.Fatalf("%d reads, want 1", n)
		}
	})
	t.Run("a verdict is not retried", func(t *testing.T) {
		b, f := guarded(t, time.Minute, 0)
		if _, err := b.ReadAll(ctx, "absent"); !errors.Is(err, artifact.ErrNotFound) {
			t.Fatal(err)
		}
		if n := f.Calls(artifacttest.OpRead); n != 1 {
			t.Fatalf("%d reads of a missing key, want 1", n)
		}
	})
	t.Run("create-only is not retried", func(t *testing.T) {
		b, f := guarded(t, time.Minute, 0)
		if err := b.CreateOnly(ctx, "first", []byte("x")); err != nil { // runs the probe
			t.Fatal(err)
		}
		f.Reset()
		f.FailNth(artifacttest.OpWrite, 1, nil)
		if err := b.CreateOnly(ctx, "second", []byte("x")); !errors.Is(err, artifacttest.ErrInjected) {
			t.Fatalf("CreateOnly = %v", err)
		}
		if n := f.Calls(artifacttest.OpWrite); n != 1 {
			t.Fatalf("%d writes, want 1: a repeated create could not tell its own write from another's", n)
		}
	})
}

func TestBucketProbesOnce(t *testing.T) {
	// The s3 case (a store that ignores If-None-Match) is in
	// internal/logstore's fault tests; here a store that honours it passes
	// the probe once and is not probed again.
	b, f := guarded(t, time.Minute, 0)
	ctx := context.Background()
	for i, key := range []string{"a", "b", "c"} {
		if err := b.CreateOnly(ctx, key, []byte("x")); err != nil {
			t.Fatal(err)
		}
		want := 3 + i // two probe creates, then one write per call
		if n := f.Calls(artifacttest.OpWrite); n != want {
			t.Fatalf("after %d creates: %d writes, want %d", i+1, n, want)
		}
	}
}
