package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sextant-ml/sextant/dataset"
	"github.com/sextant-ml/sextant/dataset/schema"
)

// datasetStep generates a small sensor dataset, commits it as a version,
// infers a schema from it and validates a new batch that has problems.
func datasetStep(ctx context.Context, d *demo) error {
	rng := rand.New(rand.NewPCG(2026, 4))
	sites := []string{"north", "south", "east"}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	sensorCSV := func(rows int, from int, broken bool) string {
		var b strings.Builder
		b.WriteString("reading_id,time,site,temp_c,humidity\n")
		for i := range rows {
			id := from + i
			site := sites[rng.IntN(len(sites))]
			temp := fmt.Sprintf("%.2f", 21+1.5*rng.NormFloat64())
			hum := fmt.Sprintf("%.1f", 40+5*rng.NormFloat64())
			if broken {
				switch i {
				case 3:
					temp = "85.00" // a stuck sensor
				case 7:
					site = "west" // a site the reference never had
				case 11:
					hum = "" // a dropped reading
				case 12:
					id = from + 11 // a replayed message
				}
			}
			fmt.Fprintf(&b, "%d,%s,%s,%s,%s\n", id, start.Add(time.Duration(id)*time.Minute).Format(time.RFC3339), site, temp, hum)
		}
		return b.String()
	}

	dataDir := filepath.Join(d.dir, "sensors")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	reference := sensorCSV(200, 1, false)
	if err := os.WriteFile(filepath.Join(dataDir, "readings.csv"), []byte(reference), 0o644); err != nil {
		return err
	}
	store, err := dataset.Open(ctx, d.bucketURL, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	v, err := store.Commit(ctx, "sensors", dataDir, &dataset.CommitOptions{Message: "November readings", Tags: []string{"training"}})
	if err != nil {
		return err
	}
	d.printf("committed dataset sensors v%d (%d file, %d bytes) as %s\n", v.Number, v.Files, v.Bytes, v.Manifest[:19])

	s, err := schema.Infer(ctx, strings.NewReader(reference), nil)
	if err != nil {
		return err
	}
	for i := range s.Columns {
		if s.Columns[i].Name == "reading_id" {
			// Edits a reviewer would make: identifiers are unique and grow.
			s.Columns[i].Unique = true
			s.Columns[i].Min, s.Columns[i].Max = nil, nil
		}
	}
	var types []string
	for _, c := range s.Columns {
		types = append(types, c.Name+":"+string(c.Type))
	}
	d.printf("inferred schema: %s\n", strings.Join(types, " "))

	report, err := s.Validate(ctx, strings.NewReader(sensorCSV(50, 201, true)), nil)
	if err != nil {
		return err
	}
	d.printf("new batch: %s", report)
	return nil
}
