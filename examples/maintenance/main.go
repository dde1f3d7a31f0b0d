// Command maintenance runs Sextant's whole loop on a predictive-maintenance
// model: pumps report temperature, vibration, pressure and rotation speed,
// and a logistic regression predicts a failure within the next hours.
//
//	go run ./examples/maintenance                      # local bucket in a new temporary directory
//	go run ./examples/maintenance -dir DIR             # keep everything in DIR
//	go run ./examples/maintenance -bucket 's3://b?region=eu-west-1&prefix=sextant'
//	go run ./examples/maintenance -train build   # CI: train only, write build/{data/,model/,metrics.json,params.json}
//
// The story it prints:
//
//  1. The training data is versioned (dataset), a model is trained,
//     registered as version 1 with its metrics, lineage and model card,
//     signed, and set as production by the release account.
//  2. Version 1 serves production traffic through a router with Prometheus
//     metrics, while the pumps' sensors age: readings drift.
//  3. The drift detector fires; the retraining pipeline snapshots fresh
//     data, trains, registers version 2 with the run as lineage, and the
//     promotion gate compares it with version 1 on the same fresh data.
//  4. A canary rollout moves 5%, 25%, then 100% of traffic to version 2
//     while analysis watches errors and latency; then a broken candidate is
//     rolled back at 5%.
//  5. Every step is authorised by rbac (the trainer may register but not
//     promote; the denied attempt is shown) and recorded: the registry's
//     history, the pipeline's run record and the audit log.
//
// It writes the drift report (HTML and JSON), the Grafana dashboard, the
// Prometheus alert rules, a metrics scrape and the audit log into the
// directory.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", "", "directory for local files: data snapshots, reports, dashboard (default: a new temporary directory)")
	bucket := flag.String("bucket", "", "bucket URL for the registry, datasets and run records, e.g. s3://bucket?region=eu-west-1 (default: file://DIR/bucket)")
	seed := flag.Uint64("seed", 1, "seed of the simulated fleet")
	trainDir := flag.String("train", "", "only train version 1 and write its files, metrics and params into this directory (for CI)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg := Config{Dir: *dir, BucketURL: *bucket, Seed: *seed}
	if *trainDir != "" {
		cfg.Dir = *trainDir
	}
	if cfg.Dir == "" {
		d, err := os.MkdirTemp("", "sextant-maintenance-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "maintenance:", err)
			os.Exit(1)
		}
		cfg.Dir = d
	}
	abs, err := filepath.Abs(cfg.Dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "maintenance:", err)
		os.Exit(1)
	}
	cfg.Dir = abs
	if *trainDir != "" {
		err = trainOnly(cfg, os.Stdout)
	} else {
		_, err = run(ctx, cfg, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "maintenance:", err)
		os.Exit(1)
	}
}
