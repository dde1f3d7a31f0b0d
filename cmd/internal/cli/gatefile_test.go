package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sextant-ml/sextant/registry"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestParseGate(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	good := `{"auc": {"threshold": 0.8, "greater_is_better": true}, "rmse": {"min_absolute_change": 0.5, "greater_is_better": false}}`
	want := registry.Gate{
		"auc":  {Threshold: f(0.8), GreaterIsBetter: true},
		"rmse": {MinAbsoluteChange: f(0.5)},
	}
	got, err := parseGate([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("gate (-want +got):\n%s", diff)
	}
	for name, bad := range map[string]string{
		"empty":             "",
		"empty map":         "{}",
		"unknown field":     "auc: {threshold: 0.8, greater: true, greater_is_better: true}",
		"no criterion":      "auc: {greater_is_better: true}",
		"relative above 1":  "auc: {min_relative_change: 1.5, greater_is_better: true}",
		"negative absolute": "auc: {min_absolute_change: -1, greater_is_better: true}",
		"not a map":         "- auc",
		"string threshold":  "auc: {threshold: high, greater_is_better: true}",
		"string direction":  "auc: {threshold: 1, greater_is_better: yes please}",
		"empty name":        `"": {threshold: 1, greater_is_better: true}`,
		"two documents":     "auc: {threshold: 1, greater_is_better: true}\n---\nx: {threshold: 1, greater_is_better: true}",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parseGate([]byte(bad)); !errors.Is(err, errGateFile) {
				t.Errorf("parseGate(%q) = %v, want errGateFile", bad, err)
			}
		})
	}
}

// MLflow requires greater_is_better; left out, it must not default to
// "lower is better".
func TestParseGateRequiresDirection(t *testing.T) {
	for name, tt := range map[string]struct{ text, metric string }{
		"yaml":        {"auc:\n  threshold: 0.8\n", "auc"},
		"json":        {`{"log_loss": {"threshold": 0.3}}`, "log_loss"},
		"one of two":  {"auc: {threshold: 0.8, greater_is_better: true}\nr2: {min_relative_change: 0.1}\n", "r2"},
		"null":        {"auc: {threshold: 0.8, greater_is_better: null}", "auc"},
		"change only": {"profit: {min_absolute_change: 5}", "profit"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseGate([]byte(tt.text))
			if !errors.Is(err, errMissingDirection) || !errors.Is(err, errGateFile) || !strings.Contains(err.Error(), strconv.Quote(tt.metric)) {
				t.Fatalf("parseGate(%q) = %v, want errMissingDirection naming %q", tt.text, err, tt.metric)
			}
		})
	}
	g, err := parseGate([]byte("loss: {threshold: 0.3, greater_is_better: false}"))
	if err != nil || g["loss"].GreaterIsBetter {
		t.Fatalf("explicit false: %v, %v", g, err)
	}
}

func FuzzParseGate(f *testing.F) {
	f.Add([]byte("auc:\n  threshold: 0.8\n  greater_is_better: true\n"))
	f.Add([]byte(`{"log_loss": {"threshold": 0.3, "min_relative_change": 0.1, "greater_is_better": false}}`))
	f.Add([]byte(`{"log_loss": {"threshold": 0.3}}`))
	f.Add([]byte("a: {min_absolute_change: 1e308, greater_is_better: true}"))
	f.Add([]byte("a: &x {threshold: 1, greater_is_better: false}\nb: *x"))
	f.Add([]byte("r2: {min_relative_change: 0.05, greater_is_better: true}\n---\n"))
	f.Add([]byte("auc: {threshold: 0.8, greater_is_better: null}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := parseGate(data)
		if err != nil {
			if !errors.Is(err, errGateFile) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(g) == 0 || g.Validate() != nil {
			t.Fatalf("accepted an invalid gate %v", g)
		}
		// Evaluating an accepted gate never panics, with or without a
		// baseline, of either sign.
		g.Evaluate(map[string]float64{}, nil)
		g.Evaluate(map[string]float64{"auc": 1}, map[string]float64{"auc": 0})
		g.Evaluate(map[string]float64{"a": -1, "auc": -2}, map[string]float64{"a": -3, "auc": -1})
	})
}

func FuzzParseMetrics(f *testing.F) {
	f.Add([]byte(`{"auc": 0.9}`))
	f.Add([]byte(`{"auc": 1e400}`))
	f.Add([]byte(`{"": 1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseMetrics(data)
		if err != nil {
			return
		}
		for k := range m {
			if k == "" {
				t.Fatalf("accepted an empty metric name")
			}
		}
	})
}
