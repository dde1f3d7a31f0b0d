package monitor

import (
	"context"
	"errors"
	"net/http"
	"sync"
)

// WrapOptions configures Wrap. The zero value (or nil) records outcome,
// latency and cost only.
type WrapOptions[Out any] struct {
	// Classify maps the predictor's error to an outcome. Default: Classify.
	Classify func(error) Outcome
	// Value, when set, extracts a number from a successful prediction for
	// sextant_prediction_value; ok false skips it. Default: none.
	Value func(Out) (v float64, ok bool)
	// Class, when set, extracts the predicted class of a successful
	// prediction for sextant_prediction_class_total. Default: none.
	Class func(Out) string
}

// Wrap returns a predictor that behaves as f and records each call in m
// under model and version: outcome, latency, in-flight count, windowed
// statistics, sampled cost, and optionally the predicted value and class.
// A panic in f is recorded as an error and re-raised.
func Wrap[In, Out any](m *Metrics, model, version string, f func(context.Context, In) (Out, error), opts *WrapOptions[Out]) func(context.Context, In) (Out, error) {
	if m == nil {
		return f
	}
	s := m.Series(model, version)
	var o WrapOptions[Out]
	if opts != nil {
		o = *opts
	}
	classify := o.Classify
	if classify == nil {
		classify = Classify
	}
	value, class := o.Value, o.Class
	return func(ctx context.Context, in In) (Out, error) {
		mk := s.begin()
		done := false
		defer func() {
			if !done {
				s.end(mk, OutcomeError)
			}
		}()
		out, err := f(ctx, in)
		oc := classify(err) // inside the deferred accounting, should it panic
		done = true
		s.end(mk, oc)
		if oc == OutcomeOK {
			if value != nil {
				if v, ok := value(out); ok {
					s.ObserveValue(v)
				}
			}
			if class != nil {
				s.ObserveClass(class(out))
			}
		}
		return out, err
	}
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
	mk := h.s.begin()
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
