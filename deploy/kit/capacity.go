package kit

import (
	"context"
	"time"

	"github.com/tanda-batch/tanda/capacity"
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
