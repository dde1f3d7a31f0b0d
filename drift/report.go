package drift

import (
	"cmp"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
)

// HTMLOptions tune WriteHTML. The zero value (or nil) gives the defaults.
type HTMLOptions struct {
	// Title heads the page. Default "Drift report".
	Title string
	// MaxBars caps the bars per chart; smaller categories are pooled into
	// one "(others)" bar. Default 30.
	MaxBars int
}

// WriteHTML writes the report as one self-contained HTML page: a summary
// table (id "drift-summary") and, per column, a section with the method,
// score and verdict and an inline SVG chart of reference and current
// shares per bin or category. The page loads nothing: no scripts, fonts,
// style sheets or images from elsewhere.
func (r *Report) WriteHTML(w io.Writer, opts *HTMLOptions) error {
	if r == nil || w == nil {
		return fmt.Errorf("%w: nil report or writer", ErrInvalid)
	}
	o := HTMLOptions{Title: "Drift report", MaxBars: 30}
	if opts != nil {
		if opts.Title != "" {
			o.Title = opts.Title
		}
		if opts.MaxBars > 0 {
			o.MaxBars = opts.MaxBars
		}
	}
	page := htmlPage{Title: o.Title, Report: r}
	for _, c := range r.Columns {
		var cc columnCharts
		if c.Kind == Numeric && c.Histogram != nil && c.ECDF != nil {
			h, e := buildHistogram(c.Histogram), buildECDF(c.ECDF, c.Histogram)
			cc.Histogram, cc.ECDF = &h, &e
		} else {
			b := buildSVG(c, o.MaxBars)
			cc.Shares = &b
		}
		page.Charts = append(page.Charts, cc)
	}
	if err := reportTemplate().Execute(w, page); err != nil {
		return fmt.Errorf("drift: write html report: %w", err)
	}
	return nil
}

type htmlPage struct {
	Title  string
	Report *Report
	Charts []columnCharts
}

// columnCharts are a column's charts: shares per category for categorical
// columns, a histogram and an ECDF overlay for numeric ones.
type columnCharts struct {
	Shares    *svgChart
	Histogram *svgChart
	ECDF      *svgChart
}

// svgLine is a polyline; Points is its SVG points attribute.
type svgLine struct {
	Class, Points, Tip string
}

type svgBar struct {
	X, Y, W, H float64
	Class      string
	Tip        string
}

type svgLabel struct {
	X, Y float64
	Text string
}

type svgChart struct {
	Width, Height float64
	Bars          []svgBar
	Labels        []svgLabel
	Ticks         []svgLabel
	Lines         []svgLine
	Left, BaseY   float64
}

// Layout of the value-axis charts: wide, scaled down by the browser on
// narrow screens through the viewBox.
const (
	wideWidth               = 960.0
	wideLeft, wideRight     = 56.0, 24.0
	wideTop, widePlotH      = 12.0, 200.0
	histBottom, ecdfBottom  = 72.0, 40.0
	wideBarGap, wideBarPair = 2.0, 2
)

