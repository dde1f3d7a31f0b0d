package artifacttest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sextant-ml/sextant/artifact"
	"gocloud.dev/secrets/localsecrets"
)

func TestNewAndSeed(t *testing.T) {
	s := New(t, nil)
	ds := Seed(t, s, "one", "two", "one")
	want := []artifact.Descriptor{
		{Digest: artifact.FromBytes([]byte("one")), Size: 3},
		{Digest: artifact.FromBytes([]byte("two")), Size: 3},
		{Digest: artifact.FromBytes([]byte("one")), Size: 3},
	}
	if diff := cmp.Diff(want, ds); diff != "" {
		t.Fatalf("seed (-want +got):\n%s", diff)
	}
	got, err := s.Get(context.Background(), ds[1].Digest)
	if err != nil || string(got) != "two" {
		t.Fatalf("get: %q, %v", got, err)
	}
	n := 0
	if err := s.Walk(context.Background(), func(artifact.Info) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("walk: %d objects, %v", n, err)
	}
}

func keeper(t *testing.T) *artifact.Options {
	var k [32]byte
	kp := localsecrets.NewKeeper(k)
	t.Cleanup(func() { kp.Close() })
	return &artifact.Options{Keeper: kp, SegmentSize: 64}
}

func TestFaults(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	tests := []struct {
		name  string
		opts  func(t *testing.T) *artifact.Options
		setup func(f *Faults, d artifact.Digest)
		check func(t *testing.T, s *artifact.Store, f *Faults, d artifact.Digest)
	}{
		{
			name:  "fail the nth write",
			setup: func(f *Faults, _ artifact.Digest) { f.FailNth(OpWrite, f.Calls(OpWrite)+1, nil) },
			check: func(t *testing.T, s *artifact.Store, f *Faults, _ artifact.Digest) {
				_, err := s.Put(ctx, strings.NewReader("new content"), nil)
				if !errors.Is(err, ErrInjected) {
					t.Fatalf("put: err = %v, want ErrInjected", err)
				}
				if ok, _ := s.Exists(ctx, artifact.FromBytes([]byte("new content"))); ok {
					t.Fatal("failed upload is visible")
				}
				if _, err := s.Put(ctx, strings.NewReader("new content"), nil); err != nil {
					t.Fatalf("next put: %v", err)
				}
			},
		},
		{
			name:  "fail every read until reset",
			setup: func(f *Faults, _ artifact.Digest) { f.Fail(OpRead, boom) },
			check: func(t *testing.T, s *artifact.Store, f *Faults, d artifact.Digest) {
				before := f.Calls(OpRead)
				for range 2 {
					if _, err := s.Get(ctx, d); !errors.Is(err, boom) {
						t.Fatalf("get: err = %v, want boom", err)
					}
				}
				if got := f.Calls(OpRead) - before; got != 2 {
					t.Fatalf("Calls(OpRead) grew by %d, want 2", got)
				}
				f.Reset()
				if _, err := s.Get(ctx, d); err != nil {
					t.Fatalf("get after reset: %v", err)
				}
				if f.Calls(OpRead) != 1 {
					t.Fatalf("Calls(OpRead) after reset = %d, want 1", f.Calls(OpRead))
				}
			},
		},
		{
			name:  "hide",
			setup: func(f *Faults, d artifact.Digest) { f.Hide(d) },
			check: func(t *testing.T, s *artifact.Store, f *Faults, d artifact.Digest) {
				if _, err := s.Get(ctx, d); !errors.Is(err, artifact.ErrNotFound) {
					t.Fatalf("get: err = %v, want ErrNotFound", err)
				}
				if ok, err := s.Exists(ctx, d); ok || err != nil {
					t.Fatalf("exists: %v, %v", ok, err)
				}
				var seen []artifact.Digest
				s.Walk(ctx, func(i artifact.Info) error { seen = append(seen, i.Digest); return nil })
				if diff := cmp.Diff([]artifact.Digest{artifact.FromBytes([]byte("other"))}, seen); diff != "" {
					t.Fatalf("walk (-want +got):\n%s", diff)
				}
			},
		},
		{
			name:  "corrupt",
			setup: func(f *Faults, d artifact.Digest) { f.Corrupt(d) },
			check: func(t *testing.T, s *artifact.Store, f *Faults, d artifact.Digest) {
				if _, err := s.Get(ctx, d); !errors.Is(err, artifact.ErrDigestMismatch) {
					t.Fatalf("get: err = %v, want ErrDigestMismatch", err)
				}
				if got, err := s.Get(ctx, artifact.FromBytes([]byte("other"))); err != nil || string(got) != "other" {
					t.Fatalf("untouched object: %q, %v", got, err)
				}
				empty := Seed(t, s, "")[0].Digest
				f.Corrupt(empty)
				if _, err := s.Get(ctx, empty); !errors.Is(err, artifact.ErrDigestMismatch) {
					t.Fatalf("get empty: err = %v, want ErrDigestMismatch", err)
				}
			},
		},
		{
			name:  "corrupt encrypted",
			opts:  keeper,
			setup: func(f *Faults, d artifact.Digest) { f.Corrupt(d) },
			check: func(t *testing.T, s *artifact.Store, f *Faults, d artifact.Digest) {
				if _, err := s.Get(ctx, d); !errors.Is(err, artifact.ErrDecrypt) {
					t.Fatalf("get: err = %v, want ErrDecrypt", err)
				}
			},
		},
		{
			name:  "slow",
			setup: func(f *Faults, _ artifact.Digest) { f.Slow(OpRead, time.Minute) },
			check: func(t *testing.T, s *artifact.Store, f *Faults, d artifact.Digest) {
				ctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
				defer cancel()
				start := time.Now()
				if _, err := s.Get(ctx, d); !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("get: err = %v, want DeadlineExceeded", err)
				}
				if time.Since(start) > 10*time.Second {
					t.Fatal("slow read ignored the context")
				}
			},
		},
		{
			name:  "fail deletes",
			setup: func(f *Faults, _ artifact.Digest) { f.Fail(OpDelete, nil) },
			check: func(t *testing.T, s *artifact.Store, f *Faults, d artifact.Digest) {
				if err := s.Delete(ctx, d); !errors.Is(err, ErrInjected) {
					t.Fatalf("delete: err = %v, want ErrInjected", err)
				}
				if ok, _ := s.Exists(ctx, d); !ok {
					t.Fatal("failed delete removed the object")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts *artifact.Options
			if tt.opts != nil {
				opts = tt.opts(t)
			}
			s, f := NewFaultyStore(t, opts)
			ds := Seed(t, s, strings.Repeat("weights ", 100), "other")
			if got, err := s.Get(ctx, ds[0].Digest); err != nil || !bytes.Equal(got, []byte(strings.Repeat("weights ", 100))) {
				t.Fatalf("without faults: %v", err)
			}
			tt.setup(f, ds[0].Digest)
			tt.check(t, s, f, ds[0].Digest)
		})
	}
}

