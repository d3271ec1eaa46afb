package chart_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/capacity"
	"github.com/tanda-batch/tanda/capacity/chart"
)

// node is a parsed XML element.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []node     `xml:",any"`
}

func (n node) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n node) num(t *testing.T, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.attr(name), 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.XMLName.Local, name, n.attr(name), err)
	}
	return v
}

func (n node) hasClass(c string) bool {
	for _, f := range strings.Fields(n.attr("class")) {
		if f == c {
			return true
		}
	}
	return false
}

// find lists the elements under n (n included) with the tag (any if "")
// and class (any if "").
func (n node) find(tag, class string) []node {
	var out []node
	if (tag == "" || n.XMLName.Local == tag) && (class == "" || n.hasClass(class)) {
		out = append(out, n)
	}
	for _, c := range n.Children {
		out = append(out, c.find(tag, class)...)
	}
	return out
}

// render draws the chart and parses it.
func render(t *testing.T, ce string, samples []capacity.Sample, window time.Duration, now time.Time) (node, string) {
	t.Helper()
	var b bytes.Buffer
	if err := chart.SVG(&b, ce, samples, window, now); err != nil {
		t.Fatalf("SVG: %v", err)
	}
	var root node
	if err := xml.Unmarshal(b.Bytes(), &root); err != nil {
		t.Fatalf("the chart is not well-formed XML: %v\n%s", err, b.String())
	}
	if root.XMLName.Local != "svg" || root.XMLName.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("root element %v, want svg in the SVG namespace", root.XMLName)
	}
	return root, b.String()
}

// point is a polyline's point.
type point struct{ x, y float64 }

func points(t *testing.T, p node) []point {
	t.Helper()
	var out []point
	for _, f := range strings.Fields(p.attr("points")) {
		xs, ys, ok := strings.Cut(f, ",")
		x, err1 := strconv.ParseFloat(xs, 64)
		y, err2 := strconv.ParseFloat(ys, 64)
		if !ok || err1 != nil || err2 != nil {
			t.Fatalf("bad point %q", f)
		}
		out = append(out, point{x, y})
	}
	return out
}

// axes is the mapping the chart says it uses: its plot area, its time
// window and its vCPU grid.
type axes struct {
	left, top, width, height float64
	start                    time.Time
	window                   time.Duration
	vcpuTop                  float64
}

// readAxes reads the plot area and the vCPU grid from the chart, and
// checks that the grid lines are evenly spaced from 0 at the bottom.
func readAxes(t *testing.T, root node, now time.Time, window time.Duration) axes {
	t.Helper()
	plots := root.find("rect", "plot")
	if len(plots) != 1 {
		t.Fatalf("%d plot areas, want 1", len(plots))
	}
	p := plots[0]
	a := axes{left: p.num(t, "x"), top: p.num(t, "y"), width: p.num(t, "width"), height: p.num(t, "height"), start: now.Add(-window), window: window}
	grid := root.find("line", "grid")
	if len(grid) < 2 {
		t.Fatalf("%d grid lines, want at least 2", len(grid))
	}
	for _, g := range grid {
		v := g.num(t, "data-vcpus")
		a.vcpuTop = max(a.vcpuTop, v)
	}
	for _, g := range grid {
		v := g.num(t, "data-vcpus")
		if want := a.top + a.height - v/a.vcpuTop*a.height; math.Abs(g.num(t, "y1")-want) > 0.06 {
			t.Errorf("grid line %v vCPUs at y %v, want %v", v, g.num(t, "y1"), want)
		}
	}
	return a
}

func (a axes) x(at time.Time) float64 {
	return a.left + at.Sub(a.start).Seconds()/a.window.Seconds()*a.width
}

func (a axes) y(v float64) float64 { return a.top + a.height - v/a.vcpuTop*a.height }

func near(p, q point) bool { return math.Abs(p.x-q.x) < 0.06 && math.Abs(p.y-q.y) < 0.06 }

var now = time.Date(2026, 12, 7, 21, 0, 20, 0, time.UTC)