// edgeLabel formats a bin edge or axis value compactly.
func edgeLabel(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// buildHistogram lays out both sides' shares per equal-width bin on a value
// axis labelled at every bin edge.
func buildHistogram(h *ValueHistogram) svgChart {
	bins := len(h.Reference)
	plotW := wideWidth - wideLeft - wideRight
	ch := svgChart{Width: wideWidth, Height: wideTop + widePlotH + histBottom, Left: wideLeft, BaseY: wideTop + widePlotH}
	ref, cur := shares(toFloats(h.Reference)), shares(toFloats(h.Current))
	peak := math.Max(slices.Max(append([]float64{0}, ref...)), slices.Max(append([]float64{0}, cur...)))
	if peak == 0 {
		peak = 1
	}
	ch.Ticks = shareTicks(peak, wideLeft, ch.BaseY, widePlotH)
	group := plotW / float64(max(bins, 1))
	barW := (group - 3*wideBarGap) / wideBarPair
	for i := 0; i < bins; i++ {
		x := wideLeft + group*float64(i)
		for j, share := range []float64{ref[i], cur[i]} {
			hgt := widePlotH * share / peak
			class, side := "ref", "reference"
			if j == 1 {
				class, side = "cur", "current"
			}
			ch.Bars = append(ch.Bars, svgBar{
				X: x + wideBarGap + (barW+wideBarGap)*float64(j), Y: ch.BaseY - hgt, W: barW, H: hgt, Class: class,
				Tip: fmt.Sprintf("[%s, %s%s %s: %.2f%%", edgeLabel(h.Edges[i]), edgeLabel(h.Edges[i+1]), closing(i, bins), side, 100*share),
			})
		}
	}
	for i, e := range h.Edges {
		ch.Labels = append(ch.Labels, svgLabel{X: wideLeft + group*float64(i), Y: ch.BaseY + 12, Text: edgeLabel(e)})
	}
	return ch
}

func closing(i, bins int) string {
	if i == bins-1 {
		return "]"
	}
	return ")"
}

func toFloats(c []int64) []float64 {
	f := make([]float64, len(c))
	for i, v := range c {
		f[i] = float64(v)
	}
	return f
}

func shareTicks(peak, left, baseY, plotH float64) []svgLabel {
	var t []svgLabel
	for k := 0; k <= 4; k++ {
		v := peak * float64(k) / 4
		t = append(t, svgLabel{X: left - 6, Y: baseY - plotH*float64(k)/4, Text: strconv.FormatFloat(100*v, 'f', 1, 64) + "%"})
	}
	return t
}

// buildECDF draws both sides' empirical distribution functions as step
// lines over the histogram's value range.
func buildECDF(e *ECDF, h *ValueHistogram) svgChart {
	lo, hi := h.Edges[0], h.Edges[len(h.Edges)-1]
	plotW := wideWidth - wideLeft - wideRight
	ch := svgChart{Width: wideWidth, Height: wideTop + widePlotH + ecdfBottom, Left: wideLeft, BaseY: wideTop + widePlotH}
	xOf := func(v float64) float64 { return wideLeft + plotW*(v-lo)/(hi-lo) }
	yOf := func(p float64) float64 { return ch.BaseY - widePlotH*p }
	for k := 0; k <= 4; k++ {
		p := float64(k) / 4
		ch.Ticks = append(ch.Ticks, svgLabel{X: wideLeft - 6, Y: yOf(p), Text: strconv.FormatFloat(p, 'f', 2, 64)})
		v := lo + (hi-lo)*p
		ch.Labels = append(ch.Labels, svgLabel{X: xOf(v), Y: ch.BaseY + 14, Text: edgeLabel(v)})
	}
	for j, pts := range [][]ECDFPoint{e.Reference, e.Current} {
		class, side := "ref", "reference"
		if j == 1 {
			class, side = "cur", "current"
		}
		var b []byte
		add := func(x, y float64) {
			if len(b) > 0 {
				b = append(b, ' ')
			}
			b = strconv.AppendFloat(b, x, 'f', 1, 64)
			b = append(b, ',')
			b = strconv.AppendFloat(b, y, 'f', 1, 64)
		}
		prev := 0.0
		add(xOf(lo), yOf(0))
		for _, p := range pts {
			add(xOf(p.X), yOf(prev))
			add(xOf(p.X), yOf(p.P))
			prev = p.P
		}
		add(xOf(hi), yOf(prev))
		ch.Lines = append(ch.Lines, svgLine{Class: class, Points: string(b), Tip: side + " ECDF"})
	}
	return ch
}

// buildSVG lays out a grouped bar chart of the column's shares.
func buildSVG(c ColumnResult, maxBars int) svgChart {
	labels, ref, cur := poolSmall(c.Chart, maxBars)
	const (
		left, top, bottom = 48.0, 12.0, 90.0
		plotH             = 180.0
		group             = 34.0
	)
	ch := svgChart{Width: math.Max(wideWidth, left+group*float64(max(len(labels), 1))+16), Height: top + plotH + bottom, Left: left - 4}
	ch.BaseY = top + plotH
	peak := 0.0
	for i := range ref {
		peak = math.Max(peak, math.Max(ref[i], cur[i]))
	}
	if peak == 0 {
		peak = 1
	}
	for k := 0; k <= 4; k++ {
		v := peak * float64(k) / 4
		ch.Ticks = append(ch.Ticks, svgLabel{X: left - 6, Y: ch.BaseY - plotH*float64(k)/4, Text: strconv.FormatFloat(100*v, 'f', 1, 64) + "%"})
	}
	for i, l := range labels {
		x := left + group*float64(i)
		for j, share := range []float64{ref[i], cur[i]} {
			h := plotH * share / peak
			class, side := "ref", "reference"
			if j == 1 {
				class, side = "cur", "current"
			}
			ch.Bars = append(ch.Bars, svgBar{
				X: x + 4 + 13*float64(j), Y: ch.BaseY - h, W: 12, H: h, Class: class,
				Tip: fmt.Sprintf("%s, %s: %.2f%%", l, side, 100*share),
			})
		}
		ch.Labels = append(ch.Labels, svgLabel{X: x + 17, Y: ch.BaseY + 10, Text: shorten(l, 20)})
	}
	return ch
}

// shorten cuts a label to n runes, marking the cut with an ellipsis; the
// bar's tooltip keeps the full label.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// poolSmall keeps the maxBars-1 categories with the largest share (on
// either side) and pools the rest, when there are more than maxBars.
func poolSmall(c Chart, maxBars int) ([]string, []float64, []float64) {
	if len(c.Labels) <= maxBars {
		return c.Labels, c.Reference, c.Current
	}
	idx := make([]int, len(c.Labels))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Compare(math.Max(c.Reference[b], c.Current[b]), math.Max(c.Reference[a], c.Current[a]))
	})
	keep := idx[:maxBars-1]
	slices.Sort(keep)
	var labels []string
	var ref, cur []float64
	var restR, restC float64
	kept := make(map[int]bool, len(keep))
	for _, i := range keep {
		kept[i] = true
		labels, ref, cur = append(labels, c.Labels[i]), append(ref, c.Reference[i]), append(cur, c.Current[i])
	}
	for i := range c.Labels {
		if !kept[i] {
			restR += c.Reference[i]
			restC += c.Current[i]
		}
	}
	return append(labels, "(others)"), append(ref, restR), append(cur, restC)
}

