package monitor_test

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/sextant-ml/sextant/monitor"
)

// TestHeatmapPanelsReadHistogramBuckets checks what a Grafana heatmap over
// a Prometheus histogram needs: targets in the heatmap format (so Grafana
// turns the le series into buckets instead of plotting each as a line), a
// query of the per-bucket rates summed by le, and no recalculation of
// buckets by the panel.
func TestHeatmapPanelsReadHistogramBuckets(t *testing.T) {
	var dash struct {
		Panels []struct {
			Type    string `json:"type"`
			Title   string `json:"title"`
			Targets []struct {
				Expr   string `json:"expr"`
				Format string `json:"format"`
			} `json:"targets"`
			Options struct {
				Calculate *bool `json:"calculate"`
			} `json:"options"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(monitor.Dashboard(), &dash); err != nil {
		t.Fatal(err)
	}
	query := regexp.MustCompile(`^sum by \(le\) \(rate\(sextant_[a-z_]+_bucket\{[^}]*\}\[\$__rate_interval\]\)\)$`)
	heatmaps := 0
	for _, p := range dash.Panels {
		if p.Type != "heatmap" {
			continue
		}
		heatmaps++
		if p.Options.Calculate == nil || *p.Options.Calculate {
			t.Errorf("heatmap %q: options.calculate must be false (the buckets come from Prometheus)", p.Title)
		}
		if len(p.Targets) == 0 {
			t.Errorf("heatmap %q has no target", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.Format != "heatmap" {
				t.Errorf("heatmap %q: target format %q, want \"heatmap\"", p.Title, tg.Format)
			}
			if !query.MatchString(tg.Expr) {
				t.Errorf("heatmap %q: query %q is not sum by (le) (rate(..._bucket[$__rate_interval]))", p.Title, tg.Expr)
			}
		}
	}
	if heatmaps == 0 {
		t.Error("the dashboard has no heatmap panel")
	}
}
