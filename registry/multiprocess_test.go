package registry_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/proctest"
	"github.com/sextant-ml/sextant/internal/s3test"
	"github.com/sextant-ml/sextant/registry"
)

const (
	childURLEnv = "SEXTANT_REGISTRY_RACE_URL" // one bucket URL a line
	processes   = 4
	goroutines  = 8
)

func TestMain(m *testing.M) {
	if id, ok := proctest.Child("race"); ok {
		proctest.Exit(raceAsChild(strings.Split(os.Getenv(childURLEnv), "\n"), id))
	}
	os.Exit(m.Run())
}

// TestMultiProcess runs 4 processes (this test binary, re-executed) of 8
// goroutines for each of two buckets, one file:// bucket and one bucket on
// an S3 server: every goroutine registers a version of one model and then
// moves its production alias to that version. Each process races on both
// buckets at once, so that 4 process starts serve both races.
func TestMultiProcess(t *testing.T) {
	t.Parallel()
	fileURL := "file://" + filepath.ToSlash(t.TempDir())
	srv := s3test.New(t)
	s3Bucket, err := artifact.NewBucket(srv.Bucket(t, "race"), nil)
	if err != nil {
		t.Fatal(err)
	}
	env := s3test.Env()
	env[childURLEnv] = strings.Join([]string{fileURL, srv.URL("race")}, "\n")
	outs := proctest.Run(t, "race", processes, env)
	t.Run("file", func(t *testing.T) { checkRace(t, outs, "0", openBucket(t, fileURL)) })
	t.Run("s3", func(t *testing.T) { checkRace(t, outs, "1", s3Bucket) })
}

// checkRace checks the race on bucket b (the bucket numbered bucketID in the
// processes' output, opened here for checking).
func checkRace(t *testing.T, outs []string, bucketID string, b *artifact.Bucket) {
	ctx := context.Background()
	registered := map[int]string{} // version -> writer
	var aliased []int
	for i := range processes {
		sc := bufio.NewScanner(strings.NewReader(outs[i]))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 4 || (f[0] != "REG" && f[0] != "ALIAS") || f[1] != bucketID {
				continue
			}
			f = append(f[:1], f[2:]...)
			n, _ := strconv.Atoi(f[2])
			if f[0] == "REG" {
				if prev, dup := registered[n]; dup {
					t.Fatalf("version %d given to both %s and %s", n, prev, f[1])
				}
				registered[n] = f[1]
			} else {
				aliased = append(aliased, n)
			}
		}
	}
	total := processes * goroutines
	if len(registered) != total || len(aliased) != total {
		t.Fatalf("%d registrations and %d alias moves reported, want %d each", len(registered), len(aliased), total)
	}
	for n := 1; n <= total; n++ {
		if _, ok := registered[n]; !ok {
			t.Fatalf("version %d missing: numbers are not 1..%d", n, total)
		}
	}
	r := newRegistry(t, b, nil)
	for n, writer := range registered {
		v, err := r.Get(ctx, "race/"+strconv.Itoa(n))
		if err != nil {
			t.Fatal(err)
		}
		if v.Tags["writer"] != writer || v.Author != "proc-"+strings.Split(writer, "-")[0] {
			t.Fatalf("version %d holds writer %q (author %q), but %s registered it", n, v.Tags["writer"], v.Author, writer)
		}
	}
	hist, err := r.History(ctx, "race")
	if err != nil {
		t.Fatal(err)
	}
	var moves []int
	prev := 0
	for _, e := range hist {
		if e.Type != registry.EventAliasSet {
			continue
		}
		if e.Previous != prev {
			t.Fatalf("move at entry %d says the alias was at %d, but the previous move set %d", e.Seq, e.Previous, prev)
		}
		prev = e.Version
		moves = append(moves, e.Version)
	}
	slices.Sort(moves)
	slices.Sort(aliased)
	if !slices.Equal(moves, aliased) {
		t.Fatalf("history moves %v, reported moves %v", moves, aliased)
	}
	final, err := r.Resolve(ctx, "race@production")
	if err != nil {
		t.Fatal(err)
	}
	if final != prev || !slices.Contains(aliased, final) {
		t.Fatalf("production = %d; last recorded move %d", final, prev)
	}
}

// raceAsChild is the body of one racing process of TestMultiProcess, number
// id, on the buckets at urls: it prints each registration and alias move.
func raceAsChild(urls []string, id int) error {
	ctx := context.Background()
	var mu sync.Mutex
	var errs []error
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for bucketID, url := range urls {
		store, err := artifact.Open(ctx, url, nil)
		if err != nil {
			return err
		}
		defer store.Close()
		r, err := registry.Open(ctx, store, &registry.Options{Actor: func(context.Context) string { return "proc-" + strconv.Itoa(id) }})
		if err != nil {
			return err
		}
		for g := range goroutines {
			wg.Go(func() {
				writer := fmt.Sprintf("%d-%d", id, g)
				v, err := r.Register(ctx, "race", &registry.VersionSpec{
					Tags:  map[string]string{"writer": writer},
					Files: []registry.Upload{{Path: "model.bin", Body: strings.NewReader("weights of " + writer)}},
				})
				if err != nil {
					fail(err)
					return
				}
				mu.Lock()
				fmt.Printf("REG %d %s %d\n", bucketID, writer, v.Number)
				mu.Unlock()
				if err := r.SetAlias(ctx, "race", "production", v.Number); err != nil {
					fail(err)
					return
				}
				mu.Lock()
				fmt.Printf("ALIAS %d %s %d\n", bucketID, writer, v.Number)
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	return errors.Join(errs...)
}
