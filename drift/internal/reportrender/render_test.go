//go:build integration

package reportrender

import (
	"bytes"
	"context"
	"image"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sextant-ml/sextant/drift"
)

// TestReportRendersInChromium opens the HTML report in headless Chromium
// (Debian package chromium), takes a screenshot and checks that both bar
// colours of the charts were painted: the page renders on its own, with
// no network.
func TestReportRendersInChromium(t *testing.T) {
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Fatal("no chromium on PATH: install Debian's chromium package to check that reports render")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	rng := rand.New(rand.NewPCG(8, 9))
	normal := func(n int, mean float64) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = mean + 2*rng.NormFloat64()
		}
		return x
	}
	sites := func(n int, names ...string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = names[rng.IntN(len(names))]
		}
		return out
	}
	r, err := drift.Compare(
		drift.Data{Numeric: map[string][]float64{"temperature": normal(500, 20)}, Categorical: map[string][]string{"site": sites(300, "north", "south", "east")}},
		drift.Data{Numeric: map[string][]float64{"temperature": normal(200, 23)}, Categorical: map[string][]string{"site": sites(150, "north", "west")}},
		nil)
	if err != nil {
		t.Fatal(err)
	}
	// A categorical column's share chart is 180 pixels tall at its
	// largest share, with bars 12 pixels wide; a numeric column's
	// histogram is 200 pixels tall at its largest share, with 20 bins of
	// two 19-pixel bars across 880 pixels. The ECDF chart of a numeric
	// column adds one 2-pixel step line per side, at most 880 + 200
	// pixels long.
	area := map[string]float64{}
	lines := 0.0
	for _, c := range r.Columns {
		if c.Kind == drift.Numeric {
			h := c.Histogram
			rs, cs := sharesOf(h.Reference), sharesOf(h.Current)
			peak := max(slices.Max(rs), slices.Max(cs))
			for i := range rs {
				area["ref"] += 19 * 200 * rs[i] / peak
				area["cur"] += 19 * 200 * cs[i] / peak
			}
			lines += 2 * (880 + 200)
			continue
		}
		peak := max(slices.Max(c.Chart.Reference), slices.Max(c.Chart.Current))
		for i := range c.Chart.Labels {
			area["ref"] += 12 * 180 * c.Chart.Reference[i] / peak
			area["cur"] += 12 * 180 * c.Chart.Current[i] / peak
		}
	}
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=1200,3200", "--screenshot="+shot, "file://"+page)
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The style sheet paints reference bars #6b7280 and current bars
	// #2563eb; the legend adds one small square of each per column.
	want := map[[3]uint32]string{{0x6b, 0x72, 0x80}: "ref", {0x25, 0x63, 0xeb}: "cur"}
	painted := map[string]int{}
	b := img.Bounds()
	rgba := image.NewRGBA(b)
	draw.Draw(rgba, b, img, b.Min, draw.Src)
	for i := 0; i+3 < len(rgba.Pix); i += 4 {
		px := [3]uint32{uint32(rgba.Pix[i]), uint32(rgba.Pix[i+1]), uint32(rgba.Pix[i+2])}
		if name, ok := want[px]; ok {
			painted[name]++
		}
	}
	legends := float64(len(r.Columns)*14*14) + lines
	for _, name := range want {
		got := float64(painted[name])
		if got < 0.9*area[name] || got > 1.1*area[name]+legends {
			t.Errorf("%s bars: %v pixels painted in the %dx%d screenshot, want about %v", name, got, b.Dx(), b.Dy(), area[name])
		}
	}
}

func sharesOf(counts []int64) []float64 {
	total := 0.0
	for _, c := range counts {
		total += float64(c)
	}
	out := make([]float64, len(counts))
	for i, c := range counts {
		out[i] = float64(c) / total
	}
	return out
}
