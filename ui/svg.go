package ui

import (
	"math"
	"strconv"
	"strings"
)

// series is one line of a chart.
type series struct {
	Name string
	X, Y []float64
}

type svgText struct {
	X, Y float64
	Text string
}

type svgPoint struct {
	X, Y float64
	Tip  string
}

type svgSeries struct {
	Name, Color, Points string
	Dots                []svgPoint
}

// lineChart is a laid-out SVG line chart.
type lineChart struct {
	Title                   string
	Width, Height           float64
	Left, Top, Right, BaseY float64
	XTicks, YTicks          []svgText
	Series                  []svgSeries
	Empty                   bool
}

// palette colours the series of a chart, in order.
var palette = []string{"#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#be185d", "#4b5563"}

const (
	chartW, chartH        = 720.0, 260.0
	chartLeft, chartRight = 64.0, 16.0
	chartTop, chartBottom = 16.0, 36.0
	maxDotsPerSeries      = 200
)

// buildLineChart lays out series on shared axes: x (steps, revisions) and y
// (values), each padded so that a constant series sits mid-plot.
func buildLineChart(title string, ss []series) lineChart {
	c := lineChart{Title: title, Width: chartW, Height: chartH, Left: chartLeft, Top: chartTop, Right: chartW - chartRight, BaseY: chartH - chartBottom}
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for i := range s.X {
			if bad(s.X[i]) || bad(s.Y[i]) {
				continue
			}
			xmin, xmax = math.Min(xmin, s.X[i]), math.Max(xmax, s.X[i])
			ymin, ymax = math.Min(ymin, s.Y[i]), math.Max(ymax, s.Y[i])
		}
	}
	if math.IsInf(xmin, 1) {
		c.Empty = true
		return c
	}
	if xmax == xmin {
		xmin, xmax = xmin-1, xmax+1
	}
	if ymax == ymin {
		pad := math.Max(math.Abs(ymin)*0.1, 1)
		ymin, ymax = ymin-pad, ymax+pad
	}
	plotW, plotH := c.Right-c.Left, c.BaseY-c.Top
	xOf := func(x float64) float64 { return c.Left + plotW*(x-xmin)/(xmax-xmin) }
	yOf := func(y float64) float64 { return c.BaseY - plotH*(y-ymin)/(ymax-ymin) }
	for k := 0; k <= 4; k++ {
		f := float64(k) / 4
		c.XTicks = append(c.XTicks, svgText{X: xOf(xmin + f*(xmax-xmin)), Y: c.BaseY + 16, Text: tick(xmin + f*(xmax-xmin))})
		c.YTicks = append(c.YTicks, svgText{X: c.Left - 6, Y: yOf(ymin + f*(ymax-ymin)), Text: tick(ymin + f*(ymax-ymin))})
	}
	for i, s := range ss {
		out := svgSeries{Name: s.Name, Color: palette[i%len(palette)]}
		var b strings.Builder
		step := max(1, (len(s.X)+maxDotsPerSeries-1)/maxDotsPerSeries)
		for j := range s.X {
			if bad(s.X[j]) || bad(s.Y[j]) {
				continue
			}
			x, y := xOf(s.X[j]), yOf(s.Y[j])
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.FormatFloat(x, 'f', 1, 64) + "," + strconv.FormatFloat(y, 'f', 1, 64))
			if j%step == 0 || j == len(s.X)-1 {
				out.Dots = append(out.Dots, svgPoint{X: x, Y: y, Tip: s.Name + ": " + tick(s.X[j]) + " → " + strconv.FormatFloat(s.Y[j], 'g', 6, 64)})
			}
		}
		out.Points = b.String()
		c.Series = append(c.Series, out)
	}
	return c
}

func bad(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }

func tick(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// gnode is one box of the lineage graph; Href, when set, makes it a link.
type gnode struct {
	X, Y, W, H float64
	Label, Sub string
	Class      string
	Href       string
}

type gedge struct {
	X1, Y1, X2, Y2 float64
}

type graph struct {
	Width, Height float64
	Nodes         []gnode
	Edges         []gedge
}

// layoutLineage places the inputs in a column on the left, the version on
// the right, and draws an arrow from each input to the version.
func layoutLineage(inputs []gnode, center gnode) graph {
	const (
		nodeW, nodeH = 220.0, 48.0
		gap          = 20.0
		leftX        = 20.0
		rightX       = 420.0
		pad          = 20.0
	)
	n := max(len(inputs), 1)
	height := pad*2 + float64(n)*nodeH + float64(n-1)*gap
	g := graph{Width: rightX + nodeW + pad, Height: height}
	center.X, center.Y, center.W, center.H = rightX, height/2-nodeH/2, nodeW, nodeH
	for i, in := range inputs {
		in.X, in.Y, in.W, in.H = leftX, pad+float64(i)*(nodeH+gap), nodeW, nodeH
		g.Nodes = append(g.Nodes, in)
		g.Edges = append(g.Edges, gedge{X1: in.X + nodeW, Y1: in.Y + nodeH/2, X2: center.X - 6, Y2: center.Y + nodeH/2})
	}
	g.Nodes = append(g.Nodes, center)
	return g
}
