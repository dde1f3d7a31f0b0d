package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Exchange is one HTTP request and its response writer, the input of a
// version in the HTTP form of a router.
type Exchange struct {
	W http.ResponseWriter
	R *http.Request
}

// ErrServerError reports a version that answered an HTTP request with a
// 5xx status; the HTTP form counts it as a failed request.
var ErrServerError = errors.New("deploy: version answered with a server error")

// HandlerVersion makes an http.Handler a version of an HTTP router. A
// response with a 5xx status counts as an error for observers (and so
// for rollout analysis); the response itself is passed on unchanged.
func HandlerVersion(h http.Handler) Predictor[Exchange, struct{}] {
	return PredictorFunc[Exchange, struct{}](func(_ context.Context, ex Exchange) (struct{}, error) {
		sw := &statusWriter{ResponseWriter: ex.W, code: http.StatusOK}
		h.ServeHTTP(sw, ex.R)
		if sw.code >= 500 {
			return struct{}{}, fmt.Errorf("%w: status %d", ErrServerError, sw.code)
		}
		return struct{}{}, nil
	})
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServedVersionHeader is the response header naming the version that
// answered a routed request.
const ServedVersionHeader = "Sextant-Served-Version"

// Request headers the HTTP forms route on (with every other header
// available to header rules).
const (
	RouteKeyHeader = "Sextant-Route-Key"
	CohortHeader   = "Sextant-Cohort"
)

// RequestFromHTTP returns the routing request of an HTTP request: its
// Sextant-Route-Key and Sextant-Cohort headers, and all its headers as
// the attributes header rules match.
func RequestFromHTTP(hr *http.Request) Request {
	return Request{Key: hr.Header.Get(RouteKeyHeader), Cohort: hr.Header.Get(CohortHeader), Attrs: hr.Header}
}

// HTTPHandler is the HTTP form of a router whose versions are
// http.Handlers (see HandlerVersion): each request is routed by its
// Sextant-Route-Key and Sextant-Cohort headers and the router's header
// rules, and the version that serves it is named in the
// Sextant-Served-Version response header. Shadow traffic is not
// mirrored in this form, since a request body can be read only once and
// a response written only once; use the Open Inference Protocol Handler
// or Router.Serve for shadowing. When nothing is routed it answers 503.
func HTTPHandler(r *Router[Exchange, struct{}]) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		req := RequestFromHTTP(hr)
		_, _, err := r.serve(hr.Context(), &req, Exchange{W: w, R: hr}, false, func(v string) {
			w.Header().Set(ServedVersionHeader, v)
		})
		if errors.Is(err, ErrNoRoute) || errors.Is(err, ErrClosed) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		}
	})
}

// ServerTimeouts bound how long one connection may hold a server, so
// that a client that sends its headers or body slowly, or stalls, or
// keeps an idle connection open, is cut off. Zero fields take the
// defaults.
type ServerTimeouts struct {
	// ReadHeader bounds reading a request's headers. Default 5s.
	ReadHeader time.Duration
	// Read bounds reading a whole request, headers and body. Default
	// 30s, enough for DefaultMaxBodyBytes at about 300 KB/s.
	Read time.Duration
	// Write bounds the time from the end of a request's headers to the
	// end of its response: the body's reading, the model's work and the
	// answer. Keep it above Read. Default 60s.
	Write time.Duration
	// Idle bounds the wait for the next request on a kept-alive
	// connection. Default 120s.
	Idle time.Duration
	// MaxHeaderBytes bounds a request's headers. Default 64 KiB.
	MaxHeaderBytes int
}

// NewServer returns an http.Server for addr and h with every timeout of
// t set (t may be nil: all defaults). Serve a Handler or HTTPHandler
// through it, or copy its timeouts into a server of your own: a server
// without them (the zero http.Server) keeps a stalled request, and the
// goroutine and buffers behind it, forever.
func NewServer(addr string, h http.Handler, t *ServerTimeouts) *http.Server {
	var v ServerTimeouts
	if t != nil {
		v = *t
	}
	def := func(d *time.Duration, x time.Duration) {
		if *d <= 0 {
			*d = x
		}
	}
	def(&v.ReadHeader, 5*time.Second)
	def(&v.Read, 30*time.Second)
	def(&v.Write, 60*time.Second)
	def(&v.Idle, 120*time.Second)
	if v.MaxHeaderBytes <= 0 {
		v.MaxHeaderBytes = 64 << 10
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: v.ReadHeader,
		ReadTimeout:       v.Read,
		WriteTimeout:      v.Write,
		IdleTimeout:       v.Idle,
		MaxHeaderBytes:    v.MaxHeaderBytes,
	}
}
