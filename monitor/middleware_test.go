package monitor_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/monitor"
)

func TestMiddlewareOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		cancel  bool
		want    monitor.Outcome
	}{
		{"body", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "0.93") }, false, monitor.OutcomeOK},
		{"no write", func(http.ResponseWriter, *http.Request) {}, false, monitor.OutcomeOK},
		{"early hints then ok", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusAccepted)
		}, false, monitor.OutcomeOK},
		{"not found", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, false, monitor.OutcomeRejected},
		{"bad request", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadRequest) }, false, monitor.OutcomeRejected},
		{"server error", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }, false, monitor.OutcomeError},
		{"gateway timeout", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusGatewayTimeout) }, false, monitor.OutcomeTimeout},
		{"status after body is ignored", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "x")
			w.WriteHeader(http.StatusInternalServerError)
		}, false, monitor.OutcomeOK},
		{"client gone", func(http.ResponseWriter, *http.Request) {}, true, monitor.OutcomeCanceled},
		{"client gone after a 503", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }, true, monitor.OutcomeCanceled},
		{"client gone after a full answer", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "0.5") }, true, monitor.OutcomeOK},
		{"client gone after bad input", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadRequest) }, true, monitor.OutcomeRejected},
		{"flush", func(w http.ResponseWriter, _ *http.Request) {
			if err := http.NewResponseController(w).Flush(); err != nil {
				panic(err)
			}
		}, false, monitor.OutcomeOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := newMetrics(t, nil)
			h := m.Middleware("fraud", "v2", tc.handler)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				cancel()
			}
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/predict", nil)
			h.ServeHTTP(httptest.NewRecorder(), req)
			st := m.Window("fraud", "v2")
			if st.Requests != 1 || st.ByOutcome[tc.want] != 1 {
				t.Fatalf("outcomes %v, want one %v", st.ByOutcome, tc.want)
			}
		})
	}
}

func TestMiddlewarePanic(t *testing.T) {
	m, reg := newMetrics(t, nil)
	h := m.Middleware("fraud", "v2", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	func() {
		defer func() {
			if r := recover(); r != http.ErrAbortHandler {
				t.Errorf("recovered %v, want the handler's panic", r)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	}()
	if st := m.Window("fraud", "v2"); st.ByOutcome[monitor.OutcomeError] != 1 {
		t.Fatalf("outcomes %v, want one error", st.ByOutcome)
	}
	if v := gaugeValue(t, reg, monitor.MetricInFlight); v != 0 {
		t.Fatalf("in flight = %v after a panic", v)
	}
}

func TestMiddlewareServer(t *testing.T) {
	clk := newClock()
	m, _ := newMetrics(t, &monitor.Options{Now: clk.Now})
	srv := httptest.NewServer(m.Middleware("fraud", "v2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		clk.Advance(40 * time.Millisecond)
		if r.URL.Query().Get("bad") != "" {
			http.Error(w, "bad input", http.StatusUnprocessableEntity)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})))
	defer srv.Close()
	for _, q := range []string{"", "?bad=1", "", ""} {
		resp, err := http.Get(srv.URL + q)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	st := m.Window("fraud", "v2")
	if st.ByOutcome[monitor.OutcomeOK] != 3 || st.ByOutcome[monitor.OutcomeRejected] != 1 || st.Errors != 0 {
		t.Fatalf("outcomes %v", st.ByOutcome)
	}
	if p50, _ := st.Quantile(0.5); p50 < 35*time.Millisecond || p50 > 45*time.Millisecond {
		t.Errorf("p50 = %v, want about 40ms", p50)
	}
}
