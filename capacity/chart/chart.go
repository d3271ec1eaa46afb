// Package chart draws a compute environment's capacity history as an SVG
// image, on the server, with the standard library only: demand (the vCPUs
// of its RUNNABLE jobs), provisioned and used vCPUs as lines and desired
// vCPUs as a dashed step line, over a time axis (UTC) and a vCPU axis,
// with a legend and a <title>.
//
// The image uses presentation attributes only (no <style> element, no
// style attribute, no script), so that it can be inlined in a page whose
// Content-Security-Policy allows no inline style, and it scales to its
// container through its viewBox.
package chart

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tanda-batch/tanda/capacity"
)

// The image's size in user units, and its plot area's place in it.
const (
	Width  = 720
	Height = 300

	plotLeft   = 56
	plotTop    = 40
	plotRight  = Width - 16
	plotBottom = Height - 32
	plotWidth  = plotRight - plotLeft
	plotHeight = plotBottom - plotTop
)

// Series names: each line's class in the SVG and its label in the legend.
const (
	Demand      = "demand"
	Provisioned = "provisioned"
	Used        = "used"
	Desired     = "desired"
)

// series is one line: what it draws of a sample, and how.
type series struct {
	name, label, color string
	value              func(capacity.Sample) float64
	dashed, step       bool
}

// lines are drawn in this order (later ones on top) and listed so in the
// legend.
var lines = []series{
	{name: Provisioned, label: "provisioned", color: "#2b6cb0", value: func(s capacity.Sample) float64 { return s.ProvisionedvCpus }},
	{name: Used, label: "used", color: "#2f855a", value: func(s capacity.Sample) float64 { return s.UsedvCpus }},
	{name: Desired, label: "desired", color: "#718096", dashed: true, step: true, value: func(s capacity.Sample) float64 { return float64(s.DesiredvCpus) }},
	{name: Demand, label: "demand (RUNNABLE)", color: "#c05621", value: func(s capacity.Sample) float64 { return s.DemandvCpus }},
}

// SVG writes the chart of ce's samples (oldest first, as
// capacity.History.Samples returns them) over the window ending at now.
// Each sample is drawn at the middle of its minute; samples outside the
// window are left out, and a line breaks where minutes have no sample
// (the provisioner was not running). Without samples in the window it
// says "no samples yet".
func SVG(w io.Writer, ce string, samples []capacity.Sample, window time.Duration, now time.Time) error {
	if window <= 0 {
		return fmt.Errorf("drawing capacity chart: window %v is not positive", window)
	}
	c := canvas{start: now.Add(-window), end: now}
	for _, s := range samples {
		if mid := s.At.Add(capacity.Resolution / 2); !mid.Before(c.start) && !mid.After(c.end) {
			c.samples = append(c.samples, s)
		}
	}
	c.scale()

	var b bytes.Buffer
	desc := fmt.Sprintf("vCPUs of compute environment %s over the last %s: demand (RUNNABLE jobs), provisioned, used and desired", ce, human(window))
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" font-family="sans-serif" font-size="11">`,
		Width, Height, Width, Height, escape(desc))
	fmt.Fprintf(&b, "<title>%s</title>", escape(desc))
	fmt.Fprintf(&b, `<rect class="plot" x="%d" y="%d" width="%d" height="%d" fill="#ffffff" stroke="#cbd5e0"/>`, plotLeft, plotTop, plotWidth, plotHeight)
	c.yAxis(&b)
	c.xAxis(&b)
	if len(c.samples) == 0 {
		fmt.Fprintf(&b, `<text class="empty" x="%d" y="%d" text-anchor="middle" fill="#718096" font-size="14">no samples yet</text>`,
			plotLeft+plotWidth/2, plotTop+plotHeight/2)
	}
	for _, l := range lines {
		c.line(&b, l)
	}
	legend(&b)
	b.WriteString("</svg>")
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing capacity chart: %w", err)
	}
	return nil
}

// canvas maps times and vCPUs to the plot area.
type canvas struct {
	start, end time.Time
	samples    []capacity.Sample
	top, step  float64 // the vCPU axis runs from 0 to top, a grid line every step
}

// scale chooses the vCPU axis: from 0 to a round number at or above every
// value drawn, at least 1.
func (c *canvas) scale() {
	peak := 0.0
	for _, s := range c.samples {
		for _, l := range lines {
			peak = max(peak, l.value(s))
		}
	}
	c.step = niceStep(peak)
	c.top = max(c.step, math.Ceil(peak/c.step)*c.step)
}

// niceStep is a grid step of 1, 2 or 5 times a power of ten (at least 1:
// vCPUs are counted whole) that divides 0..peak into at most 5 parts.
func niceStep(peak float64) float64 {
	for mag := 1.0; ; mag *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if step := m * mag; peak <= 5*step {
				return step
			}
		}
	}
}

// x is the horizontal place of t.
func (c *canvas) x(t time.Time) float64 {
	return plotLeft + float64(t.Sub(c.start))/float64(c.end.Sub(c.start))*plotWidth
}

