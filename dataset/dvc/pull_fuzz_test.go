package dvc

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gocloud.dev/blob/memblob"
)

// FuzzPullListing serves an arbitrary listing from a remote that holds an
// object for every well-formed MD5 it names, and pulls it: the pull either
// fails with a dvc error or writes exactly the listed files, all inside
// the destination.
func FuzzPullListing(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add([]byte(v.Listing))
	}
	f.Add([]byte(`[{"md5": "0cc175b9c0f1b6a831c399e269772661", "relpath": "../escape"}]`))
	f.Add([]byte(`[{"md5": "0cc175b9c0f1b6a831c399e269772661", "relpath": "a\u0085b"}]`))
	f.Add([]byte(`[{"md5": "0cc175b9c0f1b6a831c399e269772661", "relpath": "a"}, {"md5": "0cc175b9c0f1b6a831c399e269772661", "relpath": "a/b"}]`))
	f.Add([]byte(`[{"md5": "0cc175b9c0f1b6a831c399e269772661", "relpath": "x/y/z"}]`))
	// The remote's objects: the contents whose MD5s the seeds name.
	contents := []string{"a", "foo", "bar", "file", ""}
	f.Fuzz(func(t *testing.T, listing []byte) {
		ctx := t.Context()
		b := memblob.OpenBucket(nil)
		defer b.Close()
		for _, c := range contents {
			if err := b.WriteAll(ctx, ObjectKey(md5hex(c)), []byte(c), nil); err != nil {
				t.Fatal(err)
			}
		}
		h := md5hex(string(listing)) + DirSuffix
		if err := b.WriteAll(ctx, ObjectKey(h), listing, nil); err != nil {
			t.Fatal(err)
		}
		parent := t.TempDir()
		dest := filepath.Join(parent, "dest")
		err := NewRemote(b, &Options{Workers: 2, MaxListingBytes: 1 << 16}).PullOut(ctx, Out{MD5: h, Hash: "md5", Path: "d"}, dest)
		// Nothing but the destination appears beside it.
		if entries, _ := os.ReadDir(parent); len(entries) > 1 || (len(entries) == 1 && entries[0].Name() != "dest") {
			t.Fatalf("pull wrote beside its destination: %v", entries)
		}
		if err != nil {
			for _, e := range []error{ErrInvalidListing, ErrListingTooLarge, ErrNotFound, ErrDigestMismatch} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("untyped error: %v", err)
		}
		entries, perr := ParseListing(listing)
		if perr != nil {
			t.Fatalf("pull accepted a listing ParseListing refuses: %v", perr)
		}
		for _, e := range entries {
			got, rerr := os.ReadFile(filepath.Join(dest, "d", filepath.FromSlash(e.RelPath)))
			if rerr != nil || md5hex(string(got)) != e.MD5 {
				t.Fatalf("%s: %q, %v; want md5 %s", e.RelPath, got, rerr, e.MD5)
			}
		}
	})
}
