// Package monitortest gives tests a ready monitor.Metrics on a fresh
// pedantic Prometheus registry, with a manual clock, helpers that read back
// what was recorded, and a scripted predictor for injecting latency and
// failures.
//
// monitor has no interface for users to implement (it consumes none), so
// there is no conformance suite here.
//
// A Recorder is safe for concurrent use, as monitor.Metrics is.
package monitortest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/sextant-ml/sextant/monitor"
)

// Clock is a manual clock, safe for concurrent use. Its zero value is
// ready to use and reads the Unix epoch, 1970-01-01T00:00:00Z, as
// drifttest.Clock's does; NewClock starts it elsewhere.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// epoch is where a zero Clock starts. monitor reads the clock as Unix
// nanoseconds, which time.Time's zero value (year 1) does not fit.
var epoch = time.Unix(0, 0).UTC()

// NewClock returns a clock stopped at t; the zero time starts it at the
// Unix epoch, as the zero Clock does.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time; pass it as monitor.Options.Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return epoch
	}
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		c.t = epoch
	}
	c.t = c.t.Add(d)
}

// Recorder is a monitor.Metrics on its own pedantic registry, made by New.
// The zero Recorder records nothing: its reads find no series and Scrape
// returns "".
type Recorder struct {
	// Metrics is the set under test; hand it to the code being tested.
	Metrics *monitor.Metrics
	// Registry holds only Metrics' collectors.
	Registry *prometheus.Registry
	// Clock drives Metrics' latencies and windows unless the options
	// passed to New had their own Now.
	Clock *Clock

	t testing.TB
}

// New returns a Recorder for t. opts may be nil; when opts.Now is nil the
// Recorder's Clock (starting at 2026-01-01T00:00:00Z) is used, and when
// opts.CostSampleEvery is zero cost sampling is off, so recorded values
// do not depend on the machine. At cleanup the registry must still gather
// without error and pass client_golang's lint; otherwise the test fails.
func New(t testing.TB, opts *monitor.Options) *Recorder {
	t.Helper()
	var o monitor.Options
	if opts != nil {
		o = *opts
	}
	r := &Recorder{Registry: prometheus.NewPedanticRegistry(), Clock: NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), t: t}
	if o.Now == nil {
		o.Now = r.Clock.Now
	}
	if o.CostSampleEvery == 0 {
		o.CostSampleEvery = -1
	}
	m, err := monitor.New(r.Registry, &o)
	if err != nil {
		t.Fatalf("monitortest: %v", err)
	}
	r.Metrics = m
	t.Cleanup(func() {
		if _, err := r.Registry.Gather(); err != nil {
			t.Errorf("monitortest: registry no longer gathers: %v", err)
		}
		if problems, err := testutil.GatherAndLint(r.Registry); err != nil || len(problems) > 0 {
			t.Errorf("monitortest: lint: %v %v", problems, err)
		}
		m.Unregister()
	})
	return r
}

func (r *Recorder) helper() {
	if r.t != nil {
		r.t.Helper()
	}
}

func (r *Recorder) fatalf(format string, args ...any) {
	if r.t != nil {
		r.t.Helper()
		r.t.Fatalf(format, args...)
	}
	panic(fmt.Sprintf(format, args...))
}

// gather gathers Registry; a Recorder without one has no series.
func (r *Recorder) gather() ([]*dto.MetricFamily, error) {
	if r.Registry == nil {
		return nil, nil
	}
	return r.Registry.Gather()
}

// find returns the series of family name whose labels include want.
func (r *Recorder) find(name string, want map[string]string) []*dto.Metric {
	r.helper()
	mfs, err := r.gather()
	if err != nil {
		r.fatalf("monitortest: gather: %v", err)
	}
	var out []*dto.Metric
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue series
				}
			}
			out = append(out, m)
		}
	}
	return out
}

// Value returns the sum over the series of family name whose labels
// include labels: counter and gauge values, or observation counts for
// histograms. ok is false when no series matches.
func (r *Recorder) Value(name string, labels map[string]string) (v float64, ok bool) {
	r.helper()
	ms := r.find(name, labels)
	for _, m := range ms {
		switch {
		case m.Counter != nil:
			v += m.GetCounter().GetValue()
		case m.Gauge != nil:
			v += m.GetGauge().GetValue()
		case m.Histogram != nil:
			v += float64(m.GetHistogram().GetSampleCount())
		case m.Untyped != nil:
			v += m.GetUntyped().GetValue()
		}
	}
	return v, len(ms) > 0
}

// Count returns the number of series of family name.
func (r *Recorder) Count(name string) int {
	r.helper()
	return len(r.find(name, nil))
}

func mv(model, version string) map[string]string {
	return map[string]string{"model": model, "version": version}
}

