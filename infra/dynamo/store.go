package dynamo

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// Queues delivers the messages of a write once the write has succeeded,
// and deletes the received message a write consumed; control.Queues (an
// *sqsqueue.Queues) satisfies it.
type Queues interface {
	Send(ctx context.Context, msgs []batch.Message) error
	Delete(ctx context.Context, queue, receipt string) error
}

// Options configure a Store.
type Options struct {
	// JobsTable and ItemsTable name the two tables ("<stack>-jobs",
	// "<stack>-items").
	JobsTable, ItemsTable string
	// Clock dates the expiry of a finished job that has none; the system
	// clock if nil.
	Clock batch.Clock
	// Queues gets the messages passed with job writes. A write with
	// messages fails, writing nothing, if it is nil.
	Queues Queues
	// RetryDelay is the first wait before asking again for what a
	// BatchGetItem or BatchWriteItem left unprocessed (doubling, with
	// jitter); 50 ms if zero.
	RetryDelay time.Duration
	// Logger gets what the store cannot return: a consumed message it
	// failed to delete. Default: discard.
	Logger *slog.Logger
}

// Store reads and writes Tanda's jobs and items in DynamoDB.
type Store struct {
	api  dynamoAPI
	opts Options
}

// New returns a Store calling api (a *dynamodb.Client).
func New(api dynamoAPI, opts Options) *Store {
	if opts.Clock == nil {
		opts.Clock = batch.SystemClock{}
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 50 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Store{api: api, opts: opts}
}

// send delivers msgs after a successful write.
func (s *Store) send(ctx context.Context, msgs []batch.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := s.opts.Queues.Send(ctx, msgs); err != nil {
		return fmt.Errorf("sending %d messages after the write: %w", len(msgs), err)
	}
	return nil
}

// checkQueues fails before a write whose messages could not be sent.
func (s *Store) checkQueues(msgs []batch.Message) error {
	if len(msgs) > 0 && s.opts.Queues == nil {
		return fmt.Errorf("%d messages to send but no Queues configured", len(msgs))
	}
	return nil
}

var _ control.Store = (*Store)(nil)
