package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/sextant-ml/sextant/monitor"
)

// monitorStep instruments a small failure-risk model with Prometheus
// metrics, serves some predictions, prints part of the scrape and the
// windowed statistics a rollout would judge, and writes the Grafana
// dashboard and alert rules.
func monitorStep(ctx context.Context, d *demo) error {
	reg := prometheus.NewRegistry()
	prices := monitor.Prices{VCPUSecond: 0.000024, GBSecond: 0.0000025, MemoryBytes: 512e6}
	m, err := monitor.New(reg, &monitor.Options{
		ConstLabels:     prometheus.Labels{"service": "pump-health"},
		Prices:          prices,
		CostSampleEvery: 10,
	})
	if err != nil {
		return err
	}

	// The model: a logistic curve of the pump's temperature; readings
	// outside the sensor's range are rejected as bad input.
	errOutOfRange := errors.New("temperature out of sensor range")
	risk := func(_ context.Context, celsius float64) (float64, error) {
		if celsius < -40 || celsius > 125 {
			return 0, errOutOfRange
		}
		return 1 / (1 + math.Exp(-(celsius-30)/2)), nil
	}
	predict := monitor.WrapFunc(m, "pump-risk", "v3", risk, &monitor.WrapOptions[float64]{
		Classify: func(err error) monitor.Outcome {
			if errors.Is(err, errOutOfRange) {
				return monitor.OutcomeRejected
			}
			return monitor.Classify(err)
		},
		Value: func(p float64) (float64, bool) { return p, true },
		Class: func(p float64) string {
			if p >= 0.5 {
				return "at-risk"
			}
			return "healthy"
		},
	})
	m.SetModelInfo("pump-risk", "v3", "sha256:5d41402abc4b2a76")
	m.SetRolloutWeight("pump-risk", "v3", 100) // percent of traffic

	served, rejected := 0, 0
	for i := range 500 {
		celsius := 18 + float64(i%25)
		if i%100 == 99 {
			celsius = 999 // a broken sensor
		}
		if _, err := predict(ctx, celsius); err == nil {
			served++
		} else {
			rejected++
		}
	}
	// A drift check's verdict, as the drift package would report it.
	m.SetDrift("pump-risk", "temperature", "psi", 0.27, true)
	d.printf("served %d predictions of pump-risk v3, rejected %d bad inputs\n", served, rejected)

	mfs, err := reg.Gather()
	if err != nil {
		return err
	}
	var scrape bytes.Buffer
	enc := expfmt.NewEncoder(&scrape, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return err
		}
	}
	d.printf("a few lines of the /metrics scrape:\n")
	sc := bufio.NewScanner(&scrape)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "sextant_predictions_total{") && !strings.HasSuffix(line, " 0") ||
			strings.HasPrefix(line, "sextant_prediction_class_total{") ||
			strings.HasPrefix(line, "sextant_feature_drift_detected{") ||
			strings.HasPrefix(line, "sextant_model_info{") {
			d.printf("  %s\n", line)
		}
	}

	st := m.Window("pump-risk", "v3")
	p99, _ := st.Quantile(0.99)
	d.printf("last %s in process: %d requests, %d rejected, error rate %.3f, p99 %s\n",
		st.Span.Round(time.Second), st.Requests, st.ByOutcome[monitor.OutcomeRejected], st.ErrorRate(), p99)

	cost := m.Cost("pump-risk", "v3")
	d.printf("cost: %.0f ns CPU and %.0f bytes allocated per prediction (%d sampled), $%.2g per 1,000 predictions\n",
		cost.CPUPerPrediction()*1e9, cost.AllocatedBytesPerPrediction(), cost.Samples, cost.PerThousand(prices))

	dash, rules, err := monitor.WriteAssets(ctx, filepath.Join(d.dir, "monitoring"))
	if err != nil {
		return err
	}
	d.printf("Grafana dashboard: %s\n", dash)
	d.printf("Prometheus alert rules: %s\n", rules)
	return nil
}
