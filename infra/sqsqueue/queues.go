package sqsqueue

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/tanda-batch/tanda/control"
)

// retention is how long SQS keeps a message: its maximum, 14 days.
const retention = 14 * 24 * time.Hour

// Options configure Queues.
type Options struct {
	// Prefix is the stack name that begins every SQS queue name.
	Prefix string
	// CreateMissing lets Send and Receive create a queue they find missing
	// (for LocalStack, moto and `tanda serve --init`; on AWS it needs
	// sqs:CreateQueue, since ready queues come and go with job queues).
	CreateMissing bool
	// MaxReceiveCount, when positive, gives each queue named in DeadLetter
	// a dead-letter queue ("<name>-dlq") when it is created: a message
	// received that many times moves there.
	MaxReceiveCount int
	// DeadLetter names the Tanda queues that get a dead-letter queue; nil
	// means the submissions queue only, an empty slice none. Ready queues should not have one:
	// agents release messages they cannot take yet, and every release
	// counts as a receive.
	DeadLetter []string
	// RetryDelay is the first pause before sending failed batch entries
	// again; it doubles each time. Zero means 100ms.
	RetryDelay time.Duration
	// Logger gets queue creation and retries; nil means slog.Default().
	Logger *slog.Logger
}

// Queues are Tanda's queues on SQS. They are safe for concurrent use.
type Queues struct {
	api  sqsAPI
	opts Options
	urls sync.Map // Tanda queue name → SQS queue URL
}

// New returns Queues calling SQS through api (an *sqs.Client).
func New(api sqsAPI, opts Options) *Queues {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 100 * time.Millisecond
	}
	if opts.DeadLetter == nil {
		opts.DeadLetter = []string{control.SubmissionsQueue}
	}
	return &Queues{api: api, opts: opts}
}

// SQSName is the SQS name of a Tanda queue.
func (q *Queues) SQSName(queue string) string { return SQSName(q.opts.Prefix, queue) }

// Ensure creates a queue (and its dead-letter queue) if it does not exist,
// whatever Options.CreateMissing says; an existing queue is left as it is.
func (q *Queues) Ensure(ctx context.Context, queue string) error {
	if _, err := q.url(ctx, queue, true); err != nil {
		return fmt.Errorf("creating queue %s: %w", queue, err)
	}
	return nil
}

// url resolves a queue's URL, creating the queue when it is missing and
// create is set.
func (q *Queues) url(ctx context.Context, queue string, create bool) (string, error) {
	if u, ok := q.urls.Load(queue); ok {
		return u.(string), nil
	}
	out, err := q.api.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(q.SQSName(queue))})
	switch {
	case err == nil:
		u := aws.ToString(out.QueueUrl)
		q.urls.Store(queue, u)
		return u, nil
	case isNoQueue(err) && create:
		return q.create(ctx, queue)
	case isNoQueue(err):
		return "", fmt.Errorf("queue %s (SQS %s): %w", queue, q.SQSName(queue), ErrNoQueue)
	}
	return "", fmt.Errorf("resolving queue %s: %w", queue, translate(err))
}

// forget drops a cached URL after SQS said its queue is gone.
func (q *Queues) forget(queue string, err error) {
	if isNoQueue(err) {
		q.urls.Delete(queue)
	}
}

// create creates a queue, first its dead-letter queue if it has one, and
// caches its URL. CreateQueue is idempotent for equal attributes.
func (q *Queues) create(ctx context.Context, queue string) (string, error) {
	name := q.SQSName(queue)
	attrs := map[string]string{
		string(types.QueueAttributeNameMessageRetentionPeriod): strconv.Itoa(int(retention.Seconds())),
	}
	if q.opts.MaxReceiveCount > 0 && slices.Contains(q.opts.DeadLetter, queue) {
		policy, err := q.createDLQ(ctx, dlqName(name))
		if err != nil {
			return "", err
		}
		attrs[string(types.QueueAttributeNameRedrivePolicy)] = policy
	}
	out, err := q.api.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", fmt.Errorf("creating SQS queue %s: %w", name, translate(err))
	}
	u := aws.ToString(out.QueueUrl)
	q.urls.Store(queue, u)
	q.opts.Logger.Info("created SQS queue", "queue", queue, "name", name)
	return u, nil
}

// createDLQ creates a dead-letter queue and returns the redrive policy
// that points a queue at it.
func (q *Queues) createDLQ(ctx context.Context, name string) (string, error) {
	attrs := map[string]string{
		string(types.QueueAttributeNameMessageRetentionPeriod): strconv.Itoa(int(retention.Seconds())),
	}
	out, err := q.api.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return "", fmt.Errorf("creating SQS queue %s: %w", name, translate(err))
	}
	got, err := q.api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       out.QueueUrl,
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return "", fmt.Errorf("reading the ARN of %s: %w", name, translate(err))
	}
	arn := got.Attributes[string(types.QueueAttributeNameQueueArn)]
	policy, err := json.Marshal(map[string]string{
		"deadLetterTargetArn": arn,
		"maxReceiveCount":     strconv.Itoa(q.opts.MaxReceiveCount),
	})
	if err != nil {
		return "", fmt.Errorf("encoding the redrive policy: %w", err)
	}
	return string(policy), nil
}

// DeleteQueue deletes a queue, its messages and its dead-letter queue; a
// queue that does not exist is not an error.
func (q *Queues) DeleteQueue(ctx context.Context, queue string) error {
	q.urls.Delete(queue)
	name := q.SQSName(queue)
	for _, n := range []string{name, dlqName(name)} {
		if err := q.deleteByName(ctx, n); err != nil {
			return fmt.Errorf("deleting queue %s: %w", queue, err)
		}
	}
	return nil
}

// deleteByName deletes the SQS queue of that name if it exists.
func (q *Queues) deleteByName(ctx context.Context, name string) error {
	out, err := q.api.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(name)})
	if isNoQueue(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("resolving SQS queue %s: %w", name, translate(err))
	}
	_, err = q.api.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl})
	if err != nil && !isNoQueue(err) {
		return fmt.Errorf("deleting SQS queue %s: %w", name, translate(err))
	}
	return nil
}
