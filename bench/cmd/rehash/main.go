// Command rehash times, as whole processes, what a user's re-hash of an
// unchanged tree costs beside the least any such re-hash must do:
//
//	rehash make DIR N      writes N small files (2 to 6 KiB) under DIR
//	rehash hash DIR CACHE  hashes DIR with the stat cache persisted at CACHE
//	                       (opened, used and saved) through treehash, printing
//	                       the number of files hashed
//	rehash stat DIR        walks DIR and lstats every regular file, nothing more
//
// The figures program runs hash and stat alternately as separate processes
// and compares their CPU and wall times (see BENCHMARKS.md).
package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"

	"github.com/sextant-ml/sextant/dataset/treehash"
)

func main() {
	if p := os.Getenv("REHASH_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(os.Args[1:]); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "rehash:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: rehash make DIR N | hash DIR CACHE | stat DIR")
	}
	ctx := context.Background()
	switch args[0] {
	case "make":
		if len(args) != 3 {
			return fmt.Errorf("usage: rehash make DIR N")
		}
		n, err := strconv.Atoi(args[2])
		if err != nil {
			return err
		}
		return makeTree(args[1], n)
	case "hash":
		if len(args) != 3 {
			return fmt.Errorf("usage: rehash hash DIR CACHE")
		}
		cache, err := treehash.OpenCache(ctx, &treehash.CacheOptions{Path: args[2]})
		if err != nil {
			return err
		}
		h, err := treehash.New(&treehash.Options{Cache: cache})
		if err != nil {
			return err
		}
		files, err := h.HashDir(ctx, args[1])
		if err != nil {
			return err
		}
		if err := cache.Save(ctx); err != nil {
			return err
		}
		fmt.Println(len(files))
		return nil
	case "stat":
		n := 0
		err := filepath.WalkDir(args[1], func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			if _, err := os.Lstat(p); err != nil {
				return err
			}
			n++
			return nil
		})
		fmt.Println(n)
		return err
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// makeTree writes n files of 2 to 6 KiB, 100 to a directory.
func makeTree(dir string, n int) error {
	x := uint32(2463534242)
	for i := range n {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
		}
		p := make([]byte, 2<<10+i*7919%(4<<10))
		for j := range p {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			p[j] = byte(x)
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%05d.bin", i)), p, 0o644); err != nil {
			return err
		}
	}
	return nil
}
