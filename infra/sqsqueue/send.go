package sqsqueue

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/internal/backoff"
)

const (
	// batchSize is the most entries SendMessageBatch takes.
	batchSize = 10
	// sendAttempts is how many times an entry that failed is sent in all.
	sendAttempts = 4
	// bodyAttribute is the message attribute carrying Message.Body.
	bodyAttribute = "Body"
)

// Send sends messages to their queues, ten to a SendMessageBatch call.
// Entries SQS fails for its own reasons are sent again a few times, with
// a doubling pause; an error names the ids of those that still failed.
func (q *Queues) Send(ctx context.Context, msgs []batch.Message) error {
	byQueue := map[string][]batch.Message{}
	var order []string
	for _, m := range msgs {
		if _, ok := byQueue[m.Queue]; !ok {
			order = append(order, m.Queue)
		}
		byQueue[m.Queue] = append(byQueue[m.Queue], m)
	}
	for _, queue := range order {
		if err := q.sendQueue(ctx, queue, byQueue[queue]); err != nil {
			return err
		}
	}
	return nil
}

// sendQueue sends the messages of one queue in chunks.
func (q *Queues) sendQueue(ctx context.Context, queue string, msgs []batch.Message) error {
	u, err := q.url(ctx, queue, q.opts.CreateMissing)
	if err != nil {
		return fmt.Errorf("sending to %s: %w", queue, err)
	}
	for start := 0; start < len(msgs); start += batchSize {
		chunk := msgs[start:min(start+batchSize, len(msgs))]
		if err := q.sendChunk(ctx, queue, u, chunk); err != nil {
			return err
		}
	}
	return nil
}

// sendChunk sends up to ten messages, retrying the entries that fail.
func (q *Queues) sendChunk(ctx context.Context, queue, u string, msgs []batch.Message) error {
	pending := msgs
	delay := q.opts.RetryDelay
	for attempt := 1; ; attempt++ {
		out, err := q.api.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{
			QueueUrl: aws.String(u),
			Entries:  entries(pending),
		})
		if err != nil {
			q.forget(queue, err)
			return fmt.Errorf("sending to %s: %w", queue, translate(err))
		}
		retry, failed := splitFailed(pending, out.Failed)
		if len(failed) > 0 || (len(retry) > 0 && attempt == sendAttempts) {
			return fmt.Errorf("sending to %s: %w", queue, failedError(append(failed, retry...)))
		}
		if len(retry) == 0 {
			return nil
		}
		q.opts.Logger.Warn("sending failed SQS batch entries again", "queue", queue, "entries", len(retry), "attempt", attempt)
		if err := backoff.Sleep(ctx, delay); err != nil {
			return fmt.Errorf("sending to %s: %w", queue, err)
		}
		delay *= 2
		pending = pendingOf(pending, retry)
	}
}

// entries are the batch entries of msgs, with their indexes as ids.
func entries(msgs []batch.Message) []types.SendMessageBatchRequestEntry {
	es := make([]types.SendMessageBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		es[i] = types.SendMessageBatchRequestEntry{
			Id:          aws.String(strconv.Itoa(i)),
			MessageBody: aws.String(m.ID),
		}
		if m.Body != "" {
			es[i].MessageAttributes = map[string]types.MessageAttributeValue{
				bodyAttribute: {DataType: aws.String("String"), StringValue: aws.String(m.Body)},
			}
		}
	}
	return es
}

// failedEntry is a message SQS did not take, and why.
type failedEntry struct {
	index int
	id    string
	code  string
}

// splitFailed sorts the failed entries of a batch into those worth sending
// again (SQS's fault) and those that will fail again (the sender's).
func splitFailed(msgs []batch.Message, failed []types.BatchResultErrorEntry) (retry, final []failedEntry) {
	for _, f := range failed {
		i, err := strconv.Atoi(aws.ToString(f.Id))
		if err != nil || i < 0 || i >= len(msgs) {
			final = append(final, failedEntry{index: -1, id: aws.ToString(f.Id), code: aws.ToString(f.Code)})
			continue
		}
		e := failedEntry{index: i, id: msgs[i].ID, code: aws.ToString(f.Code)}
		if f.SenderFault {
			final = append(final, e)
		} else {
			retry = append(retry, e)
		}
	}
	return retry, final
}

// pendingOf picks the messages of the entries to send again.
func pendingOf(msgs []batch.Message, retry []failedEntry) []batch.Message {
	out := make([]batch.Message, 0, len(retry))
	for _, e := range retry {
		out = append(out, msgs[e.index])
	}
	return out
}

// failedError names the messages that could not be sent; it wraps
// batch.ErrThrottled when SQS throttled all of them.
func failedError(failed []failedEntry) error {
	names := make([]string, len(failed))
	throttled := true
	for i, f := range failed {
		names[i] = f.id + " (" + f.code + ")"
		throttled = throttled && throttleCodes[f.code]
	}
	msg := "messages not sent: " + strings.Join(names, ", ")
	if throttled {
		return fmt.Errorf("%s: %w", msg, batch.ErrThrottled)
	}
	return fmt.Errorf("%s", msg)
}
