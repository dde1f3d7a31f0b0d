package registry

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The cases follow MLflow's MetricThreshold documentation and its _validate:
// >= / <= for thresholds and absolute changes, (c-b)/b for relative change,
// the 1e-10 fallback at a zero baseline, and failures on missing metrics.
func TestGateEvaluate(t *testing.T) {
	gib := func(th, abs, rel *float64) MetricThreshold {
		return MetricThreshold{Threshold: th, MinAbsoluteChange: abs, MinRelativeChange: rel, GreaterIsBetter: true}
	}
	lib := func(th, abs, rel *float64) MetricThreshold {
		return MetricThreshold{Threshold: th, MinAbsoluteChange: abs, MinRelativeChange: rel}
	}
	tests := []struct {
		name      string
		gate      Gate
		candidate map[string]float64
		baseline  map[string]float64
		want      []MetricFailure
	}{
		{"threshold met exactly", Gate{"auc": gib(Float(0.8), nil, nil)}, map[string]float64{"auc": 0.8}, nil, nil},
		{"threshold missed", Gate{"auc": gib(Float(0.8), nil, nil)}, map[string]float64{"auc": 0.75}, nil,
			[]MetricFailure{{Metric: "auc", Check: CheckThreshold, Candidate: 0.75, Required: 0.8, Actual: 0.75, Shortfall: 0.05}}},
		{"lower is better threshold", Gate{"loss": lib(Float(0.3), nil, nil)}, map[string]float64{"loss": 0.31}, nil,
			[]MetricFailure{{Metric: "loss", Check: CheckThreshold, Candidate: 0.31, Required: 0.3, Actual: 0.31, Shortfall: 0.01}}},
		{"absolute change met", Gate{"auc": gib(nil, Float(0.05), nil)}, map[string]float64{"auc": 0.9}, map[string]float64{"auc": 0.85}, nil},
		{"absolute change missed", Gate{"auc": gib(nil, Float(0.05), nil)}, map[string]float64{"auc": 0.88}, map[string]float64{"auc": 0.85},
			[]MetricFailure{{Metric: "auc", Check: CheckMinAbsoluteChange, Candidate: 0.88, Baseline: 0.85, Required: 0.9, Actual: 0.88, Shortfall: 0.02}}},
		{"absolute change lower is better", Gate{"loss": lib(nil, Float(0.1), nil)}, map[string]float64{"loss": 0.45}, map[string]float64{"loss": 0.5},
			[]MetricFailure{{Metric: "loss", Check: CheckMinAbsoluteChange, Candidate: 0.45, Baseline: 0.5, Required: 0.4, Actual: 0.45, Shortfall: 0.05}}},
		{"relative change met", Gate{"auc": gib(nil, nil, Float(0.1))}, map[string]float64{"auc": 0.9}, map[string]float64{"auc": 0.8}, nil},
		{"relative change missed", Gate{"auc": gib(nil, nil, Float(0.1))}, map[string]float64{"auc": 0.84}, map[string]float64{"auc": 0.8},
			[]MetricFailure{{Metric: "auc", Check: CheckMinRelativeChange, Candidate: 0.84, Baseline: 0.8, Required: 0.1, Actual: 0.05, Shortfall: 0.05}}},
		{"relative change lower is better", Gate{"loss": lib(nil, nil, Float(0.2))}, map[string]float64{"loss": 0.9}, map[string]float64{"loss": 1},
			[]MetricFailure{{Metric: "loss", Check: CheckMinRelativeChange, Candidate: 0.9, Baseline: 1, Required: 0.2, Actual: 0.1, Shortfall: 0.1}}},
		// Negative baselines (log-likelihood, R², profit): the change is
		// measured against |baseline|, so better stays better.
		{"relative change negative baseline greater is better, improved", Gate{"loglik": gib(nil, nil, Float(0.1))},
			map[string]float64{"loglik": -80}, map[string]float64{"loglik": -100}, nil},
		{"relative change negative baseline greater is better, worse", Gate{"loglik": gib(nil, nil, Float(0.1))},
			map[string]float64{"loglik": -120}, map[string]float64{"loglik": -100},
			[]MetricFailure{{Metric: "loglik", Check: CheckMinRelativeChange, Candidate: -120, Baseline: -100, Required: 0.1, Actual: -0.2, Shortfall: 0.3}}},
		{"relative change negative baseline lower is better, improved", Gate{"cost": lib(nil, nil, Float(0.1))},
			map[string]float64{"cost": -120}, map[string]float64{"cost": -100}, nil},
		{"relative change negative baseline lower is better, worse", Gate{"cost": lib(nil, nil, Float(0.1))},
			map[string]float64{"cost": -80}, map[string]float64{"cost": -100},
			[]MetricFailure{{Metric: "cost", Check: CheckMinRelativeChange, Candidate: -80, Baseline: -100, Required: 0.1, Actual: -0.2, Shortfall: 0.3}}},
		{"relative change positive baseline greater is better, worse", Gate{"auc": gib(nil, nil, Float(0.1))},
			map[string]float64{"auc": 0.7}, map[string]float64{"auc": 0.8},
			[]MetricFailure{{Metric: "auc", Check: CheckMinRelativeChange, Candidate: 0.7, Baseline: 0.8, Required: 0.1, Actual: -0.125, Shortfall: 0.225}}},
		{"relative change positive baseline lower is better, improved", Gate{"loss": lib(nil, nil, Float(0.1))},
			map[string]float64{"loss": 0.8}, map[string]float64{"loss": 1}, nil},
		{"relative change zero baseline better", Gate{"auc": gib(nil, nil, Float(0.5))}, map[string]float64{"auc": 0.001}, map[string]float64{"auc": 0}, nil},
		{"relative change zero baseline equal", Gate{"auc": gib(nil, nil, Float(0.5))}, map[string]float64{"auc": 0}, map[string]float64{"auc": 0},
			[]MetricFailure{{Metric: "auc", Check: CheckMinRelativeChange, Required: 1e-10, Shortfall: 1e-10}}},
		{"missing candidate", Gate{"auc": gib(Float(0.5), nil, nil)}, map[string]float64{}, nil,
			[]MetricFailure{{Metric: "auc", Check: CheckMissingCandidate}}},
		{"missing baseline metric", Gate{"auc": gib(nil, Float(0.1), nil)}, map[string]float64{"auc": 0.9}, map[string]float64{"f1": 0.5},
			[]MetricFailure{{Metric: "auc", Check: CheckMissingBaseline, Candidate: 0.9}}},
		{"no baseline: change criteria skipped", Gate{"auc": gib(Float(0.5), Float(0.1), Float(0.1))}, map[string]float64{"auc": 0.6}, nil, nil},
		{"several failures sorted", Gate{"loss": lib(Float(0.2), nil, nil), "auc": gib(Float(0.9), Float(0.01), nil)},
			map[string]float64{"auc": 0.85, "loss": 0.25}, map[string]float64{"auc": 0.86},
			[]MetricFailure{
				{Metric: "auc", Check: CheckThreshold, Candidate: 0.85, Required: 0.9, Actual: 0.85, Shortfall: 0.05},
				{Metric: "auc", Check: CheckMinAbsoluteChange, Candidate: 0.85, Baseline: 0.86, Required: 0.87, Actual: 0.85, Shortfall: 0.02},
				{Metric: "loss", Check: CheckThreshold, Candidate: 0.25, Required: 0.2, Actual: 0.25, Shortfall: 0.05},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.gate.Validate(); err != nil {
				t.Fatal(err)
			}
			got := tt.gate.Evaluate(tt.candidate, tt.baseline)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-9), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("Evaluate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGateValidate(t *testing.T) {
	for name, g := range map[string]Gate{
		"no criterion":      {"auc": {GreaterIsBetter: true}},
		"zero absolute":     {"auc": {MinAbsoluteChange: Float(0)}},
		"negative absolute": {"auc": {MinAbsoluteChange: Float(-1)}},
		"relative above 1":  {"auc": {MinRelativeChange: Float(1.5)}},
		"relative below 0":  {"auc": {MinRelativeChange: Float(-0.1)}},
		"NaN threshold":     {"auc": {Threshold: Float(math.NaN())}},
		"empty name":        {"": {Threshold: Float(1)}},
	} {
		t.Run(name, func(t *testing.T) {
			if err := g.Validate(); !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("Validate = %v, want ErrInvalidArgument", err)
			}
		})
	}
}

func TestGateErrorMessage(t *testing.T) {
	g := Gate{"auc": {MinAbsoluteChange: Float(0.05), GreaterIsBetter: true}}
	err := error(&GateError{Model: "fraud", Alias: "production", Candidate: 4, Baseline: 3,
		Failures: g.Evaluate(map[string]float64{"auc": 0.88}, map[string]float64{"auc": 0.85})})
	if !errors.Is(err, ErrGateFailed) {
		t.Fatal("GateError does not match ErrGateFailed")
	}
	var ge *GateError
	if !errors.As(err, &ge) || ge.Failures[0].Metric != "auc" {
		t.Fatalf("errors.As: %v", err)
	}
	for _, want := range []string{"registry: promotion gate failed for fraud/4", "baseline version 3", `"auc"`, "min_absolute_change", "by 0.02"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
}