// y is the vertical place of v vCPUs.
func (c *canvas) y(v float64) float64 {
	return plotBottom - v/c.top*plotHeight
}

// yAxis draws the vCPU grid lines, each with its value.
func (c *canvas) yAxis(b *bytes.Buffer) {
	for i := 0.0; i*c.step <= c.top+c.step/1e6; i++ {
		v := i * c.step
		y := c.y(v)
		label := strconv.FormatFloat(v, 'f', -1, 64)
		fmt.Fprintf(b, `<line class="grid" data-vcpus="%s" x1="%d" y1="%s" x2="%d" y2="%s" stroke="#e2e8f0"/>`, label, plotLeft, num(y), plotRight, num(y))
		fmt.Fprintf(b, `<text class="vcpus" x="%d" y="%s" text-anchor="end" dominant-baseline="middle" fill="#4a5568">%s</text>`, plotLeft-6, num(y), label)
	}
	fmt.Fprintf(b, `<text class="axis" x="12" y="%d" transform="rotate(-90 12 %d)" text-anchor="middle" fill="#4a5568">vCPUs</text>`,
		plotTop+plotHeight/2, plotTop+plotHeight/2)
}

// tickSteps are the time axis's possible steps, shortest first.
var tickSteps = []time.Duration{
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// xAxis draws a tick every round step of UTC time within the window,
// labelled hh:mm, with at most 8 of them.
func (c *canvas) xAxis(b *bytes.Buffer) {
	span := c.end.Sub(c.start)
	step := tickSteps[len(tickSteps)-1]
	for _, s := range tickSteps {
		if span/s <= 8 {
			step = s
			break
		}
	}
	for t := c.start.UTC().Truncate(step); !t.After(c.end); t = t.Add(step) {
		if t.Before(c.start) {
			continue
		}
		x := num(c.x(t))
		fmt.Fprintf(b, `<line class="tick" data-time="%s" x1="%s" y1="%d" x2="%s" y2="%d" stroke="#a0aec0"/>`,
			t.UTC().Format(time.RFC3339), x, plotBottom, x, plotBottom+4)
		fmt.Fprintf(b, `<text class="time" x="%s" y="%d" text-anchor="middle" fill="#4a5568">%s</text>`, x, plotBottom+16, t.UTC().Format("15:04"))
	}
	fmt.Fprintf(b, `<text class="axis" x="%d" y="%d" text-anchor="end" fill="#4a5568">UTC</text>`, plotRight, Height-4)
}

// line draws one series: a polyline for each run of consecutive minutes
// (one point twice, a dot, for a run of one).
func (c *canvas) line(b *bytes.Buffer, l series) {
	fmt.Fprintf(b, `<g class="series %s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"`, l.name, l.color)
	if l.dashed {
		b.WriteString(` stroke-dasharray="6 4"`)
	}
	b.WriteString(">")
	for _, run := range c.runs() {
		var pts []string
		for i, s := range run {
			x, y := c.x(s.At.Add(capacity.Resolution/2)), c.y(l.value(s))
			if l.step && i > 0 {
				pts = append(pts, num(x)+","+num(c.y(l.value(run[i-1]))))
			}
			pts = append(pts, num(x)+","+num(y))
		}
		if len(pts) == 1 {
			pts = append(pts, pts[0])
		}
		fmt.Fprintf(b, `<polyline points="%s"/>`, strings.Join(pts, " "))
	}
	b.WriteString("</g>")
}

// runs splits the samples where a minute is missing.
func (c *canvas) runs() [][]capacity.Sample {
	var out [][]capacity.Sample
	from := 0
	for i := 1; i <= len(c.samples); i++ {
		if i == len(c.samples) || c.samples[i].At.Sub(c.samples[i-1].At) > capacity.Resolution {
			out = append(out, c.samples[from:i])
			from = i
		}
	}
	return out
}

// legend names the lines above the plot, each beside a stroke of its
// colour.
func legend(b *bytes.Buffer) {
	x := plotLeft
	for i := len(lines) - 1; i >= 0; i-- { // demand first
		l := lines[i]
		fmt.Fprintf(b, `<g class="legend %s"><line x1="%d" y1="16" x2="%d" y2="16" stroke="%s" stroke-width="2"`, l.name, x, x+18, l.color)
		if l.dashed {
			b.WriteString(` stroke-dasharray="6 4"`)
		}
		fmt.Fprintf(b, `/><text x="%d" y="16" dominant-baseline="middle" fill="#2d3748">%s</text></g>`, x+24, escape(l.label))
		x += 24 + 7*len(l.label) + 20
	}
}

// num formats a coordinate to a tenth of a unit.
func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// escape makes s safe as XML text or an attribute value.
func escape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // writes to a buffer: no error
	return b.String()
}

// human says a window in words: "3 hours", "90 minutes".
func human(d time.Duration) string {
	switch {
	case d == time.Hour:
		return "hour"
	case d%time.Hour == 0:
		return fmt.Sprintf("%d hours", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	default:
		return d.String()
	}
}
