package drift

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestReportRendersInChromium opens the HTML report in headless Chromium
// (Debian package chromium), takes a screenshot and checks that both bar
// colours of the charts were painted: the page renders on its own, with
// no network.
func TestReportRendersInChromium(t *testing.T) {
	t.Parallel() // mostly waiting for the browser
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
	r := sampleReport(t)
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf, nil); err != nil {
		t.Fatal(err)
	}
	// The bar area the charts should paint, in CSS pixels, per class.
	area := map[string]float64{}
	for _, c := range r.Columns {
		for _, bar := range buildSVG(c, 30).Bars {
			area[bar.Class] += bar.W * bar.H
		}
	}
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--window-size=1400,4000", "--screenshot="+shot, "file://"+page)
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
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if name, ok := want[[3]uint32{r >> 8, g >> 8, bl >> 8}]; ok {
				painted[name]++
			}
		}
	}
	legends := float64(len(r.Columns) * 14 * 14)
	for _, name := range want {
		got := float64(painted[name])
		if got < 0.9*area[name] || got > 1.1*area[name]+legends {
			t.Errorf("%s bars: %v pixels painted in the %dx%d screenshot, want about %v", name, got, b.Dx(), b.Dy(), area[name])
		}
	}
}