// Predictions returns sextant_predictions_total for one outcome.
func (r *Recorder) Predictions(model, version string, o monitor.Outcome) float64 {
	r.helper()
	l := mv(model, version)
	l["outcome"] = o.String()
	v, _ := r.Value(monitor.MetricPredictions, l)
	return v
}

// Total returns sextant_predictions_total summed over outcomes.
func (r *Recorder) Total(model, version string) float64 {
	r.helper()
	v, _ := r.Value(monitor.MetricPredictions, mv(model, version))
	return v
}

// Latency returns the observation count and sum (seconds) of
// sextant_prediction_duration_seconds.
func (r *Recorder) Latency(model, version string) (count uint64, sum float64) {
	r.helper()
	return r.histogram(monitor.MetricDuration, model, version)
}

func (r *Recorder) histogram(name, model, version string) (count uint64, sum float64) {
	r.helper()
	for _, m := range r.find(name, mv(model, version)) {
		count += m.GetHistogram().GetSampleCount()
		sum += m.GetHistogram().GetSampleSum()
	}
	return count, sum
}

// InFlight returns sextant_predictions_in_flight.
func (r *Recorder) InFlight(model, version string) float64 {
	r.helper()
	v, _ := r.Value(monitor.MetricInFlight, mv(model, version))
	return v
}

// Classes returns sextant_prediction_class_total by class.
func (r *Recorder) Classes(model, version string) map[string]float64 {
	r.helper()
	out := map[string]float64{}
	for _, m := range r.find(monitor.MetricClass, mv(model, version)) {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "class" {
				out[lp.GetValue()] += m.GetCounter().GetValue()
			}
		}
	}
	return out
}

// Values returns the observation count and sum of sextant_prediction_value.
func (r *Recorder) Values(model, version string) (count uint64, sum float64) {
	r.helper()
	return r.histogram(monitor.MetricValue, model, version)
}

// Drift returns the exported drift score and verdict of a feature.
func (r *Recorder) Drift(model, feature, method string) (score float64, drifted, ok bool) {
	r.helper()
	l := map[string]string{"model": model, "feature": feature, "method": method}
	score, ok = r.Value(monitor.MetricDriftScore, l)
	d, _ := r.Value(monitor.MetricDriftDetected, l)
	return score, d == 1, ok
}

// ModelInfo returns the digest exported for a model version.
func (r *Recorder) ModelInfo(model, version string) (digest string, ok bool) {
	r.helper()
	for _, m := range r.find(monitor.MetricModelInfo, mv(model, version)) {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "digest" {
				return lp.GetValue(), true
			}
		}
	}
	return "", false
}

// RolloutWeight returns the exported rollout weight of a model version, a
// ratio from 0 to 1 (SetRolloutWeight takes percent).
func (r *Recorder) RolloutWeight(model, version string) (float64, bool) {
	r.helper()
	return r.Value(monitor.MetricRolloutWeight, mv(model, version))
}

// RolloutPhase returns the exported rollout phase of a model.
func (r *Recorder) RolloutPhase(model string) (string, bool) {
	r.helper()
	for _, m := range r.find(monitor.MetricRolloutPhase, map[string]string{"model": model}) {
		if m.GetGauge().GetValue() != 1 {
			continue
		}
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "phase" {
				return lp.GetValue(), true
			}
		}
	}
	return "", false
}

// Scrape returns the registry's text exposition, as promhttp serves it.
func (r *Recorder) Scrape() string {
	r.helper()
	mfs, err := r.gather()
	if err != nil {
		r.fatalf("monitortest: gather: %v", err)
	}
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			r.fatalf("monitortest: encode: %v", err)
		}
	}
	return b.String()
}

// Script describes the behaviour of a scripted predictor.
type Script struct {
	// Latency is how far each call advances the clock.
	Latency time.Duration
	// FailEvery makes every FailEvery-th call (counting from 1) fail with
	// Err; 0 never fails.
	FailEvery int
	// Err is the failure returned; default: ErrInjected.
	Err error
}

// ErrInjected is the failure a scripted predictor returns by default.
var ErrInjected = errors.New("monitortest: injected failure")

// Scripted returns a predictor that answers out, advancing c by
// s.Latency on every call and failing as s says; with Wrap it gives
// known latencies and error rates, for example a failing canary. A
// canceled context fails the call with the context's error.
func Scripted[In, Out any](c *Clock, s Script, out Out) func(context.Context, In) (Out, error) {
	var calls atomic.Int64
	errFail := s.Err
	if errFail == nil {
		errFail = ErrInjected
	}
	return func(ctx context.Context, _ In) (Out, error) {
		n := calls.Add(1)
		c.Advance(s.Latency)
		if err := ctx.Err(); err != nil {
			var zero Out
			return zero, err
		}
		if s.FailEvery > 0 && n%int64(s.FailEvery) == 0 {
			var zero Out
			return zero, errFail
		}
		return out, nil
	}
}
