//go:build integration

package ui

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// asUser mounts h under /as/<user>/ and sends every request as that user,
// the way an authenticating proxy in front of a service would.
func asUser(mux *http.ServeMux, user string, h http.Handler) {
	prefix := "/as/" + user
	mux.Handle(prefix+"/", http.StripPrefix(prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("X-User", user)
		h.ServeHTTP(w, r)
	})))
}

// artifactsDir is where screenshots go: $SEXTANT_ARTIFACTS, or a
// directory of the test's own.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SEXTANT_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else {
		dir = filepath.Join(dir, "ui")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// box is an element's rendered size.
type box struct {
	Sel    string  `json:"sel"`
	Width  float64 `json:"w"`
	Height float64 `json:"h"`
}

// boxes measures every element matching the CSS selector sel with
// getBoundingClientRect.
func boxes(sel string) chromedp.Action[[]box] {
	q := jsString(sel)
	return chromedp.Evaluate[[]box](`Array.from(document.querySelectorAll(` + q + `)).map(e => { const r = e.getBoundingClientRect(); return {sel: ` + q + `, w: r.width, h: r.height}; })`)
}

func jsString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
}

// value runs one action that returns a value, failing the test on error.
func value[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}

// TestBrowser drives headless Chromium through the UI: it clicks from the
// model list to a version and its lineage, on to the training run, through
// a comparison of runs and a drift report, and checks that every chart
// and graph is painted with a nonzero size; a subject the policy denies
// sees 403.
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("chromium is needed at %s (Debian package chromium): %v", chromiumPath, err)
	}
	w := newWorld(t)
	h, err := New(w.Opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	asUser(mux, "alice", h)
	asUser(mux, "eve", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	shots := artifactsDir(t)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	defer bcancel()

	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		})
	}
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	nonzero := func(step string, bs []box, want int) {
		t.Helper()
		if len(bs) < want {
			t.Errorf("%s: %d elements measured, want at least %d", step, len(bs), want)
		}
		for _, b := range bs {
			if b.Width <= 0 || b.Height <= 0 {
				t.Errorf("%s: %s rendered %vx%v", step, b.Sel, b.Width, b.Height)
			}
		}
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	base := srv.URL + "/as/alice/"

	// Models → the model → its newest version → the lineage graph.
	do("models", chromedp.Navigate(base+"models"), chromedp.WaitVisible(css(`#models`)), shot("01-models"))
	if title := value(t, bctx, "title", chromedp.Title()); !strings.HasPrefix(title, "Models") {
		t.Errorf("models page title %q", title)
	}
	do("open model", chromedp.Click(css(`#models tbody a[href$="`+w.Model+`"]`)), chromedp.WaitVisible(css(`#versions`)), shot("02-model"))
	if loc := value(t, bctx, "location", chromedp.Location()); !strings.HasSuffix(loc, "/as/alice/models/"+w.Model) {
		t.Errorf("after clicking the model: at %s", loc)
	}
	do("open version", chromedp.Click(css(`#versions tbody tr:first-child td:first-child a`)), chromedp.WaitVisible(css(`#lineage-link`)), shot("03-version"))
	if loc := value(t, bctx, "location", chromedp.Location()); !strings.HasSuffix(loc, "/models/"+w.Model+"/versions/2") {
		t.Errorf("after clicking the newest version: at %s", loc)
	}
	do("open lineage", chromedp.Click(css(`#lineage-link`)), chromedp.WaitVisible(css(`svg#lineage`)), shot("04-lineage"))
	if loc := value(t, bctx, "location", chromedp.Location()); !strings.HasSuffix(loc, "/versions/2/lineage") {
		t.Errorf("after clicking lineage: at %s", loc)
	}
	// Run, dataset, parent and the version itself; three edges into it
	// (a line may be horizontal: its height can be 0, its width not).
	nonzero("lineage graph", value(t, bctx, "graph", boxes(`svg#lineage`)), 1)
	nonzero("lineage nodes", value(t, bctx, "nodes", boxes(`svg#lineage g.node rect`)), 4)
	edges := value(t, bctx, "edges", boxes(`svg#lineage line.edge`))
	if len(edges) != 3 {
		t.Errorf("lineage edges: %d, want 3", len(edges))
	}
	for _, e := range edges {
		if e.Width <= 0 {
			t.Errorf("lineage edge %vx%v", e.Width, e.Height)
		}
	}

	// The run node links to the training run, whose metrics are charted.
	do("open run from lineage", chromedp.Click(css(`svg#lineage a[href*="runs/`+w.Run2+`"] rect`)), chromedp.WaitVisible(css(`svg.chart`)), shot("05-run"))
	if loc := value(t, bctx, "location", chromedp.Location()); !strings.HasSuffix(loc, "/runs/"+w.Run2) {
		t.Errorf("after clicking the run node: at %s", loc)
	}
	// accuracy has one point (a dot), loss ten (a falling line).
	nonzero("run charts", value(t, bctx, "charts", boxes(`svg.chart`)), 2)
	nonzero("run chart dots", value(t, bctx, "dots", boxes(`svg.chart circle`)), 11)
	lines := value(t, bctx, "lines", boxes(`svg.chart polyline`))
	if len(lines) != 2 || max(lines[0].Width, lines[1].Width) <= 0 || max(lines[0].Height, lines[1].Height) <= 0 {
		t.Errorf("run chart lines %v: want the loss line drawn", lines)
	}

	// Compare both runs through the form.
	do("compare", chromedp.Navigate(base+"runs"), chromedp.WaitVisible(css(`#runs`)),
		chromedp.Click(css(`input[value="`+w.Run1+`"]`)), chromedp.Click(css(`input[value="`+w.Run2+`"]`)),
		chromedp.Click(css(`button[type="submit"]`)), chromedp.WaitVisible(css(`#compare`)), shot("06-compare"))
	if loc := value(t, bctx, "location", chromedp.Location()); !strings.Contains(loc, "/runs/compare?") {
		t.Errorf("after submitting the comparison: at %s", loc)
	}
	nonzero("compare charts", value(t, bctx, "compare charts", boxes(`svg.chart`)), 2)
	nonzero("compare lines", value(t, bctx, "compare lines", boxes(`svg.chart g.series`)), 4)

	// Dataset → diff → drift report between the versions.
	do("drift", chromedp.Navigate(base+"datasets/"+w.DS), chromedp.WaitVisible(css(`#versions`)), shot("07-dataset"),
		chromedp.Click(css(`#versions a[href*="diff"]`)), chromedp.WaitVisible(css(`#drift-links`)), shot("08-diff"),
		chromedp.Click(css(`#drift-links li:first-child a`)), chromedp.WaitVisible(css(`#drift-summary`)), shot("09-drift"))
	var painted []box
	for _, b := range value(t, bctx, "histogram", boxes(`svg.histogram rect`)) {
		if b.Height > 0 {
			painted = append(painted, b)
		}
	}
	nonzero("drift histogram bars", painted, 10)
	nonzero("drift ECDF lines", value(t, bctx, "ecdf", boxes(`svg.ecdf polyline`)), 2)
	nonzero("drift share bars", value(t, bctx, "shares", boxes(`svg.shares`)), 1)

	// The rollout's weight chart.
	do("deployment", chromedp.Navigate(base+"deployments"), chromedp.WaitVisible(css(`#deployments`)),
		chromedp.Click(css(`#deployments a`)), chromedp.WaitVisible(css(`#history`)), shot("10-deployment"))
	nonzero("weight chart", value(t, bctx, "weight", boxes(`svg.chart polyline`)), 1)

	// A subject the policy grants nothing sees 403 on every page.
	for _, p := range []string{"models", "models/" + w.Model + "/versions/2/lineage", "runs", "datasets", "deployments"} {
		resp, err := chromedp.RunResponse(bctx, chromedp.Navigate(srv.URL+"/as/eve/"+p))
		if err != nil {
			t.Fatalf("eve %s: %v", p, err)
		}
		h1 := value(t, bctx, "eve heading", chromedp.Text(css(`h1`)))
		if resp.Status != http.StatusForbidden || h1 != "Forbidden" {
			t.Errorf("eve %s: status %d, heading %q; want 403 Forbidden", p, resp.Status, h1)
		}
	}
	do("eve shot", shot("11-denied"))
}
