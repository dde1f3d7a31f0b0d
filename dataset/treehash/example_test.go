package treehash_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing/fstest"
	"time"

	"github.com/sextant-ml/sextant/dataset/treehash"
)

func ExampleHasher_HashFS() {
	fsys := fstest.MapFS{
		"data/a.csv": {Data: []byte("x\n1\n"), Mode: 0o644},
		"README":     {Data: []byte("foo"), Mode: 0o644},
	}
	h, err := treehash.New(nil)
	if err != nil {
		panic(err)
	}
	files, err := h.HashFS(context.Background(), fsys)
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		fmt.Println(f.Path, f.Size, f.Sum.String()[:19])
	}
	// Output:
	// README 3 sha256:2c26b46b68ff
	// data/a.csv 4 sha256:daff832f8020
}

// DVC names a file by the bare hex MD5 of its bytes.
func ExampleSum_Hex() {
	h, _ := treehash.New(&treehash.Options{Algorithm: treehash.MD5})
	f, err := h.HashFS(context.Background(), fstest.MapFS{"foo": {Data: []byte("foo")}})
	if err != nil {
		panic(err)
	}
	fmt.Println(f[0].Sum.Algorithm(), f[0].Sum.Hex())
	fmt.Println(f[0].Sum)
	// Output:
	// md5 acbd18db4cc2f85cedef654fccc4a4d8
	// md5:acbd18db4cc2f85cedef654fccc4a4d8
}

func ExampleCache() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "treehash-example")
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "data")
	os.MkdirAll(data, 0o755)
	for _, name := range []string{"a.bin", "b.bin"} {
		p := filepath.Join(data, name)
		os.WriteFile(p, []byte(name), 0o644)
		// Files written in the last two seconds are not remembered (their
		// timestamp could still hide a change); these were written earlier.
		old := time.Now().Add(-time.Hour)
		os.Chtimes(p, old, old)
	}

	// Real code would use OpenCache(ctx, nil): the default location under
	// the user's cache directory.
	cache, err := treehash.OpenCache(ctx, &treehash.CacheOptions{Path: filepath.Join(dir, "statcache")})
	if err != nil {
		panic(err)
	}
	var last treehash.Progress
	h, _ := treehash.New(&treehash.Options{Cache: cache, Progress: func(p treehash.Progress) { last = p }})
	h.HashDir(ctx, data)
	fmt.Println("first pass read", last.FilesDone-last.FilesCached, "files")
	if err := cache.Save(ctx); err != nil {
		panic(err)
	}

	// Another run, another process: the saved cache answers.
	cache, _ = treehash.OpenCache(ctx, &treehash.CacheOptions{Path: filepath.Join(dir, "statcache")})
	h, _ = treehash.New(&treehash.Options{Cache: cache, Progress: func(p treehash.Progress) { last = p }})
	h.HashDir(ctx, data)
	fmt.Println("second pass read", last.FilesDone-last.FilesCached, "files")
	// Output:
	// first pass read 2 files
	// second pass read 0 files
}