func reportTemplate() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"num": func(f float64) string {
			if f != 0 && (math.Abs(f) < 1e-3 || math.Abs(f) >= 1e6) {
				return strconv.FormatFloat(f, 'e', 3, 64)
			}
			return strconv.FormatFloat(f, 'f', 4, 64)
		},
		"pct": func(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" },
		"px":  func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
		"add": func(a, b int64) int64 { return a + b },
		"chart": func(charts []columnCharts, i int) columnCharts {
			return charts[i]
		},
		"pval": func(p *float64) string {
			if p == nil {
				return "–"
			}
			f := *p
			if f != 0 && (math.Abs(f) < 1e-3 || math.Abs(f) >= 1e6) {
				return strconv.FormatFloat(f, 'e', 3, 64)
			}
			return strconv.FormatFloat(f, 'f', 4, 64)
		},
	}).Parse(reportHTML))
}

const reportHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1d2330;background:#fff}
h1{font-size:1.5rem;margin:0 0 .5rem}
h2{font-size:1.15rem;margin:2rem 0 .4rem}
h3{font-size:.95rem;margin:1rem 0 .2rem;color:#374151}
.verdict{font-weight:600;padding:.1rem .5rem;border-radius:.3rem}
.drift{background:#fde2e1;color:#9b1c1c}
.nodrift{background:#def7ec;color:#03543f}
table{border-collapse:collapse;margin-top:1rem;font-size:.9rem}
th,td{border-bottom:1px solid #e5e7eb;padding:.35rem .7rem;text-align:right}
th:first-child,td:first-child,td.text{text-align:left}
th{background:#f3f4f6}
svg{display:block;margin-top:.5rem;max-width:100%;height:auto}
svg rect.ref{fill:#6b7280}
svg rect.cur{fill:#2563eb}
svg polyline{fill:none;stroke-width:2}
svg polyline.ref{stroke:#6b7280}
svg polyline.cur{stroke:#2563eb}
svg text{font-size:10px;fill:#374151}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem;vertical-align:middle}
.meta{color:#4b5563;font-size:.9rem}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{with .Report}}<p>Dataset: <span class="verdict {{if .Drifted}}drift{{else}}nodrift{{end}}">{{if .Drifted}}drift detected{{else}}no drift{{end}}</span>
{{.DriftedColumns}} of {{len .Columns}} columns drifted ({{pct .Share}}); rule: {{.Rule}}{{if eq .Rule "share"}}, drift when the share reaches {{pct .ShareThreshold}}{{else}}, alpha {{num .Alpha}}{{end}}.</p>
<table id="drift-summary">
<thead><tr><th>Column</th><th>Kind</th><th>Method</th><th>Statistic</th><th>Score</th><th>p-value</th><th>Threshold</th><th>Drift</th><th>Reference used</th><th>Current used</th><th>Dropped (NaN/Inf)</th></tr></thead>
<tbody>
{{range .Columns}}<tr><td><a href="#col-{{.Column}}">{{.Column}}</a></td><td class="text">{{.Kind}}</td><td class="text">{{.Method}}</td><td>{{num .Statistic}}</td><td>{{num .Score}}</td><td title="{{.PValueMethod}}">{{pval .PValue}}</td><td>{{if .IsTest}}p &lt; {{else}}≥ {{end}}{{num .Threshold}}</td><td class="text"><span class="verdict {{if .Drifted}}drift{{else}}nodrift{{end}}">{{if .Drifted}}drift{{else}}ok{{end}}</span></td><td>{{.Reference.Used}}</td><td>{{.Current.Used}}</td><td>{{add .Reference.NaN .Reference.Inf}} / {{add .Current.NaN .Current.Inf}}</td></tr>
{{end}}</tbody>
</table>
{{end}}
{{range $i, $c := .Report.Columns}}{{with chart $.Charts $i}}
<section id="col-{{$c.Column}}">
<h2>{{$c.Column}} <span class="verdict {{if $c.Drifted}}drift{{else}}nodrift{{end}}">{{if $c.Drifted}}drift{{else}}no drift{{end}}</span></h2>
<p class="meta">{{$c.Kind}} column; {{$c.Method}} {{if $c.IsTest}}p-value{{else}}distance{{end}} {{num $c.Score}} (threshold {{num $c.Threshold}}){{if and (not $c.IsTest) $c.PValue}}; {{$c.PValueMethod}} p-value {{pval $c.PValue}}{{end}}; reference {{$c.Reference.Used}} values, current {{$c.Current.Used}} values{{with $c.Unseen}}; unseen categories: {{range $j, $u := .}}{{if $j}}, {{end}}{{$u}}{{end}}{{end}}.
<span class="legend"><span style="background:#6b7280"></span>reference<span style="background:#2563eb"></span>current</span></p>
{{with $c.Stats}}<table class="stats" id="stats-{{$c.Column}}">
<thead><tr><th>Statistic</th><th>Reference</th><th>Current</th></tr></thead>
<tbody>
<tr><td>rows</td><td>{{.Reference.Rows}}</td><td>{{.Current.Rows}}</td></tr>
<tr><td>count</td><td>{{.Reference.Count}}</td><td>{{.Current.Count}}</td></tr>
<tr><td>missing</td><td>{{pct .Reference.MissingShare}}</td><td>{{pct .Current.MissingShare}}</td></tr>
{{if and .Reference.Numeric .Current.Numeric}}{{$r := .Reference.Numeric}}{{$u := .Current.Numeric}}<tr><td>mean</td><td>{{num $r.Mean}}</td><td>{{num $u.Mean}}</td></tr>
<tr><td>std</td><td>{{num $r.Std}}</td><td>{{num $u.Std}}</td></tr>
<tr><td>min</td><td>{{num $r.Min}}</td><td>{{num $u.Min}}</td></tr>
<tr><td>25%</td><td>{{num $r.P25}}{{if $r.Approximate}} ≈{{end}}</td><td>{{num $u.P25}}</td></tr>
<tr><td>50%</td><td>{{num $r.P50}}{{if $r.Approximate}} ≈{{end}}</td><td>{{num $u.P50}}</td></tr>
<tr><td>75%</td><td>{{num $r.P75}}{{if $r.Approximate}} ≈{{end}}</td><td>{{num $u.P75}}</td></tr>
<tr><td>max</td><td>{{num $r.Max}}</td><td>{{num $u.Max}}</td></tr>
{{end}}{{if and .Reference.Categorical .Current.Categorical}}{{$r := .Reference.Categorical}}{{$u := .Current.Categorical}}<tr><td>distinct</td><td>{{$r.Distinct}}</td><td>{{$u.Distinct}}</td></tr>
<tr><td>most frequent</td><td class="text">{{$r.Top}} ({{pct $r.TopShare}})</td><td class="text">{{$u.Top}} ({{pct $u.TopShare}})</td></tr>
{{end}}</tbody>
</table>{{end}}
{{with .Shares}}<svg class="shares" width="{{px .Width}}" height="{{px .Height}}" viewBox="0 0 {{px .Width}} {{px .Height}}" role="img" aria-label="{{$c.Column}}: reference and current shares">
<line x1="{{px .Left}}" y1="{{px .BaseY}}" x2="{{px .Width}}" y2="{{px .BaseY}}" stroke="#9ca3af"/>
{{range .Ticks}}<text x="{{px .X}}" y="{{px .Y}}" text-anchor="end" dominant-baseline="middle">{{.Text}}</text>
{{end}}{{range .Bars}}<rect class="{{.Class}}" x="{{px .X}}" y="{{px .Y}}" width="{{px .W}}" height="{{px .H}}"><title>{{.Tip}}</title></rect>
{{end}}{{range .Labels}}<text x="{{px .X}}" y="{{px .Y}}" text-anchor="end" transform="rotate(-45 {{px .X}} {{px .Y}})">{{.Text}}</text>
{{end}}</svg>{{end}}
{{with .Histogram}}<h3>Histogram (share of values per bin)</h3>
<svg class="histogram" width="{{px .Width}}" height="{{px .Height}}" viewBox="0 0 {{px .Width}} {{px .Height}}" role="img" aria-label="{{$c.Column}}: histogram of reference and current">
<line x1="{{px .Left}}" y1="{{px .BaseY}}" x2="{{px .Width}}" y2="{{px .BaseY}}" stroke="#9ca3af"/>
{{range .Ticks}}<text x="{{px .X}}" y="{{px .Y}}" text-anchor="end" dominant-baseline="middle">{{.Text}}</text>
{{end}}{{range .Bars}}<rect class="{{.Class}}" x="{{px .X}}" y="{{px .Y}}" width="{{px .W}}" height="{{px .H}}"><title>{{.Tip}}</title></rect>
{{end}}{{range .Labels}}<text class="edge" x="{{px .X}}" y="{{px .Y}}" text-anchor="end" transform="rotate(-45 {{px .X}} {{px .Y}})">{{.Text}}</text>
{{end}}</svg>{{end}}
{{with .ECDF}}<h3>Empirical distribution function</h3>
<svg class="ecdf" width="{{px .Width}}" height="{{px .Height}}" viewBox="0 0 {{px .Width}} {{px .Height}}" role="img" aria-label="{{$c.Column}}: ECDF of reference and current">
<line x1="{{px .Left}}" y1="{{px .BaseY}}" x2="{{px .Width}}" y2="{{px .BaseY}}" stroke="#9ca3af"/>
{{range .Ticks}}<text x="{{px .X}}" y="{{px .Y}}" text-anchor="end" dominant-baseline="middle">{{.Text}}</text>
{{end}}{{range .Labels}}<text x="{{px .X}}" y="{{px .Y}}" text-anchor="middle">{{.Text}}</text>
{{end}}{{range .Lines}}<polyline class="{{.Class}}" points="{{.Points}}"><title>{{.Tip}}</title></polyline>
{{end}}</svg>{{end}}
</section>
{{end}}{{end}}
</body>
</html>
`
