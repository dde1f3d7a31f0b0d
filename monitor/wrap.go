package monitor

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// WrapOptions configures Wrap and WrapFunc. The zero value (or nil) records outcome,
// latency and cost only.
type WrapOptions[Out any] struct {
	// Classify maps the predictor's error to an outcome. Default:
	// Options.Classify of the metrics set.
	Classify func(error) Outcome
	// Value, when set, extracts a number from a successful prediction for
	// sextant_prediction_value; ok false skips it. Default: none.
	Value func(Out) (v float64, ok bool)
	// Class, when set, extracts the predicted class of a successful
	// prediction for sextant_prediction_class_total. Default: none.
	Class func(Out) string
	// BehindRouter leaves the outcome counters, the latency histogram and
	// the windowed statistics to a deploy.Router whose Observer is the
	// same Metrics, and records only the in-flight count, the sampled cost
	// and the value and class. Wrap the versions behind such a router this
	// way: the router records routed calls only, so that calls of a
	// version by name (Router.PredictVersion) stay out of the window a
	// rollout judges, while cost, value and class cover every call.
	// Default false: Wrap records everything.
	BehindRouter bool
}

// Predictor is what Wrap instruments: any value with this Predict
// method, such as a deploy.Predictor, a *deploy.Router or a model of
// your own. Wrap returns one too, so an instrumented predictor goes
// wherever the bare one went.
type Predictor[In, Out any] interface {
	Predict(ctx context.Context, in In) (Out, error)
}

// Wrap returns a predictor that behaves as p and records each call in m
// under model and version: outcome, latency, in-flight count, windowed
// statistics, sampled cost, and optionally the predicted value and class.
// A panic in p is recorded as an error and re-raised. When p reports
// readiness (a Ready(context.Context) bool method), so does the result.
// A nil m returns p itself.
//
// Behind a deploy.Router, give m to the router as its Observer, and wrap
// each version, if at all, with WrapOptions.BehindRouter: the router
// records routed calls only, while a fully wrapped version would also
// count calls made to it by name (PredictVersion), which must not weigh
// in a rollout's analysis.
func Wrap[In, Out any](m *Metrics, model, version string, p Predictor[In, Out], opts *WrapOptions[Out]) Predictor[In, Out] {
	if m == nil {
		return p
	}
	w := instrument(m, model, version, p.Predict, opts)
	if rd, ok := p.(readier); ok {
		return &readyWrapped[In, Out]{wrapped: w, rd: rd}
	}
	return w
}

// WrapFunc is Wrap for a predictor that is a plain function.
func WrapFunc[In, Out any](m *Metrics, model, version string, f func(context.Context, In) (Out, error), opts *WrapOptions[Out]) func(context.Context, In) (Out, error) {
	if m == nil {
		return f
	}
	return instrument(m, model, version, f, opts).Predict
}

type readier interface {
	Ready(ctx context.Context) bool
}

// wrapped is an instrumented predictor.
type wrapped[In, Out any] struct {
	s        *Series
	next     func(context.Context, In) (Out, error)
	classify func(error) Outcome
	value    func(Out) (float64, bool)
	class    func(Out) string
	partial  bool // BehindRouter
}

type readyWrapped[In, Out any] struct {
	*wrapped[In, Out]
	rd readier
}

// Ready asks the wrapped predictor.
func (w *readyWrapped[In, Out]) Ready(ctx context.Context) bool { return w.rd.Ready(ctx) }

func instrument[In, Out any](m *Metrics, model, version string, f func(context.Context, In) (Out, error), opts *WrapOptions[Out]) *wrapped[In, Out] {
	var o WrapOptions[Out]
	if opts != nil {
		o = *opts
	}
	w := &wrapped[In, Out]{s: m.Series(model, version), next: f, classify: o.Classify, value: o.Value, class: o.Class, partial: o.BehindRouter}
	if w.classify == nil {
		w.classify = w.s.classify
	}
	return w
}

// Predict calls the wrapped predictor and records the call.
func (w *wrapped[In, Out]) Predict(ctx context.Context, in In) (Out, error) {
	s := w.s
	mk := s.begin(w.partial)
	done := false
	defer func() {
		if !done {
			s.finish(mk, OutcomeError, w.partial)
		}
	}()
	out, err := w.next(ctx, in)
	oc := w.classify(err) // inside the deferred accounting, should it panic
	done = true
	s.finish(mk, oc, w.partial)
	if oc == OutcomeOK {
		if w.value != nil {
			if v, ok := w.value(out); ok {
				s.ObserveValue(v)
			}
		}
		if w.class != nil {
			s.ObserveClass(w.class(out))
		}
	}
	return out, err
}

// Recorder returns a function that records one prediction of a model
// version that the caller timed: its latency, and its outcome by
// Options.Classify of its error, in the same series Wrap uses (counters,
// latency histogram, windowed statistics; not the in-flight gauge or
// cost). deploy's Router takes a *Metrics as its Observer through this
// method. On a nil Metrics the function records nothing.
func (m *Metrics) Recorder(model, version string) func(latency time.Duration, err error) {
	if m == nil {
		return func(time.Duration, error) {}
	}
	s := m.Series(model, version)
	return func(d time.Duration, err error) { s.Observe(s.classify(err), d) }
}

// Middleware returns an http.Handler that serves next and records each
// request as a prediction of model and version. The outcome comes from the
// response status: below 400 is OK, 4xx is Rejected, 5xx is Error (504 is
// Timeout). A request that got no answer or a 5xx is Canceled when its
// context was canceled (the client left) and Timeout when its deadline
// passed. A panic in next is recorded as an error and re-raised. The
// writer next receives implements http.Flusher and unwraps for
// http.ResponseController (Hijack, deadlines).
func (m *Metrics) Middleware(model, version string, next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return &middleware{s: m.Series(model, version), next: next}
}

type middleware struct {
	s    *Series
	next http.Handler
	pool sync.Pool
}

func (h *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec, _ := h.pool.Get().(*statusRecorder)
	if rec == nil {
		rec = new(statusRecorder)
	}
	rec.ResponseWriter, rec.status = w, 0
	mk := h.s.begin(false)
	done := false
	defer func() {
		if !done {
			h.s.end(mk, OutcomeError)
		}
	}()
	h.next.ServeHTTP(rec, r)
	done = true
	h.s.end(mk, httpOutcome(r.Context().Err(), rec.status))
	rec.ResponseWriter = nil
	h.pool.Put(rec)
}

// httpOutcome classifies a finished request. The context decides only
// when no answer or a server error was written: a complete 200 to a client
// that left a moment later is still a success.
func httpOutcome(ctxErr error, status int) Outcome {
	failed := status == 0 || status >= 500
	switch {
	case failed && errors.Is(ctxErr, context.Canceled):
		return OutcomeCanceled
	case failed && errors.Is(ctxErr, context.DeadlineExceeded), status == http.StatusGatewayTimeout:
		return OutcomeTimeout
	case status >= 500:
		return OutcomeError
	case status >= 400:
		return OutcomeRejected
	default:
		return OutcomeOK
	}
}

// statusRecorder remembers the status code written through it. Unwrap
// lets http.ResponseController reach the underlying writer's Flush,
// Hijack and deadlines.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Flush forwards to the underlying writer when it can flush.
func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		if r.status == 0 {
			r.status = http.StatusOK
		}
		f.Flush()
	}
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
