package monitor_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/sextant-ml/sextant/monitor"
)

// These tests are the hermetic half of the promtool checks in
// promtool_test.go (build tag integration): the same exposition goes
// through client_golang's promlint, which is the linter behind
// `promtool check metrics`, and the same rules file through Prometheus'
// own rule-file parser, which is what `promtool check rules` runs. The
// rule unit tests (`promtool test rules`) need Prometheus' query engine
// and stay in the integration tier.

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
	predict := monitor.WrapFunc(m, "fraud", "v2", scripted(clk), &monitor.WrapOptions[call]{
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

// scrape serves reg through promhttp and returns the text exposition a
// Prometheus server would read.
func scrape(t *testing.T, reg *prometheus.Registry) []byte {
	t.Helper()
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(body, []byte(monitor.MetricCostPerThousand)) {
		t.Fatalf("scrape lacks %s:\n%s", monitor.MetricCostPerThousand, body)
	}
	return body
}

func TestExpositionLint(t *testing.T) {
	body := scrape(t, exercised(t))
	problems, err := promlint.New(bytes.NewReader(body)).Lint()
	if err != nil {
		t.Fatalf("promlint could not parse the exposition: %v\n%s", err, body)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// TestExpositionLintCatches shows the linter is live: a counter without
// the _total suffix and a metric in non-base units are reported.
func TestExpositionLintCatches(t *testing.T) {
	bad := "# HELP sextant_requests requests.\n# TYPE sextant_requests counter\nsextant_requests 1\n" +
		"# HELP sextant_latency_milliseconds latency.\n# TYPE sextant_latency_milliseconds gauge\nsextant_latency_milliseconds 3\n"
	problems, err := promlint.New(strings.NewReader(bad)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range problems {
		names = append(names, p.Metric)
	}
	for _, want := range []string{"sextant_requests", "sextant_latency_milliseconds"} {
		if !slices.Contains(names, want) {
			t.Errorf("promlint did not report %s; it reported %v", want, problems)
		}
	}
}

func parseRules(t *testing.T, content []byte) (*rulefmt.RuleGroups, []error) {
	t.Helper()
	p := parser.NewParser(parser.Options{})
	return rulefmt.Parse(content, false, model.UTF8Validation, p, slog.New(slog.DiscardHandler))
}

// TestRulesParse checks the shipped rules as `promtool check rules` does
// (YAML shape, unknown fields, PromQL of every expression, durations,
// label and annotation names), and that every metric an expression
// selects is one the package exports.
func TestRulesParse(t *testing.T) {
	groups, errs := parseRules(t, monitor.Rules())
	for _, err := range errs {
		t.Errorf("rules: %v", err)
	}
	if len(errs) > 0 {
		return
	}
	exported, _ := exportedNames(t)
	p := parser.NewParser(parser.Options{})
	alerts := 0
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				alerts++
				if r.Annotations["summary"] == "" {
					t.Errorf("alert %s has no summary annotation", r.Alert)
				}
			}
			expr, err := p.ParseExpr(r.Expr)
			if err != nil {
				t.Errorf("rule %s%s: %v", r.Alert, r.Record, err)
				continue
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok && strings.HasPrefix(vs.Name, "sextant_") && !exported[vs.Name] {
					t.Errorf("rule %s%s selects %s, which the package does not export", r.Alert, r.Record, vs.Name)
				}
				return nil
			})
		}
	}
	if alerts == 0 {
		t.Error("the rules file holds no alert")
	}
}

// TestRulesParseCatches shows the rule check is live: broken PromQL, a
// bad duration and an unknown field are each reported.
func TestRulesParseCatches(t *testing.T) {
	for name, doc := range map[string]string{
		"promql":        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: rate(sextant_predictions_total[5m]\n",
		"duration":      "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    for: soon\n",
		"unknown field": "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n    severity: page\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, errs := parseRules(t, []byte(doc)); len(errs) == 0 {
				t.Errorf("no error for:\n%s", doc)
			}
		})
	}
}
