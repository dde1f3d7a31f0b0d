package rollout_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sextant-ml/sextant/deploy/rollout"
	"github.com/sextant-ml/sextant/monitor"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)

// window is a monitor.Metrics whose clock the test sets, holding 2
// minutes in 2s slots of up to 4,096 latencies: every latency the tests
// record, one a millisecond, is kept.
type window struct {
	*monitor.Metrics
	now time.Time
}

func newWindow(t *testing.T) *window {
	t.Helper()
	w := &window{now: t0}
	m, err := monitor.New(prometheus.NewRegistry(), &monitor.Options{
		Window: 2 * time.Minute, WindowSlots: 60, WindowSample: 4096, CostSampleEvery: -1,
		Now: func() time.Time { return w.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Metrics = m
	return w
}

// record records one request of version of model "m" at the instant at.
func (w *window) record(version string, at time.Time, latency time.Duration, err error) {
	w.now = at
	w.Recorder("m", version)(latency, err)
}

// fill records n requests of version in the minute after t0, with
// latencies base, base+step, ... (cycling over 10 values) and the given
// number of errors.
func fill(w *window, version string, n, errs int, base, step time.Duration) {
	for i := range n {
		var err error
		if i < errs {
			err = errors.New("boom")
		}
		w.record(version, t0.Add(time.Duration(i)*time.Millisecond), base+time.Duration(i%10)*step, err)
	}
}

// env is the minute after t0, read at its end.
func env(w *window) rollout.Env {
	w.now = t0.Add(time.Minute)
	return rollout.Env{Model: "m", Stable: "s", Canary: "c", From: t0, To: t0.Add(time.Minute), Source: w.Metrics}
}

func TestChecks(t *testing.T) {
	tests := []struct {
		name       string
		check      rollout.Check
		canary     [3]int // n, errors, base latency ms
		stable     [3]int
		want       rollout.Outcome
		wantValue  float64
		wantReason string
	}{
		{"error rate within", rollout.ErrorRate{Max: 0.05, MinSamples: 10}, [3]int{100, 4, 10}, [3]int{}, rollout.Pass, 0.04, "within"},
		{"error rate above", rollout.ErrorRate{Max: 0.05}, [3]int{100, 6, 10}, [3]int{}, rollout.Fail, 0.06, "above"},
		{"error rate no data", rollout.ErrorRate{Max: 0.05}, [3]int{}, [3]int{}, rollout.Inconclusive, math.NaN(), "0 requests"},
		{"error rate too few", rollout.ErrorRate{Max: 0.05, MinSamples: 50}, [3]int{49, 0, 10}, [3]int{}, rollout.Inconclusive, 0, "fewer than 50"},
		// latencies 10..19 ms; p90 interpolates 10 + 0.9*9 = 18.1 ms
		{"p90 within", rollout.LatencyQuantile{Quantile: 0.9, Max: 19 * time.Millisecond}, [3]int{100, 0, 10}, [3]int{}, rollout.Pass, 0.0181, "within"},
		{"p90 above", rollout.LatencyQuantile{Quantile: 0.9, Max: 18 * time.Millisecond}, [3]int{100, 0, 10}, [3]int{}, rollout.Fail, 0.0181, "above"},
		{"latency no data", rollout.LatencyQuantile{Quantile: 0.99, Max: time.Second}, [3]int{5, 5, 10}, [3]int{}, rollout.Inconclusive, math.NaN(), "0 successful"},
		{"bad quantile", rollout.LatencyQuantile{Quantile: 1.5, Max: time.Second}, [3]int{5, 0, 10}, [3]int{}, rollout.Error, math.NaN(), "not in (0, 1)"},
		{"judge same", rollout.Judge{}, [3]int{300, 3, 10}, [3]int{1000, 10, 10}, rollout.Pass, math.NaN(), "ok"},
		{"judge slower beyond tolerance", rollout.Judge{}, [3]int{300, 3, 13}, [3]int{1000, 10, 10}, rollout.Fail, math.NaN(), "beyond tolerance"},
		// 7% slower is detected as significant but is within the 10% tolerance.
		{"judge slower within tolerance", rollout.Judge{}, [3]int{3000, 0, 11}, [3]int{3000, 0, 10}, rollout.Pass, math.NaN(), "1.07x baseline ok"},
		{"judge faster", rollout.Judge{}, [3]int{300, 0, 5}, [3]int{1000, 0, 10}, rollout.Pass, math.NaN(), "ok"},
		{"judge more errors", rollout.Judge{}, [3]int{500, 50, 10}, [3]int{1000, 10, 10}, rollout.Fail, math.NaN(), "above baseline"},
		{"judge few canary", rollout.Judge{MinSamples: 50}, [3]int{49, 0, 10}, [3]int{1000, 0, 10}, rollout.Inconclusive, math.NaN(), "fewer than 50"},
		{"judge no baseline", rollout.Judge{}, [3]int{100, 0, 10}, [3]int{}, rollout.Inconclusive, math.NaN(), "baseline 0"},
		// Settings that make no sense are an Error, never a pass.
		{"error rate NaN max", rollout.ErrorRate{Max: math.NaN()}, [3]int{100, 50, 10}, [3]int{}, rollout.Error, math.NaN(), "misconfigured"},
		{"error rate max above 1", rollout.ErrorRate{Max: 2}, [3]int{100, 50, 10}, [3]int{}, rollout.Error, math.NaN(), "misconfigured"},
		{"latency without max", rollout.LatencyQuantile{Quantile: 0.5}, [3]int{100, 0, 10}, [3]int{}, rollout.Error, math.NaN(), "misconfigured"},
		{"judge alpha above 1", rollout.Judge{Alpha: 1.5}, [3]int{300, 3, 13}, [3]int{1000, 10, 10}, rollout.Error, math.NaN(), "misconfigured"},
		{"judge NaN alpha", rollout.Judge{Alpha: math.NaN()}, [3]int{300, 3, 13}, [3]int{1000, 10, 10}, rollout.Error, math.NaN(), "misconfigured"},
		{"judge NaN latency tolerance", rollout.Judge{LatencyTolerance: math.NaN()}, [3]int{300, 3, 13}, [3]int{1000, 10, 10}, rollout.Error, math.NaN(), "misconfigured"},
		{"judge NaN error tolerance", rollout.Judge{ErrorTolerance: math.NaN()}, [3]int{500, 50, 10}, [3]int{1000, 10, 10}, rollout.Error, math.NaN(), "misconfigured"},
		{"judge all errors", rollout.Judge{MinSamples: 10}, [3]int{20, 20, 10}, [3]int{20, 20, 10}, rollout.Inconclusive, math.NaN(), "latency: 0 and 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWindow(t)
			fill(w, "c", tc.canary[0], tc.canary[1], time.Duration(tc.canary[2])*time.Millisecond, time.Millisecond)
			fill(w, "s", tc.stable[0], tc.stable[1], time.Duration(tc.stable[2])*time.Millisecond, time.Millisecond)
			m := tc.check.Measure(context.Background(), env(w))
			if m.Outcome != tc.want || !strings.Contains(m.Reason, tc.wantReason) || m.Check != tc.check.Name() {
				t.Errorf("got %s %q (%s), want %s containing %q", m.Outcome, m.Reason, m.Check, tc.want, tc.wantReason)
			}
			if !math.IsNaN(tc.wantValue) && math.Abs(m.Value-tc.wantValue) > 1e-9 {
				t.Errorf("value %v, want %v", m.Value, tc.wantValue)
			}
		})
	}
}

func TestCheckWithoutSource(t *testing.T) {
	for _, c := range []rollout.Check{rollout.ErrorRate{}, rollout.LatencyQuantile{Quantile: 0.5}, rollout.Judge{}} {
		if m := c.Measure(context.Background(), rollout.Env{}); m.Outcome != rollout.Error {
			t.Errorf("%s without a source: %s", c.Name(), m.Outcome)
		}
	}
}

func TestOutcomeText(t *testing.T) {
	for _, o := range []rollout.Outcome{rollout.Inconclusive, rollout.Pass, rollout.Fail, rollout.Error} {
		b, _ := o.MarshalText()
		var back rollout.Outcome
		if err := back.UnmarshalText(b); err != nil || back != o {
			t.Errorf("%s round trip: %s, %v", o, back, err)
		}
	}
	var o rollout.Outcome
	if err := o.UnmarshalText([]byte("great")); !errors.Is(err, rollout.ErrInvalid) {
		t.Errorf("unknown outcome: %v", err)
	}
	if o != rollout.Inconclusive || rollout.Outcome(9).String() != "outcome(9)" {
		t.Errorf("zero outcome %s", o)
	}
}

// promServer answers /api/v1/query with the body chosen by the query
// text and records the queries it saw.
func promServer(t *testing.T, bodies map[string]string) (promv1.API, *[]string) {
	t.Helper()
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/query" {
			http.NotFound(w, r)
			return
		}
		r.ParseForm()
		q := r.Form.Get("query")
		seen = append(seen, q+" @"+r.Form.Get("time"))
		for k, body := range bodies {
			if strings.Contains(q, k) {
				w.Header().Set("Content-Type", "application/json")
				if strings.Contains(body, `"status":"error"`) {
					w.WriteHeader(http.StatusBadRequest)
				}
				fmt.Fprint(w, body)
				return
			}
		}
		http.Error(w, "no such query", http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	c, err := api.NewClient(api.Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return promv1.NewAPI(c), &seen
}

func vector(vals ...string) string {
	var parts []string
	for i, v := range vals {
		parts = append(parts, fmt.Sprintf(`{"metric":{"pod":"p%d"},"value":[1767323100,%q]}`, i, v))
	}
	return `{"status":"success","data":{"resultType":"vector","result":[` + strings.Join(parts, ",") + `]}}`
}

func TestPromCheck(t *testing.T) {
	papi, seen := promServer(t, map[string]string{
		"good":    vector("0.01"),
		"bad":     vector("0.2"),
		"empty":   vector(),
		"nan":     vector("NaN"),
		"many":    vector("0.1", "0.2"),
		"scalar":  `{"status":"success","data":{"resultType":"scalar","result":[1767323100,"0.03"]}}`,
		"matrix":  `{"status":"success","data":{"resultType":"matrix","result":[]}}`,
		"invalid": `{"status":"error","errorType":"bad_data","error":"parse error at char 3"}`,
		"warn":    `{"status":"success","warnings":["partial response"],"data":{"resultType":"vector","result":[{"metric":{},"value":[1767323100,"0.01"]}]}}`,
		"idle":    vector("0"),
		"busy":    vector("500"),
	})
	below := func(v float64) bool { return v <= 0.05 }
	tests := []struct {
		query      string
		want       rollout.Outcome
		wantReason string
	}{
		{`good{version="{{.Canary}}"}[{{.Window}}]`, rollout.Pass, "value 0.01 passes"},
		{"bad", rollout.Fail, "value 0.2 fails"},
		{"empty", rollout.Inconclusive, "no data"},
		{"nan", rollout.Inconclusive, "NaN"},
		{"many", rollout.Error, "2 series"},
		{"scalar", rollout.Pass, "0.03"},
		{"matrix", rollout.Error, "matrix"},
		{"invalid", rollout.Error, "parse error"},
		{"warn", rollout.Pass, "partial response"},
		{"unreachable", rollout.Error, "query failed"},
	}
	e := rollout.Env{Model: "churn", Stable: "v1", Canary: "v2", From: t0, To: t0.Add(5 * time.Minute)}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			c, err := rollout.NewPromCheck("rate", papi, tc.query, below)
			if err != nil {
				t.Fatal(err)
			}
			m := c.Measure(context.Background(), e)
			if m.Outcome != tc.want || !strings.Contains(m.Reason, tc.wantReason) {
				t.Errorf("got %s %q, want %s containing %q", m.Outcome, m.Reason, tc.want, tc.wantReason)
			}
		})
	}
	// A rate of errors is 0, a pass, in a window without traffic: the
	// samples query tells that apart from good traffic.
	samples := []struct {
		query, samples string
		want           rollout.Outcome
		wantReason     string
	}{
		{"good", `idle{version="{{.Canary}}"}`, rollout.Inconclusive, "0 samples in the window, fewer than 100"},
		{"idle", "idle", rollout.Inconclusive, "fewer than 100"},
		{"good", "busy", rollout.Pass, "value 0.01 passes"},
		{"bad", "busy", rollout.Fail, "value 0.2 fails"},
		{"bad", "empty", rollout.Inconclusive, "0 samples"},
		{"bad", "nan", rollout.Inconclusive, "0 samples"},
		{"good", "invalid", rollout.Error, "samples query failed"},
		{"good", "many", rollout.Error, "2 series"},
	}
	for _, tc := range samples {
		t.Run(tc.query+" with samples "+tc.samples, func(t *testing.T) {
			c, err := rollout.NewPromCheck("rate", papi, tc.query, below)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.RequireSamples(tc.samples, 100); err != nil {
				t.Fatal(err)
			}
			m := c.Measure(context.Background(), e)
			if m.Outcome != tc.want || !strings.Contains(m.Reason, tc.wantReason) || m.Check != "rate" {
				t.Errorf("got %s %q (%s), want %s containing %q", m.Outcome, m.Reason, m.Check, tc.want, tc.wantReason)
			}
		})
	}
	c, _ := rollout.NewPromCheck("x", papi, "good", below)
	for _, min := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if err := c.RequireSamples("busy", min); !errors.Is(err, rollout.ErrInvalid) {
			t.Errorf("RequireSamples(%v): %v, want ErrInvalid", min, err)
		}
	}
	if err := c.RequireSamples("{{.Nope", 1); !errors.Is(err, rollout.ErrInvalid) {
		t.Errorf("RequireSamples with a bad template: %v, want ErrInvalid", err)
	}

	if want := fmt.Sprintf(`good{version="v2"}[5m] @%d`, e.To.Unix()); (*seen)[0] != want {
		t.Errorf("first query sent %q, want %q", (*seen)[0], want)
	}
	if _, err := rollout.NewPromCheck("x", papi, "{{.Nope", below); !errors.Is(err, rollout.ErrInvalid) {
		t.Errorf("bad template: %v", err)
	}
	c, _ = rollout.NewPromCheck("x", papi, "{{.Nope}}", below)
	if m := c.Measure(context.Background(), e); m.Outcome != rollout.Error {
		t.Errorf("unknown template field: %s %s", m.Outcome, m.Reason)
	}
	if _, err := rollout.NewPromCheck("", papi, "up", below); !errors.Is(err, rollout.ErrInvalid) {
		t.Errorf("no name: %v", err)
	}
}

