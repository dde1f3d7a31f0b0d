package dvc_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sextant-ml/sextant/dataset/dvc"
	"gocloud.dev/blob/memblob"
)

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func ExampleHashListing() {
	entries := []dvc.DirEntry{
		{MD5: md5hex("foo"), RelPath: "foo"},
		{MD5: md5hex("bar"), RelPath: "bar"},
		{MD5: md5hex("file"), RelPath: "nested/file"},
	}
	fmt.Println(dvc.HashListing(entries))
	// Output: 5fc28ea78987408341668eba6525ebd1.dir
}

func ExampleRemote_Push() {
	ctx := context.Background()
	bucket := memblob.OpenBucket(nil)
	defer bucket.Close()
	dir, _ := os.MkdirTemp("", "dvc-example")
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "data")
	os.MkdirAll(filepath.Join(data, "nested"), 0o755)
	os.WriteFile(filepath.Join(data, "foo"), []byte("foo"), 0o644)
	os.WriteFile(filepath.Join(data, "bar"), []byte("bar"), 0o644)
	os.WriteFile(filepath.Join(data, "nested", "file"), []byte("file"), 0o644)

	remote := dvc.NewRemote(bucket, nil)
	out, err := remote.Push(ctx, data)
	if err != nil {
		panic(err)
	}
	file, _ := (&dvc.File{Outs: []dvc.Out{out}}).Marshal()
	fmt.Print(string(file))
	// Output:
	// outs:
	// - md5: 5fc28ea78987408341668eba6525ebd1.dir
	//   size: 10
	//   nfiles: 3
	//   hash: md5
	//   path: data
}
