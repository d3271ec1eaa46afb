// Package chart draws a simulation's demand against its capacity over time
// as a PNG (gonum/plot): vCPUs waiting, held by running jobs, and
// provisioned. It is apart from package sim so that only the command that
// writes charts carries the plotting library.
package chart

import (
	"fmt"
	"image/color"
	"io"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/tanda-batch/tanda/provisioner/sim"
)

// maxPoints bounds the spans of time drawn per line: a long trace's series
// is thinned, keeping each span's peak.
const maxPoints = 4000

// Write draws r's series as a PNG of width × height pixels.
func Write(w io.Writer, r *sim.Report, width, height int) error {
	if len(r.Series) == 0 {
		return fmt.Errorf("drawing chart: the report has no series")
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: demand and capacity", r.Trace)
	p.X.Label.Text = "hours from the trace's start"
	p.Y.Label.Text = "vCPUs"
	p.Legend.Top = true
	lines := []struct {
		name  string
		value func(sim.Sample) float64
		color color.Color
	}{
		{"provisioned", func(s sim.Sample) float64 { return s.Provisioned }, color.RGBA{R: 31, G: 119, B: 180, A: 255}},
		{"used by jobs", func(s sim.Sample) float64 { return s.UsedVCPU }, color.RGBA{R: 44, G: 160, B: 44, A: 255}},
		{"waiting (RUNNABLE)", func(s sim.Sample) float64 { return s.WaitingVCPU }, color.RGBA{R: 214, G: 39, B: 40, A: 255}},
	}
	for _, l := range lines {
		pts := steps(r.Series, l.value)
		line, err := plotter.NewLine(pts)
		if err != nil {
			return fmt.Errorf("drawing chart: %w", err)
		}
		line.Color = l.color
		line.Width = vg.Points(1)
		p.Add(line)
		p.Legend.Add(l.name, line)
	}
	canvas := vgimg.New(vg.Length(width)*vg.Inch/96, vg.Length(height)*vg.Inch/96)
	p.Draw(draw.New(canvas))
	png := vgimg.PngCanvas{Canvas: canvas}
	if _, err := png.WriteTo(w); err != nil {
		return fmt.Errorf("writing chart: %w", err)
	}
	return nil
}

// steps turns samples into a step line over about maxPoints equal spans of
// time: each span is drawn at the highest value it held (so a short burst
// still shows), and a span without samples keeps the value before it.
func steps(series []sim.Sample, value func(sim.Sample) float64) plotter.XYs {
	end := series[len(series)-1].At
	width := max(end/maxPoints, time.Second)
	pts := plotter.XYs{}
	held := 0.0 // the value in force, from the last sample seen
	k := 0
	for from := time.Duration(0); from <= end; from += width {
		peak := held
		for ; k < len(series) && series[k].At < from+width; k++ {
			held = value(series[k])
			peak = max(peak, held)
		}
		x := from.Hours()
		if n := len(pts); n > 0 && pts[n-1].Y == peak {
			continue
		} else if n > 0 {
			pts = append(pts, plotter.XY{X: x, Y: pts[n-1].Y})
		}
		pts = append(pts, plotter.XY{X: x, Y: peak})
	}
	last := end.Hours()
	if n := len(pts); n > 0 && pts[n-1].X < last {
		pts = append(pts, plotter.XY{X: last, Y: pts[n-1].Y})
	}
	return pts
}
