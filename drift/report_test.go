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
		if c.PValue == nil {
			t.Errorf("row %d: no p-value", i)
		} else if got, want := text(cells[5]), strconv.FormatFloat(*c.PValue, 'f', 4, 64); got != want && !strings.Contains(got, "e") {
			t.Errorf("row %d p-value %q, want %q", i, got, want)
		}
		wantVerdict := "ok"
		if c.Drifted {
			wantVerdict = "drift"
		}
		if got := text(cells[7]); got != wantVerdict {
			t.Errorf("row %d verdict %q, want %q", i, got, wantVerdict)
		}
	}
	byClass := map[string][]*html.Node{}
	for _, n := range svgs {
		byClass[attr(n, "class")] = append(byClass[attr(n, "class")], n)
	}
	var numeric, categorical []ColumnResult
	for _, c := range r.Columns {
		if c.Kind == Numeric {
			numeric = append(numeric, c)
		} else {
			categorical = append(categorical, c)
		}
	}
	if len(byClass["shares"]) != len(categorical) || len(byClass["histogram"]) != len(numeric) || len(byClass["ecdf"]) != len(numeric) {
		t.Fatalf("charts %d shares, %d histograms, %d ECDFs for %d categorical and %d numeric columns",
			len(byClass["shares"]), len(byClass["histogram"]), len(byClass["ecdf"]), len(categorical), len(numeric))
	}
	for i, c := range categorical {
		bars := min(len(c.Chart.Labels), 20)
		rects := find(byClass["shares"][i], "rect")
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
	for i, c := range numeric {
		h := c.Histogram
		// Bars alternate reference, current per bin, scaled so that the
		// largest share spans the 200-pixel plot.
		rects := find(byClass["histogram"][i], "rect")
		if len(rects) != 2*HistogramBins {
			t.Fatalf("column %s: %d histogram bars, want %d", c.Column, len(rects), 2*HistogramBins)
		}
		total := func(v []int64) float64 {
			s := int64(0)
			for _, x := range v {
				s += x
			}
			return float64(s)
		}
		rt, ct := total(h.Reference), total(h.Current)
		peak := 0.0
		for j := range h.Reference {
			peak = max(peak, float64(h.Reference[j])/rt, float64(h.Current[j])/ct)
		}
		for j := range h.Reference {
			for side, share := range []float64{float64(h.Reference[j]) / rt, float64(h.Current[j]) / ct} {
				got, _ := strconv.ParseFloat(attr(rects[2*j+side], "height"), 64)
				if want := 200 * share / peak; math.Abs(got-want) > 0.051 {
					t.Errorf("column %s bin %d side %d: bar %v px, want %.2f", c.Column, j, side, got, want)
				}
			}
		}
		// Every bin edge is labelled on the value axis.
		var edges []string
		for _, tx := range find(byClass["histogram"][i], "text") {
			if attr(tx, "class") == "edge" {
				edges = append(edges, text(tx))
			}
		}
		var want []string
		for _, e := range h.Edges {
			want = append(want, strconv.FormatFloat(e, 'g', 4, 64))
		}
		if diff := cmp.Diff(want, edges); diff != "" {
			t.Errorf("column %s: edge labels (-want +got):\n%s", c.Column, diff)
		}
		// The ECDF chart draws one non-decreasing step line per side,
		// ending at the top of the plot (P = 1).
		lines := find(byClass["ecdf"][i], "polyline")
		if len(lines) != 2 {
			t.Fatalf("column %s: %d ECDF lines, want 2", c.Column, len(lines))
		}
		for _, l := range lines {
			pts := strings.Fields(attr(l, "points"))
			prevY := math.Inf(1)
			for _, p := range pts {
				_, ys, _ := strings.Cut(p, ",")
				y, err := strconv.ParseFloat(ys, 64)
				if err != nil || y > prevY+0.01 {
					t.Fatalf("column %s: ECDF line goes down at %q", c.Column, p)
				}
				prevY = y
			}
			if math.Abs(prevY-12) > 0.05 {
				t.Errorf("column %s: ECDF ends at y %v, want 12 (P = 1)", c.Column, prevY)
			}
		}
		// The summary table shows both sides' statistics.
		stats := find(mustID(t, doc, "stats-"+c.Column), "tr")
		if got := text(stats[4]); !strings.HasPrefix(got, "mean") || !strings.Contains(got, strconv.FormatFloat(c.Stats.Current.Numeric.Mean, 'f', 4, 64)) {
			t.Errorf("column %s: mean row %q", c.Column, got)
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

func mustID(t *testing.T, doc *html.Node, id string) *html.Node {
	t.Helper()
	var found *html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && attr(n, "id") == id {
			found = n
		}
		for c := n.FirstChild; c != nil && found == nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if found == nil {
		t.Fatalf("no element with id %q", id)
	}
	return found
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
