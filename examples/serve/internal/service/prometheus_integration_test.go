//go:build integration

package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sextant-ml/sextant/examples/serve/internal/service"
	"github.com/sextant-ml/sextant/monitor"
)

// TestPrometheusScrapesServiceAndEvaluatesShippedAssets runs a real
// Prometheus (Debian package prometheus, /usr/bin/prometheus) against the
// service: it scrapes /metrics every second and evaluates the shipped rules
// file. Once traffic has flowed, every query of the shipped dashboard
// returns data and every rule group is healthy.
func TestPrometheusScrapesServiceAndEvaluatesShippedAssets(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatalf("prometheus is required for this test (apt-get install prometheus): %v", err)
	}
	reg := seeded(t)
	// A rollout that stays in its analysis for the whole test, so the
	// rollout gauges are set; prices, so the cost gauge is exported.
	base, _ := start(t, service.Config{
		Registry: reg, Model: modelName, Canary: "candidate", Steps: []float64{50},
		AnalysisInterval: time.Hour, DriftInterval: 200 * time.Millisecond, DriftWindow: 1000,
		Prices: monitor.Prices{VCPUSecond: 0.000024, GBSecond: 0.0000025},
	})

	dir := t.TempDir()
	_, rulesPath, err := monitor.WriteAssets(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	target := strings.TrimPrefix(base, "http://")
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - %q
scrape_configs:
  - job_name: sextant-serve
    static_configs:
      - targets: [%q]
`, rulesPath, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	promAddr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+promAddr,
		"--log.level=warn")
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("prometheus log:\n%s", b)
		}
	})
	prom := "http://" + promAddr
	eventually(t, "prometheus to be ready", 60*time.Second, func() bool {
		resp, err := http.Get(prom + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})

	// Traffic until the test ends: temperature shifted by three standard
	// deviations, so its drift verdict (and the drift alert) fires.
	trafficCtx, stopTraffic := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		rng := mrand.New(mrand.NewPCG(3, 4))
		for trafficCtx.Err() == nil {
			var rows [][]float64
			for range 8 {
				r := service.ReferenceRow(rng)
				r[0] += 3
				rows = append(rows, r)
			}
			infer(t, base, rows)
			time.Sleep(10 * time.Millisecond)
		}
	})
	t.Cleanup(func() { stopTraffic(); wg.Wait() })

	vars := strings.NewReplacer("$__rate_interval", "10s", "${model}", modelName, "$model", modelName, "${version}", "1|2", "$version", "1|2")
	exprs, labelQueries := dashboardQueries(t, monitor.Dashboard())
	if len(exprs) < 15 {
		t.Fatalf("found %d panel queries in the dashboard, expected all of them (at least 15)", len(exprs))
	}
	for _, e := range exprs {
		q := vars.Replace(e)
		deadline := time.Now().Add(90 * time.Second)
		for {
			n, body := promQuery(t, prom, q)
			if n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("dashboard query %s returns no data: %s", q, body)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	for _, lq := range labelQueries {
		// label_values(METRIC{...}, LABEL): the values of LABEL on METRIC.
		inner := strings.TrimSuffix(strings.TrimPrefix(vars.Replace(lq), "label_values("), ")")
		i := strings.LastIndex(inner, ",")
		match, label := strings.TrimSpace(inner[:i]), strings.TrimSpace(inner[i+1:])
		eventually(t, "label values of "+lq, 30*time.Second, func() bool {
			var out struct {
				Data []string `json:"data"`
			}
			promGet(t, prom+"/api/v1/label/"+label+"/values?"+url.Values{"match[]": {match}}.Encode(), &out)
			return len(out.Data) > 0
		})
	}

	// Every group of the rules file is loaded and every rule evaluated
	// with health ok.
	var rules struct {
		Groups []struct {
			Name string `yaml:"name"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(monitor.Rules(), &rules); err != nil {
		t.Fatal(err)
	}
	var wantGroups []string
	for _, g := range rules.Groups {
		wantGroups = append(wantGroups, g.Name)
	}
	eventually(t, "every rule evaluated with health ok", 30*time.Second, func() bool {
		var out struct {
			Data struct {
				Groups []struct {
					Name  string `json:"name"`
					Rules []struct {
						Name   string `json:"name"`
						Health string `json:"health"`
						Error  string `json:"lastError"`
					} `json:"rules"`
				} `json:"groups"`
			} `json:"data"`
		}
		promGet(t, prom+"/api/v1/rules", &out)
		var got []string
		for _, g := range out.Data.Groups {
			got = append(got, g.Name)
			for _, r := range g.Rules {
				if r.Health != "ok" {
					if r.Error != "" {
						t.Logf("rule %s: health %s: %s", r.Name, r.Health, r.Error)
					}
					return false
				}
			}
		}
		return slices.Equal(got, wantGroups)
	})
	// The drift alert reads the service's verdict: pending (its for: is
	// 15 minutes) on the shifted feature only.
	eventually(t, "SextantFeatureDrift pending on temperature", 30*time.Second, func() bool {
		n, _ := promQuery(t, prom, `ALERTS{alertname="SextantFeatureDrift",feature="temperature",model="demo"}`)
		return n == 1
	})
	if n, body := promQuery(t, prom, `ALERTS{alertname="SextantFeatureDrift",feature!="temperature"}`); n != 0 {
		t.Errorf("drift alerts on unshifted features: %s", body)
	}
}

// dashboardQueries returns every "expr" in the dashboard's panels (nested
// rows included) and every label_values query of its template variables.
func dashboardQueries(t *testing.T, dash []byte) (exprs, labelQueries []string) {
	t.Helper()
	var doc any
	if err := json.Unmarshal(dash, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(v any, inTemplating bool)
	walk = func(v any, inTemplating bool) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				switch {
				case k == "expr":
					if s, ok := c.(string); ok {
						exprs = append(exprs, s)
					}
				case inTemplating && k == "definition":
					if s, ok := c.(string); ok && strings.HasPrefix(s, "label_values(") {
						labelQueries = append(labelQueries, s)
					}
				default:
					walk(c, inTemplating || k == "templating")
				}
			}
		case []any:
			for _, c := range v {
				walk(c, inTemplating)
			}
		}
	}
	walk(doc, false)
	slices.Sort(exprs)
	return slices.Compact(exprs), labelQueries
}

func promQuery(t *testing.T, prom, q string) (int, string) {
	t.Helper()
	var out struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	body := promGet(t, prom+"/api/v1/query?"+url.Values{"query": {q}}.Encode(), &out)
	if out.Status != "success" {
		t.Fatalf("query %s: %s", q, body)
	}
	return len(out.Data.Result), body
}

func promGet(t *testing.T, u string, out any) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return string(raw)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
