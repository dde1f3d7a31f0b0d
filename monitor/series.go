package monitor

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcome is how a prediction ended. It is the outcome label of
// sextant_predictions_total.
type Outcome uint8

// Outcomes. Error and Timeout count as errors in windowed statistics and
// in the shipped error-rate alert; Canceled (the caller went away) and
// Rejected (bad input, an HTTP 4xx) do not.
const (
	OutcomeOK Outcome = iota
	OutcomeError
	OutcomeTimeout
	OutcomeCanceled
	OutcomeRejected
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"ok", "error", "timeout", "canceled", "rejected"}

// String returns the label value of the outcome.
func (o Outcome) String() string {
	if o >= numOutcomes {
		return "invalid"
	}
	return outcomeNames[o]
}

func (o Outcome) isError() bool { return o == OutcomeError || o == OutcomeTimeout }

// Classify is the default mapping from a predictor's error to an outcome:
// nil is OK, context.Canceled is Canceled, context.DeadlineExceeded is
// Timeout, anything else is Error.
func Classify(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, context.Canceled):
		return OutcomeCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return OutcomeTimeout
	default:
		return OutcomeError
	}
}

// Series holds the instruments of one model version. Get it from
// Metrics.Series; Wrap and Metrics.Middleware use it internally.
type Series struct {
	model, version string
	clock          func() int64
	classify       func(error) Outcome // Options.Classify

	outcomes [numOutcomes]prometheus.Counter
	duration prometheus.Observer
	inFlight prometheus.Gauge
	window   *window
	cost     *costMeter

	valueOnce sync.Once
	value     prometheus.Observer

	vecClass   *prometheus.CounterVec
	allowed    map[string]bool // nil: admit the first maxClasses classes
	maxClasses int
	classes    atomic.Pointer[map[string]prometheus.Counter]
	classFull  atomic.Bool
	classMu    sync.Mutex
	otherOnce  sync.Once
	other      prometheus.Counter
	vecValue   *prometheus.HistogramVec
}

func newSeries(m *Metrics, model, version string) *Series {
	s := &Series{
		model:      model,
		version:    version,
		clock:      m.cfg.clock,
		classify:   m.cfg.Classify,
		duration:   m.duration.WithLabelValues(model, version),
		inFlight:   m.inFlight.WithLabelValues(model, version),
		window:     newWindow(m.cfg.Window, m.cfg.WindowSlots, m.cfg.WindowSample),
		vecClass:   m.class,
		vecValue:   m.value,
		maxClasses: m.cfg.MaxClasses,
	}
	for o := range numOutcomes {
		s.outcomes[o] = m.predictions.WithLabelValues(model, version, o.String())
	}
	if m.cfg.CostSampleEvery > 0 {
		s.cost = newCostMeter(m, model, version)
	}
	if m.cfg.Classes != nil {
		s.allowed = make(map[string]bool, len(m.cfg.Classes))
		for _, c := range m.cfg.Classes {
			s.allowed[label(c)] = true
		}
	}
	empty := map[string]prometheus.Counter{}
	s.classes.Store(&empty)
	return s
}

// Model returns the model label of the series.
func (s *Series) Model() string {
	if s == nil {
		return ""
	}
	return s.model
}

// Version returns the version label of the series.
func (s *Series) Version() string {
	if s == nil {
		return ""
	}
	return s.version
}

// mark is what begin hands to end.
type mark struct {
	start int64
	cost  costMark
}

// begin starts a prediction. A partial one (see finish) reads the clock
// only when its cost is sampled, the one use finish makes of the start.
func (s *Series) begin(partial bool) mark {
	s.inFlight.Inc()
	var mk mark
	if s.cost != nil {
		mk.cost = s.cost.begin()
	}
	if !partial || mk.cost.on {
		mk.start = s.clock()
	}
	return mk
}

func (s *Series) end(mk mark, o Outcome) {
	now := s.clock()
	d := time.Duration(now - mk.start)
	if mk.cost.on {
		s.cost.end(mk.cost, d)
	}
	if o >= numOutcomes {
		o = OutcomeError
	}
	s.inFlight.Dec()
	s.outcomes[o].Inc()
	s.duration.Observe(d.Seconds())
	s.window.record(now, d, o)
}

// finish ends a prediction begun with begin: in full, or, when partial,
// only the cost and the in-flight count (see WrapOptions.BehindRouter).
func (s *Series) finish(mk mark, o Outcome, partial bool) {
	if !partial {
		s.end(mk, o)
		return
	}
	if mk.cost.on {
		s.cost.end(mk.cost, time.Duration(s.clock()-mk.start))
	}
	s.inFlight.Dec()
}

// Do runs f as one prediction and records its outcome (by the metrics
// set's Options.Classify),
// latency and cost. A panic in f is recorded as an error and re-raised.
func (s *Series) Do(ctx context.Context, f func(context.Context) error) error {
	if s == nil {
		return f(ctx)
	}
	mk := s.begin(false)
	done := false
	defer func() {
		if !done {
			s.end(mk, OutcomeError)
		}
	}()
	err := f(ctx)
	done = true
	s.end(mk, s.classify(err))
	return err
}

// Observe records a prediction measured by the caller. It does not touch
// the in-flight gauge or cost sampling.
func (s *Series) Observe(o Outcome, d time.Duration) {
	if s == nil {
		return
	}
	if o >= numOutcomes {
		o = OutcomeError
	}
	s.outcomes[o].Inc()
	s.duration.Observe(d.Seconds())
	s.window.record(s.clock(), d, o)
}

// ObserveValue records a predicted value (a score, a probability, a
// regression output) in sextant_prediction_value.
func (s *Series) ObserveValue(v float64) {
	if s == nil {
		return
	}
	s.valueOnce.Do(func() { s.value = s.vecValue.WithLabelValues(s.model, s.version) })
	s.value.Observe(v)
}

// ObserveClass counts a predicted class in sextant_prediction_class_total.
// Classes outside Options.Classes, beyond Options.MaxClasses, empty, longer
// than 128 bytes or not valid UTF-8 are counted as "other", so adversarial
// class values cannot grow the number of series.
func (s *Series) ObserveClass(class string) {
	if s == nil {
		return
	}
	if c, ok := (*s.classes.Load())[class]; ok {
		c.Inc()
		return
	}
	s.admitClass(class).Inc()
}

func (s *Series) otherCounter() prometheus.Counter {
	s.otherOnce.Do(func() { s.other = s.vecClass.WithLabelValues(s.model, s.version, otherClass) })
	return s.other
}

func (s *Series) admitClass(class string) prometheus.Counter {
	if s.classFull.Load() || class == "" || class == otherClass ||
		len(class) > maxLabelValueLen || !utf8.ValidString(class) ||
		(s.allowed != nil && !s.allowed[class]) {
		return s.otherCounter()
	}
	s.classMu.Lock()
	defer s.classMu.Unlock()
	cur := *s.classes.Load()
	if c, ok := cur[class]; ok {
		return c
	}
	if s.allowed == nil && len(cur) >= s.maxClasses {
		s.classFull.Store(true)
		return s.otherCounter()
	}
	c := s.vecClass.WithLabelValues(s.model, s.version, class)
	next := make(map[string]prometheus.Counter, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	next[class] = c
	s.classes.Store(&next)
	if s.allowed != nil && len(next) == len(s.allowed) {
		s.classFull.Store(true)
	}
	return c
}
