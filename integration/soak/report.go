package soak

import (
	"encoding/csv"
	"fmt"
	"image/color"
	"io"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// csvHeader names the CSV's columns, one row per sample.
var csvHeader = []string{
	"seconds", "rss_kib", "goroutines", "threads", "fds", "cpu_cores",
	"db_bytes", "wal_bytes", "other_bytes", "other_files",
	"acked", "acked_per_s", "errors", "submit_p50_ms", "submit_p99_ms", "backlog", "acked_total",
	"wait_p50_ms", "run_p50_ms", "sockets", "tcp_established",
}

// oldColumns is how many columns CSVs written before the socket counts
// have: ReadCSV reads them with the counts left zero.
const oldColumns = 19

// WriteCSV writes the samples as CSV with a header row.
func WriteCSV(w io.Writer, samples []Sample) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	i := strconv.Itoa
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	f := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	ms := func(v float64) string { return f(v, 2) }
	for _, s := range samples {
		row := []string{
			f(s.At.Seconds(), 1), i64(s.RSSKiB), i(s.Goroutines), i(s.Threads), i(s.FDs), f(s.CPU, 3),
			i64(s.DBBytes), i64(s.WALBytes), i64(s.OtherBytes), i(s.OtherFiles),
			i(s.Submitted), f(s.Rate, 1), i(s.Errors), ms(s.P50.Seconds() * 1000), ms(s.P99.Seconds() * 1000), i(s.Backlog), i(s.TotalAcked),
			ms(s.Wait.Seconds() * 1000), ms(s.Run.Seconds() * 1000), i(s.Sockets), i(s.TCPEstab),
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("writing CSV: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	return nil
}

// ReadCSV reads samples WriteCSV wrote (the columns the judgement and
// the chart use), so that a recorded run can be judged and drawn again.
func ReadCSV(r io.Reader) ([]Sample, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("reading CSV: %w", err)
	}
	if len(rows) == 0 || !(slices.Equal(rows[0], csvHeader) || slices.Equal(rows[0], csvHeader[:oldColumns])) {
		return nil, fmt.Errorf("reading CSV: not the soak's header")
	}
	var out []Sample
	for n, row := range rows[1:] {
		num := func(i int) float64 {
			v, perr := strconv.ParseFloat(row[i], 64)
			if perr != nil && err == nil {
				err = fmt.Errorf("reading CSV: row %d, %s: %w", n+2, csvHeader[i], perr)
			}
			return v
		}
		ms := func(i int) time.Duration { return time.Duration(num(i) * float64(time.Millisecond)) }
		s := Sample{
			At: time.Duration(num(0) * float64(time.Second)), RSSKiB: int64(num(1)), Goroutines: int(num(2)), Threads: int(num(3)),
			FDs: int(num(4)), CPU: num(5), DBBytes: int64(num(6)), WALBytes: int64(num(7)), OtherBytes: int64(num(8)), OtherFiles: int(num(9)),
			Submitted: int(num(10)), Rate: num(11), Errors: int(num(12)), P50: ms(13), P99: ms(14), Backlog: int(num(15)), TotalAcked: int(num(16)),
			Wait: ms(17), Run: ms(18),
		}
		if len(row) > oldColumns {
			s.Sockets, s.TCPEstab = int(num(19)), int(num(20))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// panel is one chart of the PNG: lines of values over minutes.
type panel struct {
	title string
	lines []panelLine
}

type panelLine struct {
	name  string
	value func(Sample) float64
}

var (
	blue   = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	orange = color.RGBA{R: 255, G: 127, B: 14, A: 255}
)

func panels() []panel {
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	return []panel{
		{"RSS (MiB)", []panelLine{{"VmRSS", func(s Sample) float64 { return float64(s.RSSKiB) / 1024 }}}},
		{"goroutines and threads", []panelLine{
			{"goroutines", func(s Sample) float64 { return float64(s.Goroutines) }},
			{"threads", func(s Sample) float64 { return float64(s.Threads) }},
		}},
		{"open file descriptors", []panelLine{
			{"/proc/PID/fd", func(s Sample) float64 { return float64(s.FDs) }},
			{"sockets", func(s Sample) float64 { return float64(s.Sockets) }},
			{"TCP established", func(s Sample) float64 { return float64(s.TCPEstab) }},
		}},
		{"database (MiB)", []panelLine{
			{"tanda.db + WAL + shm", func(s Sample) float64 { return mib(s.DBBytes) }},
			{"WAL", func(s Sample) float64 { return mib(s.WALBytes) }},
		}},
		{"rest of the data directory (MiB)", []panelLine{{"logs, work", func(s Sample) float64 { return mib(s.OtherBytes) }}}},
		{"jobs per second and backlog", []panelLine{
			{"acknowledged/s", func(s Sample) float64 { return s.Rate }},
			{"backlog (jobs not finished)", func(s Sample) float64 { return float64(s.Backlog) }},
		}},
	}
}

// WriteChart draws the samples as a PNG of width × height pixels: one
// panel per figure, over the run's minutes.
func WriteChart(w io.Writer, title string, samples []Sample, width, height int) error {
	if len(samples) == 0 {
		return fmt.Errorf("drawing the soak chart: no samples")
	}
	ps := panels()
	const cols = 2
	rows := (len(ps) + cols - 1) / cols
	canvas := vgimg.New(vg.Length(width)*vg.Inch/96, vg.Length(height)*vg.Inch/96)
	dc := draw.New(canvas)
	header := vg.Points(24)
	heading := plot.New()
	heading.Title.Text = title
	heading.HideAxes()
	heading.Draw(draw.Crop(dc, 0, 0, dc.Max.Y-header-dc.Min.Y, 0))
	body := draw.Crop(dc, 0, 0, 0, -header)
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(8), PadY: vg.Points(8), PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(4)}
	for k, pn := range ps {
		p := plot.New()
		p.Title.Text = pn.title
		p.X.Label.Text = "minutes"
		p.Y.Min = 0
		p.Legend.Top = true
		for j, l := range pn.lines {
			pts := make(plotter.XYs, len(samples))
			for i, s := range samples {
				pts[i] = plotter.XY{X: s.At.Minutes(), Y: l.value(s)}
			}
			line, err := plotter.NewLine(pts)
			if err != nil {
				return fmt.Errorf("drawing the soak chart: %s: %w", pn.title, err)
			}
			line.Color = blue
			if j > 0 {
				line.Color = orange
			}
			line.Width = vg.Points(1)
			p.Add(line)
			if len(pn.lines) > 1 {
				p.Legend.Add(l.name, line)
			}
		}
		p.Draw(tiles.At(body, k%cols, k/cols))
	}
	png := vgimg.PngCanvas{Canvas: canvas}
	if _, err := png.WriteTo(w); err != nil {
		return fmt.Errorf("writing the soak chart: %w", err)
	}
	return nil
}
