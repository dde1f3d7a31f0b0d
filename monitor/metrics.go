package monitor

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/internal/errkind"
)

// Errors returned by New.
var (
	// ErrInvalidOptions reports an Options value that cannot be used.
	ErrInvalidOptions = errkind.New("monitor: invalid options", fs.ErrInvalid)
	// ErrRegister reports that the registerer refused a collector, most
	// often because a set with the same const labels is already registered.
	ErrRegister = errors.New("monitor: cannot register metrics")
)

// Metric names exported by the package. The shipped dashboard and alert
// rules use exactly these names.
const (
	MetricPredictions     = "sextant_predictions_total"
	MetricDuration        = "sextant_prediction_duration_seconds"
	MetricInFlight        = "sextant_predictions_in_flight"
	MetricValue           = "sextant_prediction_value"
	MetricClass           = "sextant_prediction_class_total"
	MetricDriftScore      = "sextant_feature_drift_score"
	MetricDriftDetected   = "sextant_feature_drift_detected"
	MetricModelInfo       = "sextant_model_info"
	MetricRolloutWeight   = "sextant_rollout_weight"
	MetricRolloutPhase    = "sextant_rollout_phase"
	MetricCostSamples     = "sextant_prediction_cost_samples_total"
	MetricCPUSeconds      = "sextant_prediction_cpu_seconds_total"
	MetricAllocatedBytes  = "sextant_prediction_allocated_bytes_total"
	MetricCostPerThousand = "sextant_prediction_cost_per_thousand"
)

const (
	otherClass              = "other"
	maxLabelValueLen        = 128
	maxWindowSlots          = 600     // each slot holds about 2 KiB of latency buckets
	maxWindowSample         = 4096    // latencies kept per slot
	maxWindowSampled        = 1 << 18 // latencies kept per window (2 MiB)
	replacementForBadString = "\uFFFD"
)

// Metrics is one set of Sextant metrics registered on a caller's registry.
// Create it with New.
type Metrics struct {
	cfg config
	reg prometheus.Registerer

	predictions   *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	inFlight      *prometheus.GaugeVec
	value         *prometheus.HistogramVec
	class         *prometheus.CounterVec
	driftScore    *prometheus.GaugeVec
	driftDetected *prometheus.GaugeVec
	info          *prometheus.GaugeVec
	rolloutWeight *prometheus.GaugeVec
	rolloutPhase  *prometheus.GaugeVec
	costSamples   *prometheus.CounterVec
	cpuSeconds    *prometheus.CounterVec
	allocBytes    *prometheus.CounterVec
	cost          *costCollector
	costOverhead  time.Duration

	collectors []prometheus.Collector

	seriesMu sync.RWMutex
	series   map[seriesKey]*Series

	stateMu sync.Mutex
	digests map[seriesKey]string          // model info: digest per model version
	weights map[string]map[string]float64 // rollout weight per model, version
	phases  map[string]string             // rollout phase per model
}

type seriesKey struct{ model, version string }

