package monitor_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sextant-ml/sextant/monitor"
)

// promtool returns the path of promtool or fails the test: CI installs it
// (Debian package prometheus), and these checks must not pass silently.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatalf("promtool not found on PATH (install the Debian package prometheus: apt-get install -y prometheus): %v", err)
	}
	return p
}

func runPromtool(t *testing.T, stdin io.Reader, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, promtool(t), args...)
	cmd.Stdin = stdin
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// exercised returns a registry on which every metric family of the set
// has at least one series, the way a busy service would.
func exercised(t *testing.T) *prometheus.Registry {
	t.Helper()
	clk := newClock()
	reg := prometheus.NewPedanticRegistry()
	m, err := monitor.New(reg, &monitor.Options{
		ConstLabels:     prometheus.Labels{"service": "fraud-api"},
		Now:             clk.Now,
		CostSampleEvery: 1,
		Prices:          monitor.Prices{VCPUSecond: 0.000024, GBSecond: 0.0000025},
	})
	if err != nil {
		t.Fatal(err)
	}
	predict := monitor.Wrap(m, "fraud", "v2", scripted(clk), &monitor.WrapOptions[call]{
		Value: func(c call) (float64, bool) { return c.score, true },
		Class: func(c call) string { return c.class },
	})
	for _, c := range []call{
		{latency: 12 * time.Millisecond, score: 0.2, class: "legit"},
		{latency: 40 * time.Millisecond, score: 0.8, class: "fraud"},
		{latency: time.Second, err: errors.New("boom")},
	} {
		_, _ = predict(context.Background(), c)
	}
	m.SetModelInfo("fraud", "v2", "sha256:ab12")
	m.SetDrift("fraud", "amount", "psi", 0.31, true)
	m.SetRolloutWeight("fraud", "v2", 25)
	m.SetRolloutPhase("fraud", "progressing")
	return reg
}

func TestPromtoolCheckMetrics(t *testing.T) {
	reg := exercised(t)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(body, []byte(monitor.MetricCostPerThousand)) {
		t.Fatalf("scrape lacks %s:\n%s", monitor.MetricCostPerThousand, body)
	}
	runPromtool(t, bytes.NewReader(body), "check", "metrics")
}

func TestPromtoolRules(t *testing.T) {
	dir := t.TempDir()
	_, rules, err := monitor.WriteAssets(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("check", func(t *testing.T) {
		runPromtool(t, nil, "check", "rules", rules)
	})
	t.Run("unit", func(t *testing.T) {
		spec, err := os.ReadFile(filepath.Join("testdata", "rules_test.yml"))
		if err != nil {
			t.Fatal(err)
		}
		test := filepath.Join(dir, "rules_test.yml")
		if err := os.WriteFile(test, spec, 0o644); err != nil {
			t.Fatal(err)
		}
		runPromtool(t, nil, "test", "rules", test)
	})
}
