package registry_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sextant-ml/sextant/artifact"
	"github.com/sextant-ml/sextant/internal/s3test"
	"github.com/sextant-ml/sextant/registry"
)

const (
	childURLEnv = "SEXTANT_REGISTRY_RACE_URL"
	childIDEnv  = "SEXTANT_REGISTRY_RACE_ID"
	processes   = 4
	goroutines  = 8
)

// TestMultiProcess runs 4 processes (this test binary, re-executed) of 8
// goroutines each, all registering a version of one model and then moving
// its production alias to that version, on one file:// bucket and on one S3
// server.
func TestMultiProcess(t *testing.T) {
	t.Parallel()
	t.Run("file", func(t *testing.T) {
		t.Parallel()
		url := "file://" + filepath.ToSlash(t.TempDir())
		raceProcesses(t, url, nil, openBucket(t, url))
	})
	t.Run("s3", func(t *testing.T) {
		t.Parallel()
		srv := s3test.Start(t)
		b, err := artifact.NewBucket(srv.Bucket(t, "race"), nil)
		if err != nil {
			t.Fatal(err)
		}
		env := []string{"AWS_ACCESS_KEY_ID=" + s3test.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s3test.SecretKey,
			"AWS_REGION=" + s3test.Region, "AWS_PROFILE="}
		raceProcesses(t, srv.URL("race"), env, b)
	})
}

// raceProcesses starts the processes on the bucket at url (b is the same
// bucket, opened here for checking) with env added to their environment.
func raceProcesses(t *testing.T, url string, env []string, b *artifact.Bucket) {
	ctx := context.Background()
	outs := make([]bytes.Buffer, processes)
	var wg sync.WaitGroup
	errs := make([]error, processes)
	for i := range processes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestMultiProcessChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), childURLEnv+"="+url, childIDEnv+"="+strconv.Itoa(i))
			cmd.Env = append(cmd.Env, env...)
			cmd.Stdout = &outs[i]
			cmd.Stderr = &outs[i]
			errs[i] = cmd.Run()
		}()
	}
	wg.Wait()
	registered := map[int]string{} // version -> writer
	var aliased []int
	for i := range processes {
		if errs[i] != nil {
			t.Fatalf("process %d: %v\n%s", i, errs[i], outs[i].String())
		}
		sc := bufio.NewScanner(&outs[i])
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 3 || (f[0] != "REG" && f[0] != "ALIAS") {
				continue
			}
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

// TestMultiProcessChild is the body of one racing process; it does nothing
// unless started by TestMultiProcess.
func TestMultiProcessChild(t *testing.T) {
	url := os.Getenv(childURLEnv)
	if url == "" {
		return
	}
	id := os.Getenv(childIDEnv)
	ctx := context.Background()
	store, err := artifact.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	r, err := registry.Open(ctx, store, &registry.Options{Actor: func(context.Context) string { return "proc-" + id }})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			writer := fmt.Sprintf("%s-%d", id, g)
			v, err := r.Register(ctx, "race", &registry.VersionSpec{
				Tags:  map[string]string{"writer": writer},
				Files: []registry.Upload{{Path: "model.bin", Body: strings.NewReader("weights of " + writer)}},
			})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			fmt.Printf("REG %s %d\n", writer, v.Number)
			mu.Unlock()
			if err := r.SetAlias(ctx, "race", "production", v.Number); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			fmt.Printf("ALIAS %s %d\n", writer, v.Number)
			mu.Unlock()
		}()
	}
	wg.Wait()
}
