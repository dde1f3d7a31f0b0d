package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

// Files of a served version, as registered.
const (
	ModelFile   = "model.json"   // the model: a Model as JSON
	ProfileFile = "profile.json" // the drift reference profile of its training data
)

// Model is a logistic regression over named features:
// P(positive) = σ(Bias + Σ Weights[j] × x[j]).
type Model struct {
	Features []string  `json:"features"`
	Weights  []float64 `json:"weights"`
	Bias     float64   `json:"bias"`
}

// errModel reports a model file that cannot be served.
var errModel = errors.New("service: invalid model file")

// DecodeModel reads and checks a model file.
func DecodeModel(b []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %v", errModel, err)
	}
	if len(m.Features) == 0 || len(m.Weights) != len(m.Features) {
		return nil, fmt.Errorf("%w: %d features and %d weights", errModel, len(m.Features), len(m.Weights))
	}
	for _, w := range append([]float64{m.Bias}, m.Weights...) {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("%w: non-finite weight", errModel)
		}
	}
	return &m, nil
}

// Predict scores one row.
func (m *Model) Predict(x []float64) float64 {
	s := m.Bias
	for j, w := range m.Weights {
		s += w * x[j]
	}
	return 1 / (1 + math.Exp(-s))
}
