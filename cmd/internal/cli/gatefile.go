package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/sextant-ml/sextant/registry"
)

// errGateFile reports a gate file that cannot be used.
var errGateFile = errors.New("sextant: invalid gate file")

// errMissingDirection reports a metric whose greater_is_better is not given;
// it matches errGateFile too.
var errMissingDirection = fmt.Errorf("%w: greater_is_better is required", errGateFile)

// criterion is one metric's entry in a gate file, with the semantics of
// MLflow's MetricThreshold.
type criterion struct {
	Threshold         *float64 `json:"threshold"`
	MinAbsoluteChange *float64 `json:"min_absolute_change"`
	MinRelativeChange *float64 `json:"min_relative_change"`
	GreaterIsBetter   *bool    `json:"greater_is_better"`
}

// parseGate reads a gate file: YAML (or JSON) mapping metric names to their
// criteria, for example
//
//	auc:
//	  threshold: 0.8
//	  greater_is_better: true
//	log_loss:
//	  threshold: 0.35
//	  min_relative_change: 0.1
//	  greater_is_better: false
//
// greater_is_better is required for every metric, as MLflow requires it: a
// direction left out would silently mean "lower is better" and invert the
// gate of a metric where higher is better (errMissingDirection, naming the
// metric). Unknown fields, an empty gate and criteria MLflow would refuse
// are errors matching errGateFile.
func parseGate(data []byte) (registry.Gate, error) {
	if multipleDocuments(data) {
		return nil, fmt.Errorf("%w: more than one document", errGateFile)
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errGateFile, err)
	}
	var spec map[string]criterion
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		return nil, fmt.Errorf("%w: %v", errGateFile, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: more than one document", errGateFile)
	}
	if len(spec) == 0 {
		return nil, fmt.Errorf("%w: no metric", errGateFile)
	}
	gate := make(registry.Gate, len(spec))
	for _, name := range slices.Sorted(maps.Keys(spec)) {
		if name == "" {
			return nil, fmt.Errorf("%w: empty metric name", errGateFile)
		}
		c := spec[name]
		if c.GreaterIsBetter == nil {
			return nil, fmt.Errorf("%w (true or false) for metric %q", errMissingDirection, name)
		}
		gate[name] = registry.MetricThreshold{
			Threshold:         c.Threshold,
			MinAbsoluteChange: c.MinAbsoluteChange,
			MinRelativeChange: c.MinRelativeChange,
			GreaterIsBetter:   *c.GreaterIsBetter,
		}
	}
	if err := gate.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", errGateFile, err)
	}
	return gate, nil
}

// multipleDocuments reports whether YAML text holds a document separator
// after content; YAMLToJSON would silently read the first document only.
func multipleDocuments(data []byte) bool {
	content := false
	for line := range strings.SplitSeq(string(data), "\n") {
		line = strings.TrimRight(line, " \t\r")
		if line == "---" || line == "..." || strings.HasPrefix(line, "--- ") || strings.HasPrefix(line, "... ") {
			if content {
				return true
			}
			continue
		}
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
			content = true
		}
	}
	return false
}

// parseMetrics reads a JSON object of metric names to finite numbers, as a
// training program writes it.
func parseMetrics(data []byte) (map[string]float64, error) {
	var m map[string]float64
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("sextant: metrics file: %w", err)
	}
	if dec.More() {
		return nil, errors.New("sextant: metrics file: trailing data")
	}
	for k, v := range m {
		if k == "" || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("sextant: metrics file: bad metric %q", k)
		}
	}
	return m, nil
}

// parseParams reads a JSON object of parameter names to strings.
func parseParams(data []byte) (map[string]string, error) {
	var m map[string]string
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("sextant: params file: %w", err)
	}
	if dec.More() {
		return nil, errors.New("sextant: params file: trailing data")
	}
	return m, nil
}