// history is samples of the hour before now, with the minutes 20:40 to
// 20:44 missing, and one before the window.
func history() []capacity.Sample {
	var out []capacity.Sample
	start := now.Truncate(time.Minute).Add(-time.Hour)
	out = append(out, capacity.Sample{At: start.Add(-10 * time.Minute), DemandvCpus: 500})
	for i := range 60 {
		if i >= 40 && i < 45 {
			continue
		}
		out = append(out, capacity.Sample{
			At:          start.Add(time.Duration(i) * time.Minute),
			DemandvCpus: float64(i % 7), DesiredvCpus: 2 * (i / 10), ProvisionedvCpus: float64(i / 5), UsedvCpus: float64(i/5) / 2,
		})
	}
	return out
}

func TestSeriesPointsMapToTheAxes(t *testing.T) {
	samples := history()
	root, _ := render(t, "ce", samples, time.Hour, now)
	a := readAxes(t, root, now, time.Hour)
	if a.vcpuTop < 11 || a.vcpuTop > 20 {
		t.Errorf("vCPU axis up to %v, want a round number at or just above the peak of 11", a.vcpuTop)
	}
	inWindow := samples[1:] // the first is 70 minutes old
	values := map[string]func(capacity.Sample) float64{
		chart.Demand:      func(s capacity.Sample) float64 { return s.DemandvCpus },
		chart.Provisioned: func(s capacity.Sample) float64 { return s.ProvisionedvCpus },
		chart.Used:        func(s capacity.Sample) float64 { return s.UsedvCpus },
	}
	for name, value := range values {
		groups := root.find("g", name)
		var lines []node
		for _, g := range groups {
			if g.hasClass("series") {
				lines = g.find("polyline", "")
			}
		}
		if len(lines) != 2 {
			t.Fatalf("%s: %d polylines, want 2 (broken where minutes are missing)", name, len(lines))
		}
		var got []point
		for _, l := range lines {
			got = append(got, points(t, l)...)
		}
		if len(got) != len(inWindow) {
			t.Fatalf("%s: %d points, want one per sample in the window, %d", name, len(got), len(inWindow))
		}
		for i, s := range inWindow {
			want := point{a.x(s.At.Add(30 * time.Second)), a.y(value(s))}
			if !near(got[i], want) {
				t.Errorf("%s: point %d = %v, want %v (%v vCPUs at %v)", name, i, got[i], want, value(s), s.At)
			}
		}
		if first := points(t, lines[1])[0]; !near(first, point{a.x(inWindow[40].At.Add(30 * time.Second)), a.y(value(inWindow[40]))}) {
			t.Errorf("%s: the second line starts at %v, want the sample of 20:45", name, first)
		}
	}
}

func TestDesiredIsADashedStepLine(t *testing.T) {
	samples := history()[1:41] // 20:00 to 20:39
	root, _ := render(t, "ce", samples, time.Hour, now)
	a := readAxes(t, root, now, time.Hour)
	var g node
	for _, n := range root.find("g", chart.Desired) {
		if n.hasClass("series") {
			g = n
		}
	}
	if g.attr("stroke-dasharray") == "" {
		t.Errorf("desired line is not dashed")
	}
	lines := g.find("polyline", "")
	if len(lines) != 1 {
		t.Fatalf("%d desired lines, want 1", len(lines))
	}
	got := points(t, lines[0])
	if len(got) != 2*len(samples)-1 {
		t.Fatalf("%d points, want %d: each sample's level, then a step to the next", len(got), 2*len(samples)-1)
	}
	for i, s := range samples {
		x := a.x(s.At.Add(30 * time.Second))
		if want := (point{x, a.y(float64(s.DesiredvCpus))}); !near(got[2*i], want) {
			t.Errorf("point %d = %v, want %v", 2*i, got[2*i], want)
		}
		if i > 0 {
			if want := (point{x, a.y(float64(samples[i-1].DesiredvCpus))}); !near(got[2*i-1], want) {
				t.Errorf("step point %d = %v, want %v (the previous level, at this sample's time)", 2*i-1, got[2*i-1], want)
			}
		}
	}
}

