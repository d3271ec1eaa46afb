// Package handler is the scheduler function's SQS handler. The
// submissions queue carries two kinds of message: doorbells, whose body is
// the id of a job the scheduler must look at, and S3 ObjectCreated
// notifications, whose objects may start jobs by the trigger rules. Each
// record succeeds or fails alone: failures are reported as batch item
// failures (the event source mapping's ReportBatchItemFailures), so that
// SQS delivers only them again.
package handler

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Messages handles one message of the submissions queue, a doorbell or an
// S3 notification (triggers.Router).
type Messages interface {
	Evaluate(ctx context.Context, body string) error
}

// DefaultReserve is how much of an invocation's time Options.Reserve keeps
// by default.
const DefaultReserve = 2 * time.Second

// Options tune a Handler. Zero values take the defaults.
type Options struct {
	// Reserve is how long before the invocation's deadline the handler
	// stops handling records, so that it can still answer which failed
	// rather than time out with the whole batch (DefaultReserve).
	Reserve time.Duration
	Logger  *slog.Logger
}

// Handler handles batches of the submissions queue.
type Handler struct {
	msgs Messages
	opts Options
}

// New returns a Handler.
func New(msgs Messages, opts Options) *Handler {
	if opts.Reserve <= 0 {
		opts.Reserve = DefaultReserve
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Handler{msgs: msgs, opts: opts}
}

// Handle handles one batch, record by record, and returns the message ids
// of the records that failed, for SQS to deliver again. Records left when
// the invocation is about to time out fail too. It never fails the whole
// batch: every doorbell and notification may be handled again.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-h.opts.Reserve))
		defer cancel()
	}
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, rec := range ev.Records {
		if err := h.handle(ctx, rec); err != nil {
			h.opts.Logger.Error("handling a submissions message; SQS will deliver it again", "messageId", rec.MessageId, "err", err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp, nil
}

// handle handles one record, unless the invocation is out of time.
func (h *Handler) handle(ctx context.Context, rec events.SQSMessage) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("out of time: %w", err)
	}
	return h.msgs.Evaluate(ctx, rec.Body)
}
