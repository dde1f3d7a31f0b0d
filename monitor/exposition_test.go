package monitor_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/monitor/monitortest"
)

// call is the input of the scripted predictor: how long it takes on the
// test clock and what it returns.
type call struct {
	latency time.Duration
	err     error
	score   float64
	class   string
}

// scripted returns a predictor that advances clk by the call's latency.
func scripted(clk *monitortest.Clock) func(context.Context, call) (call, error) {
	return func(_ context.Context, c call) (call, error) {
		clk.Advance(c.latency)
		return c, c.err
	}
}

func TestExposition(t *testing.T) {
	clk := newClock()
	reg := prometheus.NewPedanticRegistry()
	m, err := monitor.New(reg, &monitor.Options{
		ConstLabels:     prometheus.Labels{"service": "fraud-api"},
		Now:             clk.Now,
		CostSampleEvery: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	predict := monitor.WrapFunc(m, "fraud", "v2", scripted(clk), &monitor.WrapOptions[call]{
		Value: func(c call) (float64, bool) { return c.score, true },
		Class: func(c call) string { return c.class },
	})
	ctx := context.Background()
	for _, c := range []call{
		{latency: 15625 * time.Microsecond, score: 0.0625, class: "legit"},
		{latency: 250 * time.Millisecond, score: 0.9375, class: "fraud"},
		{latency: 2 * time.Second, err: errors.New("model crashed"), score: 0.5, class: "legit"},
		{latency: 750 * time.Millisecond, err: context.DeadlineExceeded},
		{latency: 7812500 * time.Nanosecond, score: 0.125, class: "legit"},
	} {
		_, _ = predict(ctx, c)
	}
	m.SetModelInfo("fraud", "v2", "sha256:0123")
	m.SetModelInfo("fraud", "v2", "sha256:ab12") // replaces the first digest
	m.SetDrift("fraud", "amount", "psi", 0.31, true)
	m.SetDrift("fraud", "age", "ks", 0.02, false)
	m.SetRolloutWeight("fraud", "v1", 75) // percent, exported as a ratio
	m.SetRolloutWeight("fraud", "v2", 25)
	m.SetRolloutPhase("fraud", "progressing")
	m.SetRolloutPhase("fraud", "paused") // replaces the first phase

	// Durations: 0.015625, 0.25, 2, 0.75 and 0.0078125 seconds (binary
	// fractions, so the sum 3.0234375 is exact). Values and classes come
	// from the three successful calls only: 0.0625 + 0.9375 + 0.125 = 1.125.
	const want = `
# HELP sextant_feature_drift_detected 1 when the latest drift check of a feature found drift, else 0.
# TYPE sextant_feature_drift_detected gauge
sextant_feature_drift_detected{feature="age",method="ks",model="fraud",service="fraud-api"} 0
sextant_feature_drift_detected{feature="amount",method="psi",model="fraud",service="fraud-api"} 1
# HELP sextant_feature_drift_score Latest drift score of a feature, by detection method.
# TYPE sextant_feature_drift_score gauge
sextant_feature_drift_score{feature="age",method="ks",model="fraud",service="fraud-api"} 0.02
sextant_feature_drift_score{feature="amount",method="psi",model="fraud",service="fraud-api"} 0.31
# HELP sextant_model_info Always 1 for each model version served, with its content digest.
# TYPE sextant_model_info gauge
sextant_model_info{digest="sha256:ab12",model="fraud",service="fraud-api",version="v2"} 1
# HELP sextant_prediction_class_total Predictions per predicted class; classes beyond the allowed set are counted as "other".
# TYPE sextant_prediction_class_total counter
sextant_prediction_class_total{class="fraud",model="fraud",service="fraud-api",version="v2"} 1
sextant_prediction_class_total{class="legit",model="fraud",service="fraud-api",version="v2"} 2
# HELP sextant_prediction_duration_seconds Time taken by a prediction, in seconds, every outcome included.
# TYPE sextant_prediction_duration_seconds histogram
sextant_prediction_duration_seconds_bucket{model="fraud",service="fraud-api",version="v2",le="0.001"} 0
sextant_prediction_duration_seconds_bucket{model="fraud",service="fraud-api",version="v2",le="0.0025"} 0
sextant_prediction_duration_seconds_bucket{model="fraud",service="fraud-api",version="v2",le="0.005"} 0
sextant_prediction_duration_seconds_bucket{model="fraud",service="fraud-api",version="v2",le="0.01"} 1
sextant_prediction_duration_seconds_bucket{model="fraud",service="fraud-api",version="v2",le="0.025"} 2
sextant_prediction_duration_seconds_bucket{model="fraud",service="fraud-api",version="v2",le="0.05"} 2
sextant_prediction_duration_seconds_bucket{model="fraud",service="fraud-api",version="v2",le="0.1"} 2
sextant_prediction_duration_seconds_bucket{model="fraud",service="fraud-api",version="v2",le="0.25"} 3
sextant_prediction_duration_seconds_bucket{model="fraud",service="fraud-api",version="v2",le="0.5"} 3
sextant_prediction_duration_seconds_bucket{model="fraud",service="fraud-api",version="v2",le="1"} 4
sextant_prediction_duration_seconds_bucket{model="fraud",service="fraud-api",version="v2",le="2.5"} 5
sextant_prediction_duration_seconds_bucket{model="fraud",service="fraud-api",version="v2",le="5"} 5
sextant_prediction_duration_seconds_bucket{model="fraud",service="fraud-api",version="v2",le="10"} 5
sextant_prediction_duration_seconds_bucket{model="fraud",service="fraud-api",version="v2",le="+Inf"} 5
sextant_prediction_duration_seconds_sum{model="fraud",service="fraud-api",version="v2"} 3.0234375
sextant_prediction_duration_seconds_count{model="fraud",service="fraud-api",version="v2"} 5
# HELP sextant_prediction_value Distribution of predicted values (scores, probabilities, regression outputs).
# TYPE sextant_prediction_value histogram
sextant_prediction_value_bucket{model="fraud",service="fraud-api",version="v2",le="0.1"} 1
sextant_prediction_value_bucket{model="fraud",service="fraud-api",version="v2",le="0.2"} 2
sextant_prediction_value_bucket{model="fraud",service="fraud-api",version="v2",le="0.3"} 2
sextant_prediction_value_bucket{model="fraud",service="fraud-api",version="v2",le="0.4"} 2
sextant_prediction_value_bucket{model="fraud",service="fraud-api",version="v2",le="0.5"} 2
sextant_prediction_value_bucket{model="fraud",service="fraud-api",version="v2",le="0.6"} 2
sextant_prediction_value_bucket{model="fraud",service="fraud-api",version="v2",le="0.7"} 2
sextant_prediction_value_bucket{model="fraud",service="fraud-api",version="v2",le="0.8"} 2
sextant_prediction_value_bucket{model="fraud",service="fraud-api",version="v2",le="0.9"} 2
sextant_prediction_value_bucket{model="fraud",service="fraud-api",version="v2",le="1"} 3
sextant_prediction_value_bucket{model="fraud",service="fraud-api",version="v2",le="+Inf"} 3
sextant_prediction_value_sum{model="fraud",service="fraud-api",version="v2"} 1.125
sextant_prediction_value_count{model="fraud",service="fraud-api",version="v2"} 3
# HELP sextant_predictions_in_flight Predictions in progress.
# TYPE sextant_predictions_in_flight gauge
sextant_predictions_in_flight{model="fraud",service="fraud-api",version="v2"} 0
# HELP sextant_predictions_total Predictions finished, by model, version and outcome (ok, error, timeout, canceled, rejected).
# TYPE sextant_predictions_total counter
sextant_predictions_total{model="fraud",outcome="canceled",service="fraud-api",version="v2"} 0
sextant_predictions_total{model="fraud",outcome="error",service="fraud-api",version="v2"} 1
sextant_predictions_total{model="fraud",outcome="ok",service="fraud-api",version="v2"} 3
sextant_predictions_total{model="fraud",outcome="rejected",service="fraud-api",version="v2"} 0
sextant_predictions_total{model="fraud",outcome="timeout",service="fraud-api",version="v2"} 1
# HELP sextant_rollout_phase 1 for the current rollout phase of a model.
# TYPE sextant_rollout_phase gauge
sextant_rollout_phase{model="fraud",phase="paused",service="fraud-api"} 1
# HELP sextant_rollout_weight Share of traffic routed to a model version, from 0 to 1.
# TYPE sextant_rollout_weight gauge
sextant_rollout_weight{model="fraud",service="fraud-api",version="v1"} 0.75
sextant_rollout_weight{model="fraud",service="fraud-api",version="v2"} 0.25
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		monitor.MetricPredictions, monitor.MetricDuration, monitor.MetricInFlight,
		monitor.MetricValue, monitor.MetricClass, monitor.MetricDriftScore,
		monitor.MetricDriftDetected, monitor.MetricModelInfo,
		monitor.MetricRolloutWeight, monitor.MetricRolloutPhase,
	); err != nil {
		t.Fatal(err)
	}
	// Cost sampling is off: the cost families have no series.
	if n, err := testutil.GatherAndCount(reg, monitor.MetricCostSamples, monitor.MetricCPUSeconds); err != nil || n != 0 {
		t.Fatalf("cost series with sampling off: %d (%v), want 0", n, err)
	}
}
