package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Features are the sensor readings a model sees, in this order.
var Features = []string{"temperature", "vibration", "pressure", "rotation_speed"}

// Batch is a table of sensor readings with, when known, whether the machine
// failed within the horizon after the reading.
type Batch struct {
	X [][]float64 // one row per reading, columns as in Features
	Y []float64   // 1 = failed within the horizon, 0 = did not
}

// Ageing describes how production sensors drift away from the ones the first
// model was trained on. The machines do not change; the sensors do, so a
// model trained on the old readings misjudges the new ones.
type Ageing struct {
	// TemperatureOffset is the largest offset (°C) of an aged temperature
	// sensor; each machine's sensor reads high by a share of it.
	TemperatureOffset float64
	// VibrationGain multiplies what the vibration sensor reports.
	VibrationGain float64
}

// generator simulates a fleet of pumps. A machine's hazard of failing grows
// with its true temperature and vibration, with low pressure (cavitation) and
// with speed; the label is a failure within Horizon hours:
// P(fail) = 1 - exp(-hazard × horizon).
type generator struct {
	rng     *rand.Rand
	horizon float64
}

func newGenerator(seed uint64, horizonHours float64) *generator {
	return &generator{rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), horizon: horizonHours}
}

// batch draws n readings; with age set, the sensors report through it.
func (g *generator) batch(n int, age Ageing, share float64) Batch {
	b := Batch{X: make([][]float64, n), Y: make([]float64, n)}
	for i := range n {
		temp := 68 + 6*g.rng.NormFloat64()              // °C
		vib := math.Exp(1.0 + 0.35*g.rng.NormFloat64()) // mm/s RMS
		pres := 5 + 0.6*g.rng.NormFloat64()             // bar
		rpm := 1480 + 90*g.rng.NormFloat64()            // min⁻¹
		z := -6.4 + 0.22*(temp-68) + 0.55*(vib-2.9) - 0.9*(pres-5) + 0.004*(rpm-1480)
		hazard := math.Exp(z) // per hour
		if g.rng.Float64() < 1-math.Exp(-hazard*g.horizon) {
			b.Y[i] = 1
		}
		// What the sensors report.
		seenTemp, seenVib := temp, vib
		if g.rng.Float64() < share {
			seenTemp += age.TemperatureOffset * g.rng.Float64()
			if age.VibrationGain > 0 {
				seenVib *= age.VibrationGain
			}
		}
		b.X[i] = []float64{
			seenTemp + 0.3*g.rng.NormFloat64(),
			seenVib * (1 + 0.03*g.rng.NormFloat64()),
			pres + 0.05*g.rng.NormFloat64(),
			rpm + 5*g.rng.NormFloat64(),
		}
	}
	return b
}

// split cuts b into a training part and a holdout of the given share.
func (b Batch) split(holdout float64) (train, test Batch) {
	k := len(b.X) - int(float64(len(b.X))*holdout)
	return Batch{X: b.X[:k], Y: b.Y[:k]}, Batch{X: b.X[k:], Y: b.Y[k:]}
}

// columns returns the batch as named columns, as the drift package takes them.
func (b Batch) columns() map[string][]float64 {
	cols := make(map[string][]float64, len(Features))
	for j, name := range Features {
		col := make([]float64, len(b.X))
		for i, row := range b.X {
			col[i] = row[j]
		}
		cols[name] = col
	}
	return cols
}

// failureRate is the share of positive labels.
func (b Batch) failureRate() float64 {
	s := 0.0
	for _, y := range b.Y {
		s += y
	}
	return s / float64(len(b.Y))
}

// writeCSV stores b as a CSV file with a header, the form the dataset is
// versioned in.
func (b Batch) writeCSV(path string) error {
	var sb strings.Builder
	sb.WriteString(strings.Join(Features, ",") + ",failed\n")
	for i, row := range b.X {
		for _, v := range row {
			sb.WriteString(strconv.FormatFloat(v, 'f', 4, 64))
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.FormatFloat(b.Y[i], 'f', 0, 64))
		sb.WriteByte('\n')
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}

// readCSV reads a file written by writeCSV.
func readCSV(path string) (Batch, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Batch{}, err
	}
	return parseCSV(path, data)
}

// parseCSV parses the bytes of a file written by writeCSV; name is used in
// errors.
func parseCSV(path string, data []byte) (Batch, error) {
	var err error
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) < 2 || lines[0] != strings.Join(Features, ",")+",failed" {
		return Batch{}, fmt.Errorf("%s: unexpected header", path)
	}
	var b Batch
	for n, line := range lines[1:] {
		fields := strings.Split(line, ",")
		if len(fields) != len(Features)+1 {
			return Batch{}, fmt.Errorf("%s:%d: %d fields", path, n+2, len(fields))
		}
		row := make([]float64, len(fields))
		for j, f := range fields {
			if row[j], err = strconv.ParseFloat(f, 64); err != nil {
				return Batch{}, fmt.Errorf("%s:%d: %w", path, n+2, err)
			}
		}
		b.X = append(b.X, row[:len(Features)])
		b.Y = append(b.Y, row[len(Features)])
	}
	return b, nil
}
