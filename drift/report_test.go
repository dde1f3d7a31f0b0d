package drift

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// sampleReport compares a shifted batch with a small reference over a
// numeric, a discrete and a categorical column.
func sampleReport(t *testing.T) *Report {
	t.Helper()
	rng := rand.New(rand.NewPCG(8, 9))
	many := make([]string, 60)
	for i := range many {
		many[i] = "k" + strconv.Itoa(i%45)
	}
	many[0] = "a-very-long-device-name-indeed"
	ref := Data{
		Numeric:     map[string][]float64{"temperature": normalSample(rng, 500, 20, 2), "level": {1, 2, 2, 3, 3, 3, 1, 2}},
		Categorical: map[string][]string{"site": categorySample(rng, 300, []string{"north", "south", "<east>"}, []float64{5, 3, 2}), "device": many},
	}
	cur := Data{
		Numeric:     map[string][]float64{"temperature": normalSample(rng, 200, 23, 2), "level": {1, 2, 3, 3, 3}},
		Categorical: map[string][]string{"site": categorySample(rng, 150, []string{"north", "south", "west"}, []float64{2, 3, 5}), "device": many[:50]},
	}
	r, err := Compare(ref, cur, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReportJSONIsStable(t *testing.T) {
	r := sampleReport(t)
	a, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(sampleReport(t), "", "  ")
	if !bytes.Equal(a, b) {
		t.Fatal("two identical comparisons marshal differently")
	}
	const golden = "testdata/report.golden.json"
	if *update {
		if err := os.WriteFile(golden, append(a, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(a)+"\n"); diff != "" {
		t.Errorf("report JSON changed (-want +got); run go test -run TestReportJSONIsStable -update if intended:\n%s", diff)
	}
	var back Report
	if err := json.Unmarshal(a, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, &back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}

func TestReportHTML(t *testing.T) {
	r := sampleReport(t)
	var buf bytes.Buffer
	if err := r.WriteHTML(&buf, &HTMLOptions{Title: "Sensors <weekly>", MaxBars: 20}); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	var (
		title    string
		table    *html.Node
		svgs     []*html.Node
		external []string
	)
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "title":
				if n.Parent != nil && n.Parent.Data == "head" && n.FirstChild != nil {
					title = n.FirstChild.Data
				}
			case "table":
				if attr(n, "id") == "drift-summary" {
					table = n
				}
			case "svg":
				svgs = append(svgs, n)
			case "script", "link", "img", "iframe", "object", "embed":
				external = append(external, n.Data)
			}
			for _, a := range n.Attr {
				if (a.Key == "src" || a.Key == "href") && !strings.HasPrefix(a.Val, "#") {
					external = append(external, a.Key+"="+a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if title != "Sensors <weekly>" {
		t.Errorf("title = %q", title)
	}
	if len(external) > 0 {
		t.Errorf("page is not self-contained: %v", external)
	}
	if strings.Contains(buf.String(), "@import") || strings.Contains(buf.String(), "url(") {
		t.Error("style sheet loads resources")
	}
	if table == nil {
		t.Fatal("no drift-summary table")
	}
	rows := find(table, "tr")
	if len(rows) != len(r.Columns)+1 {
		t.Fatalf("summary has %d rows, want %d", len(rows), len(r.Columns)+1)
	}
	for i, c := range r.Columns {
		cells := find(rows[i+1], "td")
		if got := text(cells[0]); got != c.Column {
			t.Errorf("row %d names %q, want %q", i, got, c.Column)
		}
		if got := text(cells[2]); got != string(c.Method) {
			t.Errorf("row %d method %q, want %q", i, got, c.Method)
		}
		wantVerdict := "ok"
		if c.Drifted {
			wantVerdict = "drift"
		}
		if got := text(cells[6]); got != wantVerdict {
			t.Errorf("row %d verdict %q, want %q", i, got, wantVerdict)
		}
	}
	if len(svgs) != len(r.Columns) {
		t.Fatalf("%d charts for %d columns", len(svgs), len(r.Columns))
	}
	for i, c := range r.Columns {
		bars := min(len(c.Chart.Labels), 20)
		rects := find(svgs[i], "rect")
		if len(rects) != 2*bars {
			t.Errorf("column %s: %d bars, want %d", c.Column, len(rects), 2*bars)
		}
		for _, rc := range rects {
			if h, err := strconv.ParseFloat(attr(rc, "height"), 64); err != nil || h < 0 || h > 180.01 {
				t.Errorf("column %s: bar height %q", c.Column, attr(rc, "height"))
			}
		}
		if len(c.Chart.Labels) > 20 || len(rects) != 2*len(c.Chart.Labels) {
			continue // pooled: checked below
		}
		// Bars alternate reference, current per label; the tallest share
		// spans the 180-pixel plot and the others scale with it.
		peak := max(slices.Max(c.Chart.Reference), slices.Max(c.Chart.Current))
		for j, label := range c.Chart.Labels {
			for side, share := range []float64{c.Chart.Reference[j], c.Chart.Current[j]} {
				rc := rects[2*j+side]
				h, _ := strconv.ParseFloat(attr(rc, "height"), 64)
				if want := 180 * share / peak; math.Abs(h-want) > 0.051 {
					t.Errorf("column %s, %s side %d: bar %v px, want %.2f for share %v", c.Column, label, side, h, want, share)
				}
				if tip := text(rc); !strings.HasPrefix(tip, label+", ") {
					t.Errorf("column %s: bar tooltip %q does not name %q", c.Column, tip, label)
				}
			}
		}
	}
	// The categorical column with 45 categories pools the small ones.
	if !strings.Contains(buf.String(), "(others)") {
		t.Error("no pooled bar for the 45-category column")
	}
	// Long labels are shortened on the axis; the tooltip keeps them whole.
	if !strings.Contains(buf.String(), "a-very-long-device-…") || !strings.Contains(buf.String(), "a-very-long-device-name-indeed, reference") {
		t.Error("long label not shortened on the axis or lost from the tooltip")
	}
	// Labels are escaped, not injected.
	if strings.Contains(buf.String(), "<east>") {
		t.Error("category label not escaped")
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func find(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.Data == tag {
				out = append(out, c)
			}
			walk(c)
		}
	}
	walk(n)
	return out
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}
