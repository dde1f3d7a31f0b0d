package main

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/sextant-ml/sextant/drift"
)

// driftStep fits a reference profile on the training data, persists it,
// and checks a production batch whose temperature sensor has drifted.
func driftStep(ctx context.Context, d *demo) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	sensors := func(n int, tempShift float64) drift.Data {
		temp, vib := make([]float64, n), make([]float64, n)
		site := make([]string, n)
		names, sites := []string{"north", "south", "east"}, []float64{0.5, 0.3, 0.2} // the same mix in both batches
		for i := range n {
			temp[i] = 21 + tempShift + 1.5*rng.NormFloat64()
			vib[i] = math.Exp(0.4 * rng.NormFloat64())
			u := rng.Float64()
			k := 0
			for k < len(sites)-1 && u >= sites[k] {
				u -= sites[k]
				k++
			}
			site[i] = names[k]
		}
		temp[n/2] = math.NaN() // a sensor glitch: counted and dropped
		return drift.Data{
			Numeric:     map[string][]float64{"temperature": temp, "vibration": vib},
			Categorical: map[string][]string{"site": site},
		}
	}
	training := sensors(5000, 0)
	production := sensors(800, 1.2)

	profile, err := drift.Fit(training, nil)
	if err != nil {
		return err
	}
	b, err := json.Marshal(profile)
	if err != nil {
		return err
	}
	profilePath := filepath.Join(d.dir, "drift-profile.json")
	if err := os.WriteFile(profilePath, b, 0o644); err != nil {
		return err
	}
	// Later, elsewhere: load the profile; the training data is not needed.
	loaded, err := drift.Parse(b)
	if err != nil {
		return err
	}
	report, err := loaded.Compare(production, nil)
	if err != nil {
		return err
	}
	d.printf("drift: profiled %d training rows into %s (%d bytes)\n", len(training.Numeric["temperature"]), profilePath, len(b))
	for _, c := range report.Columns {
		verdict := "ok"
		if c.Drifted {
			verdict = "DRIFT"
		}
		d.printf("drift:   %-12s %-15s score %.4f (threshold %.2f)  %s\n", c.Column, c.Method, c.Score, c.Threshold, verdict)
	}
	reportPath := filepath.Join(d.dir, "drift-report.html")
	f, err := os.Create(reportPath)
	if err != nil {
		return err
	}
	if err := report.WriteHTML(f, &drift.HTMLOptions{Title: "Sensor drift: production vs training"}); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	d.printf("drift: dataset drift %v (%d of %d columns); report at %s\n", report.Drifted, report.DriftedColumns, len(report.Columns), reportPath)
	return nil
}