// New creates the metrics set and registers it on reg. It never touches the
// global registry. A nil opts means the defaults.
func New(reg prometheus.Registerer, opts *Options) (*Metrics, error) {
	if reg == nil {
		return nil, fmt.Errorf("%w: nil registerer", ErrInvalidOptions)
	}
	cfg := opts.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cl := cfg.ConstLabels
	m := &Metrics{
		cfg:     cfg,
		reg:     reg,
		series:  make(map[seriesKey]*Series),
		digests: make(map[seriesKey]string),
		weights: make(map[string]map[string]float64),
		phases:  make(map[string]string),
	}
	if cfg.CostSampleEvery > 0 {
		m.costOverhead = measureOverhead(cfg.clock)
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: cl}, labels)
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: cl}, labels)
	}
	m.predictions = counter(MetricPredictions,
		"Predictions finished, by model, version and outcome (ok, error, timeout, canceled, rejected).",
		"model", "version", "outcome")
	hopts := prometheus.HistogramOpts{
		Name: MetricDuration, ConstLabels: cl, Buckets: cfg.Buckets,
		Help: "Time taken by a prediction, in seconds, every outcome included.",
	}
	if !cfg.DisableNativeHistograms {
		hopts.NativeHistogramBucketFactor = cfg.NativeHistogramBucketFactor
		hopts.NativeHistogramMaxBucketNumber = cfg.NativeHistogramMaxBuckets
		hopts.NativeHistogramMinResetDuration = cfg.NativeHistogramMinResetDuration
	}
	m.duration = prometheus.NewHistogramVec(hopts, []string{"model", "version"})
	m.inFlight = gauge(MetricInFlight, "Predictions in progress.", "model", "version")
	m.value = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: MetricValue, ConstLabels: cl, Buckets: cfg.ValueBuckets,
		Help: "Distribution of predicted values (scores, probabilities, regression outputs).",
	}, []string{"model", "version"})
	m.class = counter(MetricClass,
		"Predictions per predicted class; classes beyond the allowed set are counted as \"other\".",
		"model", "version", "class")
	m.driftScore = gauge(MetricDriftScore,
		"Latest drift score of a feature, by detection method.",
		"model", "feature", "method")
	m.driftDetected = gauge(MetricDriftDetected,
		"1 when the latest drift check of a feature found drift, else 0.",
		"model", "feature", "method")
	m.info = gauge(MetricModelInfo,
		"Always 1 for each model version served, with its content digest.",
		"model", "version", "digest")
	m.rolloutWeight = gauge(MetricRolloutWeight,
		"Share of traffic routed to a model version, from 0 to 1.",
		"model", "version")
	m.rolloutPhase = gauge(MetricRolloutPhase,
		"1 for the current rollout phase of a model.",
		"model", "phase")
	m.costSamples = counter(MetricCostSamples,
		"Predictions whose CPU time and allocations were measured.",
		"model", "version")
	m.cpuSeconds = counter(MetricCPUSeconds,
		"CPU seconds of the calling goroutine's thread spent in sampled predictions.",
		"model", "version")
	m.allocBytes = counter(MetricAllocatedBytes,
		"Heap bytes allocated by the process during sampled predictions.",
		"model", "version")
	m.collectors = []prometheus.Collector{
		m.predictions, m.duration, m.inFlight, m.value, m.class,
		m.driftScore, m.driftDetected, m.info, m.rolloutWeight, m.rolloutPhase,
		m.costSamples, m.cpuSeconds, m.allocBytes,
	}
	if cfg.Prices.enabled() {
		m.cost = newCostCollector(m, cl)
		m.collectors = append(m.collectors, m.cost)
	}
	for i, c := range m.collectors {
		if err := reg.Register(c); err != nil {
			for _, done := range m.collectors[:i] {
				reg.Unregister(done)
			}
			return nil, fmt.Errorf("%w: %w", ErrRegister, err)
		}
	}
	return m, nil
}

// Unregister removes every collector of the set from its registerer.
func (m *Metrics) Unregister() {
	if m == nil {
		return
	}
	for _, c := range m.collectors {
		m.reg.Unregister(c)
	}
}

// Series returns the instruments of one model version, creating them on
// first use. Resolve it once and keep it: its methods are the fast path.
func (m *Metrics) Series(model, version string) *Series {
	if m == nil {
		return nil
	}
	k := seriesKey{label(model), label(version)}
	m.seriesMu.RLock()
	s := m.series[k]
	m.seriesMu.RUnlock()
	if s != nil {
		return s
	}
	m.seriesMu.Lock()
	defer m.seriesMu.Unlock()
	if s = m.series[k]; s == nil {
		s = newSeries(m, k.model, k.version)
		m.series[k] = s
	}
	return s
}

// Forget deletes every series of a retired model version: its prediction,
// latency, value, class and cost series and its window. Wrapped predictors
// that still hold the old Series keep counting into series no longer
// exported; wrap again after Forget.
func (m *Metrics) Forget(model, version string) {
	if m == nil {
		return
	}
	k := seriesKey{label(model), label(version)}
	m.seriesMu.Lock()
	delete(m.series, k)
	m.seriesMu.Unlock()
	l := prometheus.Labels{"model": k.model, "version": k.version}
	for _, v := range []interface {
		DeletePartialMatch(prometheus.Labels) int
	}{m.predictions, m.class, m.info} {
		v.DeletePartialMatch(l)
	}
	m.duration.Delete(l)
	m.value.Delete(l)
	m.inFlight.Delete(l)
	m.costSamples.Delete(l)
	m.cpuSeconds.Delete(l)
	m.allocBytes.Delete(l)
	m.stateMu.Lock()
	delete(m.digests, k)
	m.stateMu.Unlock()
}

func (m *Metrics) allSeries() []*Series {
	m.seriesMu.RLock()
	defer m.seriesMu.RUnlock()
	out := make([]*Series, 0, len(m.series))
	for _, s := range m.series {
		out = append(out, s)
	}
	return out
}

