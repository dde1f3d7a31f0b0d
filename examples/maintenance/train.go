package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// trainOnly is the CI form of step 1 (go run ./examples/maintenance -train
// DIR): train on the sensor history and write DIR/data/readings.csv (the
// training data), DIR/model/model.json, DIR/metrics.json and DIR/params.json
// for sextant-gate to version, register, gate and promote.
func trainOnly(cfg Config, out io.Writer) error {
	if err := cfg.defaults(); err != nil {
		return err
	}
	dir := cfg.Dir
	gen := newGenerator(cfg.Seed, cfg.HorizonHours)
	history := gen.batch(cfg.TrainRows, Ageing{}, 0)
	if err := history.writeCSV(filepath.Join(dir, "data", "readings.csv")); err != nil {
		return err
	}
	tr, test := history.split(0.25)
	m, err := train(tr, trainCfg)
	if err != nil {
		return err
	}
	mt, err := evaluate(m, test)
	if err != nil {
		return err
	}
	body, err := m.encode()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "model"), 0o755); err != nil {
		return err
	}
	files := map[string]any{"metrics.json": mt.registry(), "params.json": trainCfg.params()}
	for name, v := range files {
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "model", modelFile), body, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "trained on %d rows; holdout: %s\nwrote %s\n", len(tr.X), mt, dir)
	return nil
}
