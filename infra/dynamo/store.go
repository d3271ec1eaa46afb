package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// Sender delivers the messages of a write once the write has succeeded;
// control.Queues satisfies it.
type Sender interface {
	Send(ctx context.Context, msgs []batch.Message) error
}

// Options configure a Store.
type Options struct {
	// JobsTable and ItemsTable name the two tables ("<stack>-jobs",
	// "<stack>-items").
	JobsTable, ItemsTable string
	// Clock dates the expiry of a finished job that has none; the system
	// clock if nil.
	Clock batch.Clock
	// Sender gets the messages passed with job writes. A write with
	// messages fails, writing nothing, if it is nil.
	Sender Sender
	// RetryDelay is the first wait before retrying the unprocessed keys of
	// a BatchGetItem (doubled each time); 50 ms if zero.
	RetryDelay time.Duration
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
	return &Store{api: api, opts: opts}
}

// send delivers msgs after a successful write.
func (s *Store) send(ctx context.Context, msgs []batch.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := s.opts.Sender.Send(ctx, msgs); err != nil {
		return fmt.Errorf("sending %d messages after the write: %w", len(msgs), err)
	}
	return nil
}

// checkSender fails before a write whose messages could not be sent.
func (s *Store) checkSender(msgs []batch.Message) error {
	if len(msgs) > 0 && s.opts.Sender == nil {
		return fmt.Errorf("%d messages to send but no Sender configured", len(msgs))
	}
	return nil
}
