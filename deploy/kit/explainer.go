package kit

import (
	"context"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/explain"
)

// Explainer says why a job waits (httpapi.Explainer), from the control
// plane's state.
type Explainer struct {
	Control *control.Service
	Clock   batch.Clock // nil: the system clock
}

// Explain explains a job now.
func (e Explainer) Explain(ctx context.Context, jobID string) (any, error) {
	clock := e.Clock
	if clock == nil {
		clock = batch.SystemClock{}
	}
	return explain.Why(ctx, e.Control, jobID, clock.Now())
}
