package monitor

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
)

//go:embed assets/dashboard.json
var dashboardJSON []byte

//go:embed assets/rules.yml
var rulesYAML []byte

// File names used by WriteAssets.
const (
	DashboardFile = "sextant-dashboard.json"
	RulesFile     = "sextant-rules.yml"
)

// Dashboard returns a copy of the Grafana dashboard (JSON) shipped with the
// package. It has a data source variable and model and version filters,
// and queries only metrics this package exports.
func Dashboard() []byte { return bytes.Clone(dashboardJSON) }

// Rules returns a copy of the Prometheus alerting rules (YAML) shipped with
// the package: SextantHighErrorRate (errors and timeouts above 5% for 5m),
// SextantLatencySLOBurnFast and SextantLatencySLOBurnSlow (multi-window
// burn of a 99%-within-0.5s latency SLO), SextantFeatureDrift (a drift
// verdict held for 15m), SextantNoPredictions (a version marked served by
// Metrics.SetModelInfo that finished no prediction for 10m) and
// SextantRolloutRolledBack (a rollout in phase "rolled-back").
func Rules() []byte { return bytes.Clone(rulesYAML) }

// WriteAssets writes the dashboard and the rules into dir (created if
// missing) as DashboardFile and RulesFile, and returns their paths.
func WriteAssets(ctx context.Context, dir string) (dashboard, rules string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("monitor: write assets: %w", err)
	}
	dashboard = filepath.Join(dir, DashboardFile)
	rules = filepath.Join(dir, RulesFile)
	for _, f := range []struct {
		path string
		data []byte
	}{{dashboard, dashboardJSON}, {rules, rulesYAML}} {
		if err := ctx.Err(); err != nil {
			return "", "", fmt.Errorf("monitor: write assets: %w", err)
		}
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			return "", "", fmt.Errorf("monitor: write assets: %w", err)
		}
	}
	return dashboard, rules, nil
}
