package awsserver

import (
	"context"

	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/triggers"
)

// routedControl is the control plane as the scheduler's loops see it: the
// submissions queue carries S3 notifications beside the doorbells, and
// the router sends them to the trigger rules.
type routedControl struct {
	*control.Service
	router triggers.Router
}

// Evaluate evaluates the job a doorbell names, or submits the jobs an S3
// notification calls for.
func (c routedControl) Evaluate(ctx context.Context, body string) error {
	return c.router.Evaluate(ctx, body)
}