func TestTimeAxis(t *testing.T) {
	root, _ := render(t, "ce", history(), 3*time.Hour, now)
	a := readAxes(t, root, now, 3*time.Hour)
	ticks := root.find("line", "tick")
	labels := root.find("text", "time")
	if len(ticks) < 3 || len(ticks) > 8 || len(labels) != len(ticks) {
		t.Fatalf("%d ticks and %d labels, want 3 to 8 of each", len(ticks), len(labels))
	}
	for i, tick := range ticks {
		at, err := time.Parse(time.RFC3339, tick.attr("data-time"))
		if err != nil {
			t.Fatal(err)
		}
		if at.Before(a.start) || at.After(now) || at.Minute()%30 != 0 {
			t.Errorf("tick at %v, want a round half hour within the window", at)
		}
		if x := tick.num(t, "x1"); math.Abs(x-a.x(at)) > 0.06 {
			t.Errorf("tick %v at x %v, want %v", at, x, a.x(at))
		}
		if got, want := strings.TrimSpace(labels[i].Text), at.Format("15:04"); got != want {
			t.Errorf("label %q, want %q", got, want)
		}
	}
}

func TestEmptyChart(t *testing.T) {
	old := []capacity.Sample{{At: now.Add(-5 * time.Hour), DemandvCpus: 3}}
	root, _ := render(t, "ce", old, time.Hour, now)
	empty := root.find("text", "empty")
	if len(empty) != 1 || strings.TrimSpace(empty[0].Text) != "no samples yet" {
		t.Errorf("empty chart says %v, want \"no samples yet\"", empty)
	}
	if n := len(root.find("polyline", "")); n != 0 {
		t.Errorf("%d lines drawn without samples in the window", n)
	}
	if a := readAxes(t, root, now, time.Hour); a.vcpuTop != 1 {
		t.Errorf("empty chart's vCPU axis up to %v, want 1", a.vcpuTop)
	}

	root, _ = render(t, "ce", history(), time.Hour, now)
	if n := len(root.find("text", "empty")); n != 0 {
		t.Errorf("a chart with samples says it has none")
	}
}

func TestTitleLegendAndEscaping(t *testing.T) {
	ce := `a<b>&"c'`
	root, raw := render(t, ce, history(), 2*time.Hour, now)
	titles := root.find("title", "")
	if len(titles) != 1 || !strings.Contains(titles[0].Text, ce) || !strings.Contains(titles[0].Text, "2 hours") {
		t.Errorf("title %v, want one naming %q and the window", titles, ce)
	}
	if !strings.Contains(root.attr("aria-label"), ce) || root.attr("role") != "img" {
		t.Errorf("svg role %q aria-label %q, want an img labelled with the compute environment", root.attr("role"), root.attr("aria-label"))
	}
	if strings.Contains(raw, "<b>") {
		t.Errorf("the compute environment's name is not escaped:\n%s", raw)
	}
	var names []string
	for _, l := range root.find("g", "legend") {
		names = append(names, strings.TrimSpace(l.find("text", "")[0].Text))
	}
	if got := strings.Join(names, ", "); got != "demand (RUNNABLE), desired, used, provisioned" {
		t.Errorf("legend %q", got)
	}
	// A page's Content-Security-Policy may forbid inline style and scripts.
	if len(root.find("style", "")) != 0 || len(root.find("script", "")) != 0 || strings.Contains(raw, "style=") {
		t.Errorf("the chart carries style or script")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("closed") }

func TestSVGErrors(t *testing.T) {
	if err := chart.SVG(&bytes.Buffer{}, "ce", nil, 0, now); err == nil {
		t.Errorf("SVG with no window succeeded")
	}
	if err := chart.SVG(failingWriter{}, "ce", history(), time.Hour, now); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("SVG to a failing writer = %v, want its error", err)
	}
}
