package deploy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/blob/memblob"

	"github.com/sextant-ml/sextant/deploy"
)

func FuzzStoreLoad(f *testing.F) {
	f.Add([]byte(`{"model":"m","stable":"a","canary":"b","phase":"paused","step":2,"weight":25,"stepStarted":"2026-01-02T03:04:05Z","analysis":{"measurements":1,"last":"2026-01-02T03:05:05Z"},"reason":"x","revision":4,"updated":"2026-01-02T03:05:06Z"}`))
	f.Add([]byte(`{"phase": 3}`))
	f.Add([]byte(`{"stepStarted":"yesterday"}`))
	f.Add([]byte(`null`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		ctx := context.Background()
		bucket := memblob.OpenBucket(nil)
		defer bucket.Close()
		if err := bucket.WriteAll(ctx, "s.json", b, nil); err != nil {
			t.Fatal(err)
		}
		s, _ := deploy.NewBlobStore(bucket, "s.json")
		st, err := s.Load(ctx)
		if err != nil {
			if !errors.Is(err, deploy.ErrInvalid) {
				t.Fatalf("Load error %v does not match ErrInvalid", err)
			}
			return
		}
		if err := s.Save(ctx, st); err != nil {
			return // a time outside what JSON can hold, for instance
		}
		back, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("reloading a saved state: %v", err)
		}
		if diff := cmp.Diff(st, back); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