// SetDrift records the latest drift check of one feature: its score under
// a method (for example "ks" or "psi") and whether it counts as drift.
func (m *Metrics) SetDrift(model, feature, method string, score float64, drifted bool) {
	if m == nil {
		return
	}
	lv := []string{label(model), label(feature), label(method)}
	m.driftScore.WithLabelValues(lv...).Set(score)
	d := 0.0
	if drifted {
		d = 1
	}
	m.driftDetected.WithLabelValues(lv...).Set(d)
}

// DeleteDrift removes the drift series of every feature of a model.
func (m *Metrics) DeleteDrift(model string) {
	if m == nil {
		return
	}
	l := prometheus.Labels{"model": label(model)}
	m.driftScore.DeletePartialMatch(l)
	m.driftDetected.DeletePartialMatch(l)
}

// SetModelInfo marks a model version as served, with its content digest
// (for example the registry's sha256). Setting a new digest for the same
// model version replaces the old series.
func (m *Metrics) SetModelInfo(model, version, digest string) {
	if m == nil {
		return
	}
	k := seriesKey{label(model), label(version)}
	digest = label(digest)
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	if old, ok := m.digests[k]; ok && old != digest {
		m.info.DeleteLabelValues(k.model, k.version, old)
	}
	m.digests[k] = digest
	m.info.WithLabelValues(k.model, k.version, digest).Set(1)
}

// DeleteModelInfo removes the info series of a model version.
func (m *Metrics) DeleteModelInfo(model, version string) {
	if m == nil {
		return
	}
	k := seriesKey{label(model), label(version)}
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	if old, ok := m.digests[k]; ok {
		m.info.DeleteLabelValues(k.model, k.version, old)
		delete(m.digests, k)
	}
}

// SetRolloutWeight records the share of a model's traffic routed to one
// version in percent, from 0 to 100, as rollout steps are written (and as
// deploy/rollout reports them). sextant_rollout_weight exports it in
// base units, as a ratio from 0 to 1. Values outside [0, 100] are clamped
// and NaN is ignored.
func (m *Metrics) SetRolloutWeight(model, version string, percent float64) {
	if m == nil {
		return
	}
	if math.IsNaN(percent) {
		return
	}
	percent = min(max(percent, 0), 100)
	model, version = label(model), label(version)
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	w := m.weights[model]
	if w == nil {
		w = make(map[string]float64)
		m.weights[model] = w
	}
	w[version] = percent
	m.rolloutWeight.WithLabelValues(model, version).Set(percent / 100)
}

// RolloutWeight returns the weight in percent last set for a model
// version.
func (m *Metrics) RolloutWeight(model, version string) (float64, bool) {
	if m == nil {
		return 0, false
	}
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	w, ok := m.weights[label(model)][label(version)]
	return w, ok
}

// SetRolloutPhase records the current rollout phase of a model (for
// example "progressing", "paused", "promoted", "aborted"). Only the current
// phase is exported, with value 1; the previous phase's series is removed.
func (m *Metrics) SetRolloutPhase(model, phase string) {
	if m == nil {
		return
	}
	model, phase = label(model), label(phase)
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	if old, ok := m.phases[model]; ok && old != phase {
		m.rolloutPhase.DeleteLabelValues(model, old)
	}
	m.phases[model] = phase
	m.rolloutPhase.WithLabelValues(model, phase).Set(1)
}

// RolloutPhase returns the phase last set for a model.
func (m *Metrics) RolloutPhase(model string) (string, bool) {
	if m == nil {
		return "", false
	}
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	p, ok := m.phases[label(model)]
	return p, ok
}

// ClearRollout removes the rollout weights and phase of a model.
func (m *Metrics) ClearRollout(model string) {
	if m == nil {
		return
	}
	model = label(model)
	m.stateMu.Lock()
	defer m.stateMu.Unlock()
	delete(m.weights, model)
	delete(m.phases, model)
	l := prometheus.Labels{"model": model}
	m.rolloutWeight.DeletePartialMatch(l)
	m.rolloutPhase.DeletePartialMatch(l)
}

// label makes s a valid, bounded label value: invalid UTF-8 is replaced
// and values are cut to maxLabelValueLen bytes on a rune boundary.
func label(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, replacementForBadString)
	}
	if len(s) > maxLabelValueLen {
		cut := maxLabelValueLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}
