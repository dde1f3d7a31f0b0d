package monitor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"sigs.k8s.io/yaml"

	"github.com/sextant-ml/sextant/monitor"
)

// queries returns every PromQL query in a Grafana dashboard: panel target
// expressions and template variable queries.
func queries(v any, key string, out *[]string) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			queries(x, k, out)
		}
	case []any:
		for _, x := range v {
			queries(x, key, out)
		}
	case string:
		if key == "expr" || key == "definition" || (key == "query" && strings.Contains(v, "(")) {
			*out = append(*out, v)
		}
	}
}

var (
	quoted     = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	ranges     = regexp.MustCompile(`\[[^\]]*\]`)
	variables  = regexp.MustCompile(`\$[A-Za-z_]+`)
	matchers   = regexp.MustCompile(`\{[^}]*\}`)
	identifier = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*`)
)

// PromQL words the dashboard may use besides metric names.
var promqlWords = []string{
	"sum", "max", "min", "avg", "count", "by", "without", "rate", "irate", "increase",
	"histogram_quantile", "label_values", "and", "or", "unless", "on", "ignoring",
	// label names
	"model", "version", "outcome", "le", "class", "feature", "method", "phase", "digest",
}

// checkQuery reports the names in a PromQL query that are neither
// exported metrics nor known PromQL words, and adds the metric names it
// uses to used.
func checkQuery(q string, exported, used map[string]bool) []string {
	// Drop label matchers, string literals, range selectors and dashboard
	// variables; what remains is metric names, functions, keywords and the
	// label names of grouping clauses.
	s := quoted.ReplaceAllString(q, `""`)
	s = ranges.ReplaceAllString(s, "")
	s = variables.ReplaceAllString(s, "")
	s = matchers.ReplaceAllString(s, "")
	var problems []string
	for _, id := range identifier.FindAllString(s, -1) {
		switch {
		case strings.HasPrefix(id, "sextant_"):
			used[id] = true
			if !exported[id] {
				problems = append(problems, fmt.Sprintf("query %q uses %s, which the package does not export", q, id))
			}
		case !slices.Contains(promqlWords, id):
			problems = append(problems, fmt.Sprintf("query %q uses %q, neither an exported metric nor a known PromQL word", q, id))
		}
	}
	return problems
}

// exportedNames gathers the metric names (with histogram series suffixes)
// of a set on which every family has series.
func exportedNames(t *testing.T) (map[string]bool, []*dto.MetricFamily) {
	t.Helper()
	mfs, err := exercised(t).Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, mf := range mfs {
		exported[mf.GetName()] = true
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				exported[mf.GetName()+s] = true
			}
		}
	}
	return exported, mfs
}

func TestCheckQuery(t *testing.T) {
	exported := map[string]bool{"sextant_predictions_total": true}
	for _, tc := range []struct {
		q    string
		want int
	}{
		{`sum by (model) (rate(sextant_predictions_total{model=~"$model",outcome="error"}[$__rate_interval]))`, 0},
		{`rate(sextant_prediction_total[5m])`, 1},
		{`rate(http_requests_total[5m])`, 1},
		{`sextant_predictions_total{job="a b"} / on (instance) sextant_predictions_total`, 1},
	} {
		if got := checkQuery(tc.q, exported, map[string]bool{}); len(got) != tc.want {
			t.Errorf("checkQuery(%q) = %q, want %d problems", tc.q, got, tc.want)
		}
	}
}

func TestRulesQueriesExportedMetrics(t *testing.T) {
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `json:"alert"`
				Expr  string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.Unmarshal(monitor.Rules(), &rules); err != nil {
		t.Fatalf("rules: %v", err)
	}
	exported, _ := exportedNames(t)
	var alerts []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			for _, problem := range checkQuery(r.Expr, exported, map[string]bool{}) {
				t.Errorf("%s: %s", r.Alert, problem)
			}
		}
	}
	want := []string{"SextantHighErrorRate", "SextantLatencySLOBurnFast", "SextantLatencySLOBurnSlow", "SextantFeatureDrift", "SextantNoPredictions", "SextantRolloutRolledBack"}
	if diff := cmp.Diff(want, alerts); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
}

func TestDashboardQueriesExportedMetrics(t *testing.T) {
	var dash map[string]any
	if err := json.Unmarshal(monitor.Dashboard(), &dash); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	var qs []string
	queries(dash, "", &qs)
	if len(qs) < 10 {
		t.Fatalf("found %d queries in the dashboard, want at least 10", len(qs))
	}

	exported, mfs := exportedNames(t)

	used := map[string]bool{}
	for _, q := range qs {
		for _, problem := range checkQuery(q, exported, used) {
			t.Error(problem)
		}
	}
	// Every family is shown somewhere.
	for _, mf := range mfs {
		name := mf.GetName()
		if !used[name] && !used[name+"_bucket"] && !used[name+"_count"] {
			t.Errorf("metric %s is not on the dashboard", name)
		}
	}
}

func TestWriteAssets(t *testing.T) {
	dir := t.TempDir() + "/nested/assets"
	dash, rules, err := monitor.WriteAssets(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string][]byte{dash: monitor.Dashboard(), rules: monitor.Rules()} {
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s differs from the embedded asset", path)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := monitor.WriteAssets(ctx, t.TempDir()); err == nil {
		t.Error("WriteAssets with a canceled context: nil error")
	}
	// Callers get copies: changing one does not change the next.
	d := monitor.Dashboard()
	d[0] = 'X'
	if monitor.Dashboard()[0] == 'X' {
		t.Error("Dashboard returned the embedded slice itself")
	}
}

func TestDashboardStructure(t *testing.T) {
	var dash struct {
		UID        string `json:"uid"`
		Title      string `json:"title"`
		Templating struct {
			List []struct {
				Name string `json:"name"`
			} `json:"list"`
		} `json:"templating"`
		Panels []struct {
			ID      int    `json:"id"`
			Type    string `json:"type"`
			Title   string `json:"title"`
			GridPos struct {
				X, Y, W, H int
			} `json:"gridPos"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(monitor.Dashboard(), &dash); err != nil {
		t.Fatal(err)
	}
	if dash.UID == "" || dash.Title == "" {
		t.Error("dashboard lacks a uid or a title")
	}
	var vars []string
	for _, v := range dash.Templating.List {
		vars = append(vars, v.Name)
	}
	if diff := cmp.Diff([]string{"datasource", "model", "version"}, vars); diff != "" {
		t.Errorf("template variables (-want +got):\n%s", diff)
	}
	ids := map[int]bool{}
	for _, p := range dash.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d repeated", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q has gridPos %+v", p.Title, p.GridPos)
		}
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.RefID == "" || strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %q has a target without refId or expr", p.Title)
			}
		}
	}
}
