package kit

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/capacity"
	"github.com/tanda-batch/tanda/capacity/chart"
)

// CapacityFlushEvery is how often the servers write the capacity minutes
// that have ended: a minute is stored within this time of its end.
const CapacityFlushEvery = 10 * time.Second

// CapacityHistory serves a compute environment's capacity history
// (httpapi.CapacityHistory).
type CapacityHistory struct {
	History *capacity.History
}

// CapacitySeries reads the last hours of a compute environment.
func (c CapacityHistory) CapacitySeries(ctx context.Context, ce string, hours int) (any, error) {
	return c.History.Series(ctx, ce, hours)
}

// ChartWindow is how far back the console's capacity charts look.
const ChartWindow = 3 * time.Hour

// CapacityChart draws the console's capacity charts from the history.
type CapacityChart struct {
	History *capacity.History
	Clock   batch.Clock // nil: the system clock
}

// Draw is a console.Chart: the last ChartWindow of ce as inline SVG.
func (c CapacityChart) Draw(ctx context.Context, ce string) (template.HTML, error) {
	clock := c.Clock
	if clock == nil {
		clock = batch.SystemClock{}
	}
	now := clock.Now()
	samples, err := c.History.Samples(ctx, ce, now.Add(-ChartWindow), now)
	if err != nil {
		return "", fmt.Errorf("reading the capacity of %s: %w", ce, err)
	}
	var buf bytes.Buffer
	if err := chart.SVG(&buf, ce, samples, ChartWindow, now); err != nil {
		return "", fmt.Errorf("drawing the capacity of %s: %w", ce, err)
	}
	// chart.SVG escapes every name it writes and has no script or style.
	return template.HTML(buf.String()), nil //nolint:gosec // see above
}
