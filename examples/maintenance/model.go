package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Model is a logistic regression on standardised sensor readings:
// P(failure) = σ(Bias + Σ Weights[j] × (x[j] - Mean[j]) / Std[j]).
type Model struct {
	Features []string  `json:"features"`
	Mean     []float64 `json:"mean"`
	Std      []float64 `json:"std"`
	Weights  []float64 `json:"weights"`
	Bias     float64   `json:"bias"`
	// Threshold turns a probability into an alarm.
	Threshold float64 `json:"threshold"`
	// Limits are the largest plausible readings of some features; a reading
	// above its limit is refused as a sensor fault. Empty: no check.
	Limits map[string]float64 `json:"limits,omitempty"`
}

// errImplausible reports a reading above the model's plausible range.
var errImplausible = errors.New("reading outside the plausible range")

// alarmThreshold is the probability of failure above which a pump is
// flagged for inspection: low, because a missed failure costs far more than
// an inspection.
const alarmThreshold = 0.25

// trainConfig holds the optimiser's settings.
type trainConfig struct {
	Epochs       int     // full-batch gradient steps
	LearningRate float64 // step size on standardised features
	L2           float64 // ridge penalty on the weights
}

func (c trainConfig) params() map[string]string {
	return map[string]string{
		"algorithm":     "logistic_regression",
		"epochs":        fmt.Sprint(c.Epochs),
		"learning_rate": fmt.Sprint(c.LearningRate),
		"l2":            fmt.Sprint(c.L2),
	}
}

// train fits a model by full-batch gradient descent on the mean log loss.
func train(b Batch, cfg trainConfig) (*Model, error) {
	n := len(b.X)
	if n == 0 {
		return nil, errors.New("train: no rows")
	}
	d := len(b.X[0])
	m := &Model{Features: slices.Clone(Features), Mean: make([]float64, d), Std: make([]float64, d), Weights: make([]float64, d), Threshold: alarmThreshold}
	for j := range d {
		for _, row := range b.X {
			m.Mean[j] += row[j]
		}
		m.Mean[j] /= float64(n)
		for _, row := range b.X {
			m.Std[j] += (row[j] - m.Mean[j]) * (row[j] - m.Mean[j])
		}
		m.Std[j] = math.Sqrt(m.Std[j] / float64(n))
		if m.Std[j] == 0 {
			m.Std[j] = 1
		}
	}
	z := make([][]float64, n)
	for i, row := range b.X {
		z[i] = m.standardize(row)
	}
	// Start the bias at the log-odds of the base rate.
	p := min(max(b.failureRate(), 1e-6), 1-1e-6)
	m.Bias = math.Log(p / (1 - p))
	grad := make([]float64, d)
	for range cfg.Epochs {
		clear(grad)
		gb := 0.0
		for i, zi := range z {
			e := sigmoid(m.Bias+dot(m.Weights, zi)) - b.Y[i]
			for j := range d {
				grad[j] += e * zi[j]
			}
			gb += e
		}
		for j := range d {
			m.Weights[j] -= cfg.LearningRate * (grad[j]/float64(n) + cfg.L2*m.Weights[j])
		}
		m.Bias -= cfg.LearningRate * gb / float64(n)
	}
	return m, nil
}

func (m *Model) standardize(x []float64) []float64 {
	z := make([]float64, len(x))
	for j := range x {
		z[j] = (x[j] - m.Mean[j]) / m.Std[j]
	}
	return z
}

// Predict returns the probability of a failure within the horizon.
func (m *Model) Predict(x []float64) (float64, error) {
	if len(x) != len(m.Weights) {
		return 0, fmt.Errorf("predict: %d features, want %d", len(x), len(m.Weights))
	}
	if len(m.Limits) > 0 {
		for j, name := range m.Features {
			if limit, ok := m.Limits[name]; ok && x[j] > limit {
				return 0, fmt.Errorf("predict: %s %.1f above %.1f: %w", name, x[j], limit, errImplausible)
			}
		}
	}
	s := m.Bias
	for j := range x {
		s += m.Weights[j] * (x[j] - m.Mean[j]) / m.Std[j]
	}
	if math.IsNaN(s) {
		return 0, errors.New("predict: score is not a number (non-finite reading or overflow)")
	}
	return sigmoid(s), nil
}

// Metrics are a model's scores on labelled data.
type Metrics struct {
	AUC       float64 // area under the ROC curve
	LogLoss   float64 // mean negative log-likelihood
	Accuracy  float64 // at the model's threshold
	Precision float64 // of alarms, the share that were failures
	Recall    float64 // of failures, the share that raised an alarm
}

func (mt Metrics) registry() map[string]float64 {
	return map[string]float64{"auc": mt.AUC, "log_loss": mt.LogLoss, "accuracy": mt.Accuracy, "precision": mt.Precision, "recall": mt.Recall}
}

func (mt Metrics) String() string {
	return fmt.Sprintf("AUC %.3f, log loss %.3f, accuracy %.3f, precision %.3f, recall %.3f", mt.AUC, mt.LogLoss, mt.Accuracy, mt.Precision, mt.Recall)
}

// evaluate scores m on b.
func evaluate(m *Model, b Batch) (Metrics, error) {
	if len(b.X) == 0 {
		return Metrics{}, errors.New("evaluate: no rows")
	}
	scores := make([]float64, len(b.X))
	var mt Metrics
	var tp, fp, fn, correct float64
	for i, x := range b.X {
		p, err := m.Predict(x)
		if err != nil {
			return Metrics{}, err
		}
		scores[i] = p
		q := min(max(p, 1e-12), 1-1e-12)
		if b.Y[i] == 1 {
			mt.LogLoss -= math.Log(q)
		} else {
			mt.LogLoss -= math.Log(1 - q)
		}
		alarm := p >= m.Threshold
		switch {
		case alarm && b.Y[i] == 1:
			tp++
			correct++
		case alarm:
			fp++
		case b.Y[i] == 1:
			fn++
		default:
			correct++
		}
	}
	n := float64(len(b.X))
	mt.LogLoss /= n
	mt.Accuracy = correct / n
	if tp+fp > 0 {
		mt.Precision = tp / (tp + fp)
	}
	if tp+fn > 0 {
		mt.Recall = tp / (tp + fn)
	}
	mt.AUC = auc(scores, b.Y)
	return mt, nil
}

// auc is the Mann-Whitney estimate of the area under the ROC curve, with
// tied scores counted as half.
func auc(scores, labels []float64) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmpFloat(scores[a], scores[b]) })
	var rankSum, pos float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // average 1-based rank of the tie group
		for k := i; k < j; k++ {
			if labels[idx[k]] == 1 {
				rankSum += mid
				pos++
			}
		}
		i = j
	}
	neg := float64(len(scores)) - pos
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// encode and decode the model file stored in the registry.
func (m *Model) encode() ([]byte, error) { return json.MarshalIndent(m, "", "  ") }

func decodeModel(data []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("model file: %w", err)
	}
	d := len(m.Weights)
	if d == 0 || len(m.Mean) != d || len(m.Std) != d || len(m.Features) != d {
		return nil, errors.New("model file: inconsistent dimensions")
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	for j := range d {
		if !finite(m.Mean[j]) || !finite(m.Weights[j]) || !finite(m.Std[j]) || m.Std[j] <= 0 {
			return nil, fmt.Errorf("model file: feature %d: non-finite value or non-positive scale", j)
		}
	}
	if !finite(m.Bias) || !finite(m.Threshold) {
		return nil, errors.New("model file: non-finite bias or threshold")
	}
	return &m, nil
}
