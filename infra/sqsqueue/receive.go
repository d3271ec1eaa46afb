package sqsqueue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/tanda-batch/tanda/batch"
)

const (
	// maxWait is SQS's longest long poll.
	maxWait = 20 * time.Second
	// maxVisibility is SQS's longest visibility timeout.
	maxVisibility = 12 * time.Hour
)

// Receive long-polls a queue for up to wait (whole seconds, at most 20) and
// returns at most maxMsgs messages (at most 10), hidden for visibility (whole
// seconds, at most 12 h).
func (q *Queues) Receive(ctx context.Context, queue string, maxMsgs int, visibility, wait time.Duration) ([]batch.Delivery, error) {
	if maxMsgs <= 0 {
		return nil, nil
	}
	u, err := q.url(ctx, queue, q.opts.CreateMissing)
	if err != nil {
		return nil, fmt.Errorf("receiving from %s: %w", queue, err)
	}
	out, err := q.api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(u),
		MaxNumberOfMessages:         int32(min(maxMsgs, batchSize)),
		WaitTimeSeconds:             seconds(wait, maxWait),
		VisibilityTimeout:           seconds(visibility, maxVisibility),
		MessageAttributeNames:       []string{bodyAttribute},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return nil, fmt.Errorf("receiving from %s: %w", queue, ctxErr)
		}
		q.forget(queue, err)
		return nil, fmt.Errorf("receiving from %s: %w", queue, translate(err))
	}
	ds := make([]batch.Delivery, 0, len(out.Messages))
	for _, m := range out.Messages {
		ds = append(ds, delivery(queue, m))
	}
	return ds, nil
}

// delivery makes a received SQS message a Delivery.
func delivery(queue string, m types.Message) batch.Delivery {
	d := batch.Delivery{
		Message: batch.Message{Queue: queue, ID: aws.ToString(m.Body)},
		Receipt: aws.ToString(m.ReceiptHandle),
	}
	if a, ok := m.MessageAttributes[bodyAttribute]; ok {
		d.Body = aws.ToString(a.StringValue)
	}
	count := m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)]
	d.ReceiveCount, _ = strconv.Atoi(count) // absent or malformed: 0, unknown
	return d
}

// seconds is d in whole seconds, rounded up and capped at limit.
func seconds(d, limit time.Duration) int32 {
	d = min(max(d, 0), limit)
	return int32((d + time.Second - 1) / time.Second)
}

// Delete deletes a received message. A stale receipt or a missing queue is
// not an error: the message is gone or has been received again.
func (q *Queues) Delete(ctx context.Context, queue, receipt string) error {
	u, err := q.url(ctx, queue, false)
	if errors.Is(err, ErrNoQueue) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting from %s: %w", queue, err)
	}
	_, err = q.api.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(u), ReceiptHandle: aws.String(receipt)})
	switch {
	case err == nil || isStale(err):
		return nil
	case isNoQueue(err):
		q.forget(queue, err)
		return nil
	}
	return fmt.Errorf("deleting from %s: %w", queue, translate(err))
}

// ChangeVisibility hides a received message for visibility (whole seconds,
// at most 12 h from now) or, with 0, makes it visible at once. A stale or
// expired receipt is not an error.
func (q *Queues) ChangeVisibility(ctx context.Context, queue, receipt string, visibility time.Duration) error {
	u, err := q.url(ctx, queue, false)
	if err != nil {
		return fmt.Errorf("changing visibility in %s: %w", queue, err)
	}
	_, err = q.api.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl:          aws.String(u),
		ReceiptHandle:     aws.String(receipt),
		VisibilityTimeout: seconds(visibility, maxVisibility),
	})
	if err == nil || isStale(err) {
		return nil
	}
	q.forget(queue, err)
	return fmt.Errorf("changing visibility in %s: %w", queue, translate(err))
}
