package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sextant-ml/sextant/monitor"
	"github.com/sextant-ml/sextant/monitor/monitortest"
)

// WrapFunc instruments a predictor that is a function: every call is
// counted by outcome and timed, and the predicted probability and class
// are recorded.
func ExampleWrapFunc() {
	reg := prometheus.NewRegistry()
	m, err := monitor.New(reg, &monitor.Options{ConstLabels: prometheus.Labels{"service": "fraud-api"}})
	if err != nil {
		panic(err)
	}

	type tx struct{ Amount float64 }
	score := func(_ context.Context, t tx) (float64, error) {
		if t.Amount < 0 {
			return 0, errors.New("negative amount")
		}
		return min(t.Amount/1000, 1), nil
	}
	predict := monitor.WrapFunc(m, "fraud", "v2", score, &monitor.WrapOptions[float64]{
		Value: func(p float64) (float64, bool) { return p, true },
		Class: func(p float64) string {
			if p > 0.5 {
				return "fraud"
			}
			return "legit"
		},
	})

	for _, amount := range []float64{20, 900, -5, 40} {
		p, err := predict(context.Background(), tx{amount})
		fmt.Println(p, err)
	}
	st := m.Window("fraud", "v2")
	fmt.Printf("requests %d, errors %d, error rate %.2f\n", st.Requests, st.Errors, st.ErrorRate())
	classes, err := testutil.GatherAndCount(reg, monitor.MetricClass)
	if err != nil {
		panic(err)
	}
	fmt.Println("series of sextant_prediction_class_total:", classes)
	// Output:
	// 0.02 <nil>
	// 0.9 <nil>
	// 0 negative amount
	// 0.04 <nil>
	// requests 4, errors 1, error rate 0.25
	// series of sextant_prediction_class_total: 2
}

// Instrument an HTTP prediction endpoint. 4xx answers count as rejected
// input, 5xx as errors.
func ExampleMetrics_Middleware() {
	m, err := monitor.New(prometheus.NewRegistry(), nil)
	if err != nil {
		panic(err)
	}
	predict := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("x") == "" {
			http.Error(w, "missing x", http.StatusBadRequest)
			return
		}
		_, _ = io.WriteString(w, `{"score":0.7}`)
	})
	srv := httptest.NewServer(m.Middleware("churn", "2024-06", predict))
	defer srv.Close()

	for _, q := range []string{"?x=1", "", "?x=2"} {
		resp, err := http.Get(srv.URL + "/predict" + q)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	st := m.Window("churn", "2024-06")
	fmt.Println("ok:", st.ByOutcome[monitor.OutcomeOK], "rejected:", st.ByOutcome[monitor.OutcomeRejected], "errors:", st.Errors)
	// Output:
	// 200
	// 400
	// 200
	// ok: 2 rejected: 1 errors: 0
}

// Read the windowed statistics a rollout analysis uses, without a
// Prometheus server.
func ExampleMetrics_Window() {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	m, err := monitor.New(prometheus.NewRegistry(), &monitor.Options{
		Window: time.Minute,
		Now:    func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	canary := m.Series("fraud", "v3")
	for i := range 100 {
		o := monitor.OutcomeOK
		if i%20 == 0 {
			o = monitor.OutcomeError
		}
		canary.Observe(o, time.Duration(10+i%10)*time.Millisecond)
	}
	st := m.Window("fraud", "v3")
	p90, _ := st.Quantile(0.9)
	fmt.Printf("%d requests, error rate %.2f, p90 %s\n", st.Requests, st.ErrorRate(), p90.Round(time.Millisecond))

	now = now.Add(2 * time.Minute) // everything has left the window
	st = m.Window("fraud", "v3")
	fmt.Println(st.Requests, "requests, error rate", st.ErrorRate())
	// Output:
	// 100 requests, error rate 0.05, p90 19ms
	// 0 requests, error rate NaN
}

// Write the Grafana dashboard and the Prometheus alert rules for
// provisioning.
func ExampleWriteAssets() {
	dir, err := os.MkdirTemp("", "sextant-assets")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	dash, rules, err := monitor.WriteAssets(context.Background(), dir)
	if err != nil {
		panic(err)
	}
	fmt.Println(filepath.Base(dash))
	fmt.Println(filepath.Base(rules))
	// Output:
	// sextant-dashboard.json
	// sextant-rules.yml
}

// Read one analysis interval of a canary and of its baseline, as a rollout
// judge does: counts for an error-rate test and latency samples for a rank
// test.
func ExampleMetrics_Range() {
	clock := monitortest.NewClock(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	m, err := monitor.New(prometheus.NewRegistry(), &monitor.Options{Now: clock.Now, Window: 5 * time.Minute, WindowSlots: 30})
	if err != nil {
		panic(err)
	}
	stable, canary := m.Series("fraud", "v2"), m.Series("fraud", "v3")
	from := clock.Now()
	for i := range 300 {
		stable.Observe(monitor.OutcomeOK, 20*time.Millisecond)
		o := monitor.OutcomeOK
		if i%10 == 0 {
			o = monitor.OutcomeError
		}
		canary.Observe(o, 35*time.Millisecond)
		clock.Advance(200 * time.Millisecond)
	}
	to := clock.Now() // one minute later

	// Each 10s slot saw 50 calls, fewer than WindowSample (64), so every
	// latency is kept and quantiles are exact.
	for _, v := range []string{"v2", "v3"} {
		st := m.Range("fraud", v, from, to)
		p50, _ := st.Quantile(0.5)
		fmt.Printf("%s: %d requests over %s, error rate %.2f, p50 %s, %d latencies sampled\n",
			v, st.Requests, st.Span, st.ErrorRate(), p50.Round(time.Millisecond), len(st.Latencies))
	}
	// Output:
	// v2: 300 requests over 1m0s, error rate 0.00, p50 20ms, 300 latencies sampled
	// v3: 300 requests over 1m0s, error rate 0.10, p50 35ms, 270 latencies sampled
}
