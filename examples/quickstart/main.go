// Command quickstart runs Sextant's whole loop on an embedded default: a
// local file:// bucket in a fresh directory, no credentials, no servers.
//
//	go run ./examples/quickstart            # work in a new temporary directory
//	go run ./examples/quickstart -dir DIR   # keep everything in DIR
//
// Each step prints what it did; the files it writes (the bucket, the drift
// report, the dashboard) stay in the directory it names at the end.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// demo is what every step shares: a scratch directory, the bucket every
// package stores its state in, and where to print the story.
type demo struct {
	dir       string    // scratch directory for local files (exists)
	bucketURL string    // file:// URL of the local bucket everything shares
	out       io.Writer // where the story is printed
}

func (d *demo) printf(format string, args ...any) {
	fmt.Fprintf(d.out, format, args...)
}

// step is one part of the tour.
type step struct {
	name string
	run  func(context.Context, *demo) error
}

// steps lists the tour in order: data and models first, then watching them
// in production, then changing what serves, under access control.
var steps = []step{
	{"artifact: a file stored by content, read back verified", artifactStep},
	{"dataset: sensor data versioned and a new batch validated", datasetStep},
	{"registry: the model registered, aliased and described", registryStep},
	{"drift: a shifted batch against the training profile", driftStep},
	{"monitor: Prometheus metrics, dashboard and alert rules", monitorStep},
	{"pipeline: a retraining job with retries, recorded", pipelineStep},
	{"deploy: a canary rollout decided by evidence", deployStep},
	{"rbac: who may promote", rbacStep},
}

func main() {
	dir := flag.String("dir", "", "directory for the bucket and outputs (default: a new temporary directory)")
	flag.Parse()
	if err := run(context.Background(), *dir, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string, out io.Writer) error {
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "sextant-quickstart-"); err != nil {
			return err
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	bucket := filepath.Join(dir, "bucket")
	if err := os.MkdirAll(bucket, 0o755); err != nil {
		return err
	}
	d := &demo{dir: dir, bucketURL: "file://" + filepath.ToSlash(bucket), out: out}
	d.printf("Sextant quickstart: bucket %s\n", d.bucketURL)
	start := time.Now()
	for _, s := range steps {
		d.printf("\n== %s\n", s.name)
		if err := s.run(ctx, d); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	d.printf("\nDone in %s. Everything is in %s\n", time.Since(start).Round(time.Millisecond), dir)
	return nil
}