func TestMeasurementJSON(t *testing.T) {
	for _, m := range []rollout.Measurement{
		{Check: "a", Outcome: rollout.Fail, Value: 0.25, Reason: "r"},
		{Check: "b", Outcome: rollout.Inconclusive, Value: math.NaN(), Reason: "no data"},
	} {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back rollout.Measurement
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		same := back.Check == m.Check && back.Outcome == m.Outcome && back.Reason == m.Reason &&
			(back.Value == m.Value || math.IsNaN(back.Value) && math.IsNaN(m.Value))
		if !same {
			t.Errorf("%s became %+v", b, back)
		}
	}
	b, _ := json.Marshal(rollout.Measurement{Check: "c", Value: math.NaN()})
	if want := `{"check":"c","outcome":"inconclusive","reason":"","value":null}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func TestCheckNames(t *testing.T) {
	got := []string{
		rollout.LatencyQuantile{Quantile: 0.99}.Name(), rollout.LatencyQuantile{Quantile: 0.5}.Name(),
		rollout.LatencyQuantile{Quantile: 0.999}.Name(), rollout.LatencyQuantile{Quantile: 0.005}.Name(),
		rollout.ErrorRate{}.Name(), rollout.Judge{}.Name(),
	}
	want := []string{"latency-p99", "latency-p50", "latency-p99.9", "latency-p0.5", "error-rate", "judge"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// The judge's effect size is the ratio of medians: a canary whose typical
// request is as fast as the baseline's passes even when a few stalls (a
// GC pause, a preempted thread) in its window would push the ratio of
// means far beyond the tolerance.
func TestJudgeIgnoresStallsInTheMean(t *testing.T) {
	w := newWindow(t)
	var canarySum, stableSum float64
	for i := range 3000 {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		s := time.Duration(10+i%10) * time.Millisecond
		c := s + 300*time.Microsecond // 2% slower at the median: significant, within tolerance
		if i%100 == 0 {
			c = time.Second // 30 stalls
		}
		w.record("s", at, s, nil)
		w.record("c", at, c, nil)
		stableSum += s.Seconds()
		canarySum += c.Seconds()
	}
	if ratio := canarySum / stableSum; ratio < 1.5 {
		t.Fatalf("the stalls make the means differ by only %.2fx; the test needs a mean ratio beyond the tolerance", ratio)
	}
	m := rollout.Judge{}.Measure(context.Background(), env(w))
	if m.Outcome != rollout.Pass || !strings.Contains(m.Reason, "x baseline ok") || !(m.Value < 0.05) {
		t.Errorf("got %s %q (p=%g), want a significant difference that passes on the median", m.Outcome, m.Reason, m.Value)
	}
}
