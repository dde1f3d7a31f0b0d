package monitortest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/monitor/monitortest"
)

// scoreHandler is the kind of code a user tests: an HTTP endpoint that
// scores a transaction with a model and is instrumented by monitor.
func scoreHandler(m *monitor.Metrics, model func(context.Context, float64) (float64, error)) http.Handler {
	predict := monitor.WrapFunc(m, "fraud", "v3", model, &monitor.WrapOptions[float64]{
		Value: func(p float64) (float64, bool) { return p, true },
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Amount float64 }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p, err := predict(r.Context(), req.Amount)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]float64{"score": p})
	})
}

// TestScoreHandlerRecordsPredictions is written as a user of the package
// would write it: a canary model that fails one call in five and takes
// 40ms, checked through the metrics and the windowed statistics.
func TestScoreHandlerRecordsPredictions(t *testing.T) {
	r := monitortest.New(t, nil)
	model := monitortest.Scripted[float64](r.Clock, monitortest.Script{Latency: 40 * time.Millisecond, FailEvery: 5}, 0.25)
	srv := httptest.NewServer(scoreHandler(r.Metrics, model))
	defer srv.Close()

	for range 50 {
		resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{"Amount": 120}`))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}

	if got := r.Predictions("fraud", "v3", monitor.OutcomeOK); got != 40 {
		t.Errorf("ok predictions = %v, want 40", got)
	}
	if got := r.Predictions("fraud", "v3", monitor.OutcomeError); got != 10 {
		t.Errorf("failed predictions = %v, want 10", got)
	}
	if n, sum := r.Values("fraud", "v3"); n != 40 || sum != 10 {
		t.Errorf("scores: %d observed, sum %v; want 40, 10", n, sum)
	}
	st := r.Metrics.Window("fraud", "v3")
	if st.ErrorRate() != 0.2 {
		t.Errorf("window error rate = %v, want 0.2", st.ErrorRate())
	}
	if p50, _ := st.Quantile(0.5); p50 < 37*time.Millisecond || p50 > 43*time.Millisecond {
		t.Errorf("p50 = %v, want about 40ms", p50)
	}
}
