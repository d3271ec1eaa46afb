package triggers

import (
	"context"
	"fmt"
)

// Evaluator evaluates the job a doorbell names (control.Service).
type Evaluator interface {
	Evaluate(ctx context.Context, jobID string) error
}

// Notifications submits the jobs of an S3 notification (a Dispatcher).
type Notifications interface {
	HandleNotification(ctx context.Context, body string) ([]Submission, error)
}

// Router takes what arrives on the submissions queue: a doorbell, whose
// body is the id of a job to evaluate, or an S3 notification, whose body
// is JSON, for the trigger rules. Both the scheduler's loops and its Lambda
// function consume the queue through it.
type Router struct {
	Jobs          Evaluator
	Notifications Notifications
}

// Evaluate handles one message body.
func (r Router) Evaluate(ctx context.Context, body string) error {
	if !IsNotification(body) {
		return r.Jobs.Evaluate(ctx, body)
	}
	if _, err := r.Notifications.HandleNotification(ctx, body); err != nil {
		return fmt.Errorf("handling S3 notification: %w", err)
	}
	return nil
}
