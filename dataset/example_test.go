package dataset_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing/fstest"
	"time"

	"github.com/sextant-ml/sextant/dataset"
)

func ExampleHasher_HashFS() {
	fsys := fstest.MapFS{
		"data/a.csv": {Data: []byte("x\n1\n"), Mode: 0o644},
		"README":     {Data: []byte("foo"), Mode: 0o644},
	}
	h, err := dataset.NewHasher(nil)
	if err != nil {
		panic(err)
	}
	m, err := h.HashFS(context.Background(), fsys)
	if err != nil {
		panic(err)
	}
	for _, e := range m.Entries {
		fmt.Println(e.Path, e.Size, e.Digest[:19])
	}
	// Output:
	// README 3 sha256:2c26b46b68ff
	// data/a.csv 4 sha256:daff832f8020
}

func ExampleStore() {
	ctx := context.Background()
	s, err := dataset.Open(ctx, "mem://", nil)
	if err != nil {
		panic(err)
	}
	defer s.Close()

	dir, _ := os.MkdirTemp("", "dataset-example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "train.csv"), []byte("x,y\n1,2\n"), 0o644)
	v1, err := s.Commit(ctx, "sensors", dir, &dataset.CommitOptions{Tags: []string{"baseline"}})
	if err != nil {
		panic(err)
	}
	os.WriteFile(filepath.Join(dir, "test.csv"), []byte("x,y\n3,4\n"), 0o644)
	v2, _ := s.Commit(ctx, "sensors", dir, nil)
	fmt.Println("committed", v1.Number, v2.Number)

	changes, _ := s.Diff(ctx, "sensors", "baseline", "latest")
	fmt.Println("added", changes.Added, "unchanged", changes.Unchanged)

	out := filepath.Join(dir, "checkout")
	v, tr, err := s.Checkout(ctx, "sensors", "baseline", out, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("checked out version", v.Number, "files", tr.Files)
	// Output:
	// committed 1 2
	// added [test.csv] unchanged [train.csv]
	// checked out version 1 files 1
}

func ExampleDiff() {
	from := &dataset.Manifest{Entries: []dataset.Entry{
		{Path: "a", Size: 1, Digest: "sha256:" + fmt.Sprintf("%064x", 1), Mode: 0o644},
		{Path: "b", Size: 1, Digest: "sha256:" + fmt.Sprintf("%064x", 2), Mode: 0o644},
	}}
	to := &dataset.Manifest{Entries: []dataset.Entry{
		{Path: "a", Size: 1, Digest: "sha256:" + fmt.Sprintf("%064x", 3), Mode: 0o644},
		{Path: "c", Size: 1, Digest: "sha256:" + fmt.Sprintf("%064x", 2), Mode: 0o644},
	}}
	c := dataset.Diff(from, to)
	fmt.Println(c.Added, c.Modified, c.Deleted)
	// Output: [c] [a] [b]
}

func ExampleStatCache() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "statcache-example")
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

	// Real code would use OpenStatCache(ctx, nil): the default location
	// under the user's cache directory.
	cache, err := dataset.OpenStatCache(ctx, &dataset.StatCacheOptions{Path: filepath.Join(dir, "statcache")})
	if err != nil {
		panic(err)
	}
	var last dataset.Progress
	h, _ := dataset.NewHasher(&dataset.HashOptions{Cache: cache, Progress: func(p dataset.Progress) { last = p }})
	h.HashDir(ctx, data)
	fmt.Println("first pass read", last.FilesDone-last.FilesCached, "files")
	if err := cache.Save(ctx); err != nil {
		panic(err)
	}

	// Another run, another process: the saved cache answers.
	cache, _ = dataset.OpenStatCache(ctx, &dataset.StatCacheOptions{Path: filepath.Join(dir, "statcache")})
	h, _ = dataset.NewHasher(&dataset.HashOptions{Cache: cache, Progress: func(p dataset.Progress) { last = p }})
	h.HashDir(ctx, data)
	fmt.Println("second pass read", last.FilesDone-last.FilesCached, "files")
	// Output:
	// first pass read 2 files
	// second pass read 0 files
}
