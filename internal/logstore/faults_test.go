package logstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/logstore"
	"github.com/sextant-ml/sextant/internal/s3test"
)

// faultyLog opens a log on bucket name of the S3 server at endpoint
// through a client with f's faults, under a prefix of the test's own.
func faultyLog(t *testing.T, endpoint, name string, f *s3test.Faults, opts *artifact.BucketOptions) (*artifact.Bucket, *logstore.Log) {
	t.Helper()
	var o artifact.BucketOptions
	if opts != nil {
		o = *opts
	}
	o.Prefix = t.Name()
	b, err := artifact.NewBucket(s3test.NewFaultyBucket(t, endpoint, name, f), &o)
	if err != nil {
		t.Fatal(err)
	}
	l, err := logstore.Open(b, "registry/models/m")
	if err != nil {
		t.Fatal(err)
	}
	return b, l
}

// runS3Faults drives the log through the real AWS SDK against the S3
// server at endpoint with faults injected into the client: replies lost
// after committed creates, and a store that ignores If-None-Match.
func runS3Faults(t *testing.T, endpoint string) {
	ctx := context.Background()
	t.Run("lost replies write each entry once", func(t *testing.T) {
		var f s3test.Faults
		_, l := faultyLog(t, endpoint, "lost", &f, nil)
		// The probe's own create must get through; then lose replies.
		if _, err := appendData(ctx, l, "warm"); err != nil {
			t.Fatal(err)
		}
		want := []string{"warm"}
		for i := range 10 {
			f.DropCreateReplies.Store(1)
			p := fmt.Sprint(i)
			want = append(want, p)
			if _, err := appendData(ctx, l, p); err != nil {
				t.Fatalf("append %d: %v", i, err)
			}
		}
		if n := f.Dropped.Load(); n != 10 {
			t.Fatalf("%d replies dropped, want 10: the fault did not fire", n)
		}
		all, err := l.Read(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range all {
			got = append(got, payload(t, e.Data))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("log holds %v, want each append once: %v", got, want)
		}
	})
	t.Run("lost replies among racing writers", func(t *testing.T) {
		var f s3test.Faults
		_, l := faultyLog(t, endpoint, "lostrace", &f, nil)
		if _, err := appendData(ctx, l, "warm"); err != nil {
			t.Fatal(err)
		}
		const writers, each = 4, 6
		f.DropCreateReplies.Store(writers * each / 2) // about every other create's reply
		var wg sync.WaitGroup
		want := []string{"warm"}
		for w := range writers {
			for i := range each {
				want = append(want, fmt.Sprintf("w%d-%d", w, i))
			}
			wg.Go(func() {
				for i := range each {
					if _, err := appendData(ctx, l, fmt.Sprintf("w%d-%d", w, i)); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if f.Dropped.Load() == 0 {
			t.Fatal("no reply was dropped: the fault did not fire")
		}
		all, err := l.Read(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range all {
			got = append(got, payload(t, e.Data))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%d replies dropped; log holds %v, want each append once: %v", f.Dropped.Load(), got, want)
		}
	})
	t.Run("a store ignoring If-None-Match is refused", func(t *testing.T) {
		var f s3test.Faults
		f.StripIfNoneMatch.Store(true)
		_, l := faultyLog(t, endpoint, "strip", &f, nil)
		_, err := appendData(ctx, l, "x")
		if !errors.Is(err, artifact.ErrNotCreateOnly) {
			t.Fatalf("append on a store without create-only writes = %v, want ErrNotCreateOnly", err)
		}
		if entries, err := l.Read(ctx, 0); err != nil || len(entries) != 0 {
			t.Fatalf("the refused append left %d entries (%v)", len(entries), err)
		}
		// The documented way out: one writer, and the bucket says so.
		_, l = faultyLog(t, endpoint, "strip", &f, &artifact.BucketOptions{SingleWriter: true})
		for i := range 3 {
			if e, err := appendData(ctx, l, fmt.Sprint(i)); err != nil || e.Seq != uint64(i+1) {
				t.Fatalf("single-writer append %d = %d, %v", i, e.Seq, err)
			}
		}
	})
}

func TestS3Faults(t *testing.T) {
	runS3Faults(t, s3test.New(t).Endpoint())
}
