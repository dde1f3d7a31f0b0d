package deploy_test

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

	"github.com/sextant-ml/sextant/deploy"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)

// fill records n requests of version in the minute after t0, with
// latencies base, base+step, ... (cycling over 10 values) and the given
// number of errors.
func fill(w *deploy.Window, version string, n, errs int, base, step time.Duration) {
	for i := range n {
		var err error
		if i < errs {
			err = errors.New("boom")
		}
		w.Record(version, t0.Add(time.Duration(i)*time.Millisecond), base+time.Duration(i%10)*step, err)
	}
}

func env(w *deploy.Window) deploy.Env {
	return deploy.Env{Model: "m", Stable: "s", Canary: "c", From: t0, To: t0.Add(time.Minute), Source: w}
}

func TestChecks(t *testing.T) {
	tests := []struct {
		name       string
		check      deploy.Check
		canary     [3]int // n, errors, base latency ms
		stable     [3]int
		want       deploy.Outcome
		wantValue  float64
		wantReason string
	}{
		{"error rate within", deploy.ErrorRate{Max: 0.05, MinSamples: 10}, [3]int{100, 4, 10}, [3]int{}, deploy.Pass, 0.04, "within"},
		{"error rate above", deploy.ErrorRate{Max: 0.05}, [3]int{100, 6, 10}, [3]int{}, deploy.Fail, 0.06, "above"},
		{"error rate no data", deploy.ErrorRate{Max: 0.05}, [3]int{}, [3]int{}, deploy.Inconclusive, math.NaN(), "0 requests"},
		{"error rate too few", deploy.ErrorRate{Max: 0.05, MinSamples: 50}, [3]int{49, 0, 10}, [3]int{}, deploy.Inconclusive, 0, "fewer than 50"},
		// latencies 10..19 ms; p90 interpolates 10 + 0.9*9 = 18.1 ms
		{"p90 within", deploy.LatencyQuantile{Quantile: 0.9, Max: 19 * time.Millisecond}, [3]int{100, 0, 10}, [3]int{}, deploy.Pass, 0.0181, "within"},
		{"p90 above", deploy.LatencyQuantile{Quantile: 0.9, Max: 18 * time.Millisecond}, [3]int{100, 0, 10}, [3]int{}, deploy.Fail, 0.0181, "above"},
		{"latency no data", deploy.LatencyQuantile{Quantile: 0.99, Max: time.Second}, [3]int{5, 5, 10}, [3]int{}, deploy.Inconclusive, math.NaN(), "0 successful"},
		{"bad quantile", deploy.LatencyQuantile{Quantile: 1.5, Max: time.Second}, [3]int{5, 0, 10}, [3]int{}, deploy.Error, math.NaN(), "not in (0, 1)"},
		{"judge same", deploy.Judge{}, [3]int{300, 3, 10}, [3]int{1000, 10, 10}, deploy.Pass, math.NaN(), "ok"},
		{"judge slower beyond tolerance", deploy.Judge{}, [3]int{300, 3, 13}, [3]int{1000, 10, 10}, deploy.Fail, math.NaN(), "beyond tolerance"},
		// 7% slower is detected as significant but is within the 10% tolerance.
		{"judge slower within tolerance", deploy.Judge{}, [3]int{3000, 0, 11}, [3]int{3000, 0, 10}, deploy.Pass, math.NaN(), "1.07x baseline ok"},
		{"judge faster", deploy.Judge{}, [3]int{300, 0, 5}, [3]int{1000, 0, 10}, deploy.Pass, math.NaN(), "ok"},
		{"judge more errors", deploy.Judge{}, [3]int{500, 50, 10}, [3]int{1000, 10, 10}, deploy.Fail, math.NaN(), "above baseline"},
		{"judge few canary", deploy.Judge{MinSamples: 50}, [3]int{49, 0, 10}, [3]int{1000, 0, 10}, deploy.Inconclusive, math.NaN(), "fewer than 50"},
		{"judge no baseline", deploy.Judge{}, [3]int{100, 0, 10}, [3]int{}, deploy.Inconclusive, math.NaN(), "baseline 0"},
		// Settings that make no sense are an Error, never a pass.
		{"error rate NaN max", deploy.ErrorRate{Max: math.NaN()}, [3]int{100, 50, 10}, [3]int{}, deploy.Error, math.NaN(), "misconfigured"},
		{"error rate max above 1", deploy.ErrorRate{Max: 2}, [3]int{100, 50, 10}, [3]int{}, deploy.Error, math.NaN(), "misconfigured"},
		{"latency without max", deploy.LatencyQuantile{Quantile: 0.5}, [3]int{100, 0, 10}, [3]int{}, deploy.Error, math.NaN(), "misconfigured"},
		{"judge alpha above 1", deploy.Judge{Alpha: 1.5}, [3]int{300, 3, 13}, [3]int{1000, 10, 10}, deploy.Error, math.NaN(), "misconfigured"},
		{"judge NaN alpha", deploy.Judge{Alpha: math.NaN()}, [3]int{300, 3, 13}, [3]int{1000, 10, 10}, deploy.Error, math.NaN(), "misconfigured"},
		{"judge NaN latency tolerance", deploy.Judge{LatencyTolerance: math.NaN()}, [3]int{300, 3, 13}, [3]int{1000, 10, 10}, deploy.Error, math.NaN(), "misconfigured"},
		{"judge NaN error tolerance", deploy.Judge{ErrorTolerance: math.NaN()}, [3]int{500, 50, 10}, [3]int{1000, 10, 10}, deploy.Error, math.NaN(), "misconfigured"},
		{"judge all errors", deploy.Judge{MinSamples: 10}, [3]int{20, 20, 10}, [3]int{20, 20, 10}, deploy.Inconclusive, math.NaN(), "latency: 0 and 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := deploy.NewWindow(0)
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
	for _, c := range []deploy.Check{deploy.ErrorRate{}, deploy.LatencyQuantile{Quantile: 0.5}, deploy.Judge{}} {
		if m := c.Measure(context.Background(), deploy.Env{}); m.Outcome != deploy.Error {
			t.Errorf("%s without a source: %s", c.Name(), m.Outcome)
		}
	}
}

func TestOutcomeText(t *testing.T) {
	for _, o := range []deploy.Outcome{deploy.Inconclusive, deploy.Pass, deploy.Fail, deploy.Error} {
		b, _ := o.MarshalText()
		var back deploy.Outcome
		if err := back.UnmarshalText(b); err != nil || back != o {
			t.Errorf("%s round trip: %s, %v", o, back, err)
		}
	}
	var o deploy.Outcome
	if err := o.UnmarshalText([]byte("great")); !errors.Is(err, deploy.ErrInvalid) {
		t.Errorf("unknown outcome: %v", err)
	}
	if o != deploy.Inconclusive || deploy.Outcome(9).String() != "outcome(9)" {
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
		want       deploy.Outcome
		wantReason string
	}{
		{`good{version="{{.Canary}}"}[{{.Window}}]`, deploy.Pass, "value 0.01 passes"},
		{"bad", deploy.Fail, "value 0.2 fails"},
		{"empty", deploy.Inconclusive, "no data"},
		{"nan", deploy.Inconclusive, "NaN"},
		{"many", deploy.Error, "2 series"},
		{"scalar", deploy.Pass, "0.03"},
		{"matrix", deploy.Error, "matrix"},
		{"invalid", deploy.Error, "parse error"},
		{"warn", deploy.Pass, "partial response"},
		{"unreachable", deploy.Error, "query failed"},
	}
	e := deploy.Env{Model: "churn", Stable: "v1", Canary: "v2", From: t0, To: t0.Add(5 * time.Minute)}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			c, err := deploy.NewPromCheck("rate", papi, tc.query, below)
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
		want           deploy.Outcome
		wantReason     string
	}{
		{"good", `idle{version="{{.Canary}}"}`, deploy.Inconclusive, "0 samples in the window, fewer than 100"},
		{"idle", "idle", deploy.Inconclusive, "fewer than 100"},
		{"good", "busy", deploy.Pass, "value 0.01 passes"},
		{"bad", "busy", deploy.Fail, "value 0.2 fails"},
		{"bad", "empty", deploy.Inconclusive, "0 samples"},
		{"bad", "nan", deploy.Inconclusive, "0 samples"},
		{"good", "invalid", deploy.Error, "samples query failed"},
		{"good", "many", deploy.Error, "2 series"},
	}
	for _, tc := range samples {
		t.Run(tc.query+" with samples "+tc.samples, func(t *testing.T) {
			c, err := deploy.NewPromCheck("rate", papi, tc.query, below)
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
	c, _ := deploy.NewPromCheck("x", papi, "good", below)
	for _, min := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if err := c.RequireSamples("busy", min); !errors.Is(err, deploy.ErrInvalid) {
			t.Errorf("RequireSamples(%v): %v, want ErrInvalid", min, err)
		}
	}
	if err := c.RequireSamples("{{.Nope", 1); !errors.Is(err, deploy.ErrInvalid) {
		t.Errorf("RequireSamples with a bad template: %v, want ErrInvalid", err)
	}

	if want := fmt.Sprintf(`good{version="v2"}[5m] @%d`, e.To.Unix()); (*seen)[0] != want {
		t.Errorf("first query sent %q, want %q", (*seen)[0], want)
	}
	if _, err := deploy.NewPromCheck("x", papi, "{{.Nope", below); !errors.Is(err, deploy.ErrInvalid) {
		t.Errorf("bad template: %v", err)
	}
	c, _ = deploy.NewPromCheck("x", papi, "{{.Nope}}", below)
	if m := c.Measure(context.Background(), e); m.Outcome != deploy.Error {
		t.Errorf("unknown template field: %s %s", m.Outcome, m.Reason)
	}
	if _, err := deploy.NewPromCheck("", papi, "up", below); !errors.Is(err, deploy.ErrInvalid) {
		t.Errorf("no name: %v", err)
	}
}

func TestMeasurementJSON(t *testing.T) {
	for _, m := range []deploy.Measurement{
		{Check: "a", Outcome: deploy.Fail, Value: 0.25, Reason: "r"},
		{Check: "b", Outcome: deploy.Inconclusive, Value: math.NaN(), Reason: "no data"},
	} {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var back deploy.Measurement
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		same := back.Check == m.Check && back.Outcome == m.Outcome && back.Reason == m.Reason &&
			(back.Value == m.Value || math.IsNaN(back.Value) && math.IsNaN(m.Value))
		if !same {
			t.Errorf("%s became %+v", b, back)
		}
	}
	b, _ := json.Marshal(deploy.Measurement{Check: "c", Value: math.NaN()})
	if want := `{"check":"c","outcome":"inconclusive","reason":"","value":null}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func TestCheckNames(t *testing.T) {
	got := []string{
		deploy.LatencyQuantile{Quantile: 0.99}.Name(), deploy.LatencyQuantile{Quantile: 0.5}.Name(),
		deploy.LatencyQuantile{Quantile: 0.999}.Name(), deploy.LatencyQuantile{Quantile: 0.005}.Name(),
		deploy.ErrorRate{}.Name(), deploy.Judge{}.Name(),
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
	w := deploy.NewWindow(0)
	var canarySum, stableSum float64
	for i := range 3000 {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		s := time.Duration(10+i%10) * time.Millisecond
		c := s + 300*time.Microsecond // 2% slower at the median: significant, within tolerance
		if i%100 == 0 {
			c = time.Second // 30 stalls
		}
		w.Record("s", at, s, nil)
		w.Record("c", at, c, nil)
		stableSum += s.Seconds()
		canarySum += c.Seconds()
	}
	if ratio := canarySum / stableSum; ratio < 1.5 {
		t.Fatalf("the stalls make the means differ by only %.2fx; the test needs a mean ratio beyond the tolerance", ratio)
	}
	m := deploy.Judge{}.Measure(context.Background(), env(w))
	if m.Outcome != deploy.Pass || !strings.Contains(m.Reason, "x baseline ok") || !(m.Value < 0.05) {
		t.Errorf("got %s %q (p=%g), want a significant difference that passes on the median", m.Outcome, m.Reason, m.Value)
	}
}
