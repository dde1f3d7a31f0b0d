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
		page.Charts = append(page.Charts, buildSVG(c, o.MaxBars))
	}
	if err := reportTemplate().Execute(w, page); err != nil {
		return fmt.Errorf("drift: write html report: %w", err)
	}
	return nil
}

type htmlPage struct {
	Title  string
	Report *Report
	Charts []svgChart
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
	BaseY         float64
}

// buildSVG lays out a grouped bar chart of the column's shares.
func buildSVG(c ColumnResult, maxBars int) svgChart {
	labels, ref, cur := poolSmall(c.Chart, maxBars)
	const (
		left, top, bottom = 48.0, 12.0, 90.0
		plotH             = 180.0
		group             = 34.0
	)
	ch := svgChart{Width: left + group*float64(max(len(labels), 1)) + 16, Height: top + plotH + bottom}
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
		"chart": func(charts []svgChart, i int) svgChart {
			return charts[i]
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
.verdict{font-weight:600;padding:.1rem .5rem;border-radius:.3rem}
.drift{background:#fde2e1;color:#9b1c1c}
.nodrift{background:#def7ec;color:#03543f}
table{border-collapse:collapse;margin-top:1rem;font-size:.9rem}
th,td{border-bottom:1px solid #e5e7eb;padding:.35rem .7rem;text-align:right}
th:first-child,td:first-child,td.text{text-align:left}
th{background:#f3f4f6}
svg{display:block;margin-top:.5rem}
svg .ref{fill:#6b7280}
svg .cur{fill:#2563eb}
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
<thead><tr><th>Column</th><th>Kind</th><th>Method</th><th>Statistic</th><th>Score</th><th>Threshold</th><th>Drift</th><th>Reference used</th><th>Current used</th><th>Dropped (NaN/Inf)</th></tr></thead>
<tbody>
{{range .Columns}}<tr><td><a href="#col-{{.Column}}">{{.Column}}</a></td><td class="text">{{.Kind}}</td><td class="text">{{.Method}}</td><td>{{num .Statistic}}</td><td>{{num .Score}}</td><td>{{if .IsTest}}p &lt; {{else}}≥ {{end}}{{num .Threshold}}</td><td class="text"><span class="verdict {{if .Drifted}}drift{{else}}nodrift{{end}}">{{if .Drifted}}drift{{else}}ok{{end}}</span></td><td>{{.Reference.Used}}</td><td>{{.Current.Used}}</td><td>{{add .Reference.NaN .Reference.Inf}} / {{add .Current.NaN .Current.Inf}}</td></tr>
{{end}}</tbody>
</table>
{{end}}
{{range $i, $c := .Report.Columns}}{{with chart $.Charts $i}}
<section id="col-{{$c.Column}}">
<h2>{{$c.Column}} <span class="verdict {{if $c.Drifted}}drift{{else}}nodrift{{end}}">{{if $c.Drifted}}drift{{else}}no drift{{end}}</span></h2>
<p class="meta">{{$c.Kind}} column; {{$c.Method}} {{if $c.IsTest}}p-value{{else}}distance{{end}} {{num $c.Score}} (threshold {{num $c.Threshold}}); reference {{$c.Reference.Used}} values, current {{$c.Current.Used}} values{{with $c.Unseen}}; unseen categories: {{range $j, $u := .}}{{if $j}}, {{end}}{{$u}}{{end}}{{end}}.
<span class="legend"><span style="background:#6b7280"></span>reference<span style="background:#2563eb"></span>current</span></p>
<svg width="{{px .Width}}" height="{{px .Height}}" viewBox="0 0 {{px .Width}} {{px .Height}}" role="img" aria-label="{{$c.Column}}: reference and current shares">
<line x1="44" y1="{{px .BaseY}}" x2="{{px .Width}}" y2="{{px .BaseY}}" stroke="#9ca3af"/>
{{range .Ticks}}<text x="{{px .X}}" y="{{px .Y}}" text-anchor="end" dominant-baseline="middle">{{.Text}}</text>
{{end}}{{range .Bars}}<rect class="{{.Class}}" x="{{px .X}}" y="{{px .Y}}" width="{{px .W}}" height="{{px .H}}"><title>{{.Tip}}</title></rect>
{{end}}{{range .Labels}}<text x="{{px .X}}" y="{{px .Y}}" text-anchor="end" transform="rotate(-45 {{px .X}} {{px .Y}})">{{.Text}}</text>
{{end}}</svg>
</section>
{{end}}{{end}}
</body>
</html>
`
