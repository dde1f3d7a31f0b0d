package dataset_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing/fstest"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/dataset/treehash"
)

// A manifest of a tree hashed by package treehash, as Commit and Status
// make one.
func ExampleNewManifest() {
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
	m, err := dataset.NewManifest(files)
	if err != nil {
		panic(err)
	}
	for _, e := range m.Entries {
		fmt.Println(e.Path, e.Size, e.Digest[:19])
	}
	fmt.Println(m.Digest().Validate() == nil)
	// Output:
	// README 3 sha256:2c26b46b68ff
	// data/a.csv 4 sha256:daff832f8020
	// true
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

func digest(n int) artifact.Digest { return artifact.Digest(fmt.Sprintf("sha256:%064x", n)) }

func ExampleDiff() {
	from := &dataset.Manifest{Entries: []dataset.Entry{
		{Path: "a", Size: 1, Digest: digest(1), Mode: 0o644},
		{Path: "b", Size: 1, Digest: digest(2), Mode: 0o644},
	}}
	to := &dataset.Manifest{Entries: []dataset.Entry{
		{Path: "a", Size: 1, Digest: digest(3), Mode: 0o644},
		{Path: "c", Size: 1, Digest: digest(2), Mode: 0o644},
	}}
	c := dataset.Diff(from, to)
	fmt.Println(c.Added, c.Modified, c.Deleted)
	// Output: [c] [a] [b]
}
