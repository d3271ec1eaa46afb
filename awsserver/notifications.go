package awsserver

import (
	"context"

	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/triggers"
)

// notifyingControl is the control plane as the scheduler's loops see it:
// S3 notifications arrive on the submissions queue beside the doorbells
// (a doorbell's body is a job id, a notification's is JSON), and go to
// the trigger rules.
type notifyingControl struct {
	*control.Service
	triggers *triggers.Dispatcher
}

// Evaluate evaluates the job a doorbell names, or submits the jobs an S3
// notification calls for.
func (c notifyingControl) Evaluate(ctx context.Context, body string) error {
	if triggers.IsNotification(body) {
		_, err := c.triggers.HandleNotification(ctx, body)
		return err
	}
	return c.Service.Evaluate(ctx, body)
}
