package provisionfn

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// EnvInterruptionQueue names the interruption queue (its name or URL) in
// the function's environment; unset, the function drains no queue.
const EnvInterruptionQueue = "TANDA_INTERRUPTION_QUEUE"

// noticeVisibility hides a received notice while it is handled; one whose
// handling failed is tried again after it.
const noticeVisibility = 30

// sqsAPI is the part of SQS the interruption queue uses (*sqs.Client).
type sqsAPI interface {
	GetQueueUrl(ctx context.Context, in *sqs.GetQueueUrlInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// SQSNotices is the interruption queue on SQS (Notices).
type SQSNotices struct {
	api   sqsAPI
	queue string // name or URL

	mu  sync.Mutex
	url string
}

var _ Notices = (*SQSNotices)(nil)

// NewSQSNotices reads the SQS queue named queue: a queue URL, or a name
// resolved with GetQueueUrl on first use.
func NewSQSNotices(api sqsAPI, queue string) *SQSNotices {
	n := &SQSNotices{api: api, queue: queue}
	if strings.HasPrefix(queue, "https://") || strings.HasPrefix(queue, "http://") {
		n.url = queue
	}
	return n
}

// queueURL resolves the queue's URL once.
func (n *SQSNotices) queueURL(ctx context.Context) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.url != "" {
		return n.url, nil
	}
	out, err := n.api.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(n.queue)})
	if err != nil {
		return "", fmt.Errorf("finding interruption queue %s: %w", n.queue, err)
	}
	n.url = aws.ToString(out.QueueUrl)
	return n.url, nil
}

// Receive returns up to ten waiting messages without waiting for more.
func (n *SQSNotices) Receive(ctx context.Context) ([]Message, error) {
	url, err := n.queueURL(ctx)
	if err != nil {
		return nil, err
	}
	out, err := n.api.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(url),
		MaxNumberOfMessages: 10,
		VisibilityTimeout:   noticeVisibility,
	})
	if err != nil {
		return nil, fmt.Errorf("receiving from interruption queue %s: %w", n.queue, err)
	}
	msgs := make([]Message, 0, len(out.Messages))
	for _, m := range out.Messages {
		msgs = append(msgs, Message{Receipt: aws.ToString(m.ReceiptHandle), Body: []byte(aws.ToString(m.Body))})
	}
	return msgs, nil
}

// Delete removes handled messages, ten per call.
func (n *SQSNotices) Delete(ctx context.Context, receipts []string) error {
	url, err := n.queueURL(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for chunk := range slices.Chunk(receipts, 10) {
		entries := make([]types.DeleteMessageBatchRequestEntry, len(chunk))
		for i, r := range chunk {
			entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(r)}
		}
		out, err := n.api.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: entries})
		if err != nil {
			errs = append(errs, fmt.Errorf("deleting from interruption queue %s: %w", n.queue, err))
			continue
		}
		for _, f := range out.Failed {
			errs = append(errs, fmt.Errorf("deleting from interruption queue %s: %s: %s", n.queue, aws.ToString(f.Code), aws.ToString(f.Message)))
		}
	}
	return errors.Join(errs...)
}