func TestFaultyBucketCounts(t *testing.T) {
	b, f := NewFaultyBucket(t)
	ctx := context.Background()
	if err := b.WriteAll(ctx, "x/y", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ReadAll(ctx, "x/y"); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateOnly(ctx, "x/y", []byte("2")); !errors.Is(err, artifact.ErrExist) {
		t.Fatalf("create-only over an existing key: %v", err)
	}
	got := map[Op]int{}
	for _, op := range []Op{OpRead, OpWrite, OpAttributes, OpList, OpCopy, OpDelete} {
		got[op] = f.Calls(op)
	}
	// The first CreateOnly of a Bucket probes the store's create-only
	// write first: two creates of a probe key and a delete of it.
	want := map[Op]int{OpRead: 1, OpWrite: 4, OpAttributes: 0, OpList: 0, OpCopy: 0, OpDelete: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("calls (-want +got):\n%s", diff)
	}
}

func TestNewWithEncryption(t *testing.T) {
	s := New(t, keeper(t))
	d := Seed(t, s, "secret")[0]
	info, err := s.Stat(context.Background(), d.Digest)
	if err != nil || info.Size != 6 || info.StoredSize <= 6 {
		t.Fatalf("stat: %+v, %v", info, err)
	}
	raw, err := s.Bucket().ReadAll(context.Background(), "cas/sha256/"+d.Digest.Hex()[:2]+"/"+d.Digest.Hex()[2:])
	if err != nil || bytes.Contains(raw, []byte("secret")) {
		t.Fatalf("stored bytes hold the plaintext (%v)", err)
	}
}

// TestTamper damages stored content in place, on a store with and without
// a prefix: the next read of it fails with ErrDigestMismatch, and other
// content stays readable.
func TestTamper(t *testing.T) {
	for _, prefix := range []string{"", "team/a"} {
		s := New(t, &artifact.Options{Prefix: prefix})
		ds := Seed(t, s, "kept", "damaged")
		Tamper(t, s, ds[1].Digest, []byte("other bytes"))
		if _, err := s.Get(t.Context(), ds[1].Digest); !errors.Is(err, artifact.ErrDigestMismatch) {
			t.Errorf("prefix %q: Get of tampered content = %v, want ErrDigestMismatch", prefix, err)
		}
		if got, err := s.Get(t.Context(), ds[0].Digest); err != nil || string(got) != "kept" {
			t.Errorf("prefix %q: Get of other content = %q, %v", prefix, got, err)
		}
	}
}
