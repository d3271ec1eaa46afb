package sqsqueue

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/tanda-batch/tanda/batch"
)

var _ sqsAPI = (*sqs.Client)(nil)

func TestSQSName(t *testing.T) {
	long := strings.Repeat("a", 128)
	tests := []struct {
		prefix, queue, want string
	}{
		{"stack", "submissions", "stack-submissions"},
		{"", "submissions", "submissions"},
		{"stack", "ready-jq_1", "stack-ready-jq_1"},
		{"s", "ready-" + strings.Repeat("b", 68), "s-ready-" + strings.Repeat("b", 68)}, // 76: kept
		{"s", "ready-" + long, "s-ready-" + strings.Repeat("a", 59) + "-"},              // hashed
	}
	for _, tt := range tests {
		got := SQSName(tt.prefix, tt.queue)
		if !strings.HasPrefix(got, tt.want) || len(got) > maxName {
			t.Errorf("SQSName(%q, %q) = %q (%d characters), want it to begin %q and fit in %d", tt.prefix, tt.queue, got, len(got), tt.want, maxName)
		}
		if full := tt.prefix + "-" + tt.queue; len(full) <= maxName && tt.prefix != "" && got != full {
			t.Errorf("SQSName(%q, %q) = %q, want %q unchanged", tt.prefix, tt.queue, got, full)
		}
	}
	a, b := SQSName("s", "ready-"+long+"x"), SQSName("s", "ready-"+long+"y")
	if a == b || len(a) != maxName {
		t.Errorf("long names %q and %q, want distinct names of %d characters", a, b, maxName)
	}
	if again := SQSName("s", "ready-"+long+"x"); again != a {
		t.Errorf("SQSName is not stable: %q then %q", a, again)
	}
}

func apiErr(code, msg string) error {
	return &smithy.GenericAPIError{Code: code, Message: msg}
}

func TestTranslate(t *testing.T) {
	plain := errors.New("connection reset")
	tests := []struct {
		err                error
		throttled, noQueue bool
	}{
		{apiErr("ThrottlingException", ""), true, false},
		{apiErr("RequestThrottled", ""), true, false},
		{apiErr("OverLimit", ""), true, false},
		{&types.RequestThrottled{}, true, false},
		{&types.QueueDoesNotExist{}, false, true},
		{apiErr("AWS.SimpleQueueService.NonExistentQueue", ""), false, true},
		{apiErr("InvalidParameterValue", ""), false, false},
		{plain, false, false},
	}
	for _, tt := range tests {
		got := translate(tt.err)
		if errors.Is(got, batch.ErrThrottled) != tt.throttled || errors.Is(got, ErrNoQueue) != tt.noQueue || !errors.Is(got, tt.err) {
			t.Errorf("translate(%v) = %v, want throttled %v, no queue %v, wrapping the error", tt.err, got, tt.throttled, tt.noQueue)
		}
	}
}

func TestIsStale(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&types.ReceiptHandleIsInvalid{}, true},
		{&types.MessageNotInflight{}, true},
		{apiErr("InvalidParameterValue", "Value x for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change."), true},
		{apiErr("InvalidParameterValue", "Value 50000 for parameter VisibilityTimeout is invalid."), false},
		{&types.QueueDoesNotExist{}, false},
		{errors.New("timeout"), false},
	}
	for _, tt := range tests {
		if got := isStale(tt.err); got != tt.want {
			t.Errorf("isStale(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestSeconds(t *testing.T) {
	tests := []struct {
		d, limit time.Duration
		want     int32
	}{
		{0, maxWait, 0},
		{-time.Second, maxWait, 0},
		{time.Millisecond, maxWait, 1},
		{time.Second, maxWait, 1},
		{1500 * time.Millisecond, maxWait, 2},
		{time.Minute, maxWait, 20},
		{24 * time.Hour, maxVisibility, 43200},
	}
	for _, tt := range tests {
		if got := seconds(tt.d, tt.limit); got != tt.want {
			t.Errorf("seconds(%v, %v) = %d, want %d", tt.d, tt.limit, got, tt.want)
		}
	}
}

// flakySQS fails batch entries whose body is listed, the given number of
// times each, and records what was sent.
type flakySQS struct {
	sqsAPI
	failures map[string]int // body → failures left; -1: always
	code     string
	sender   bool
	sent     []string
	calls    int
}

func (f *flakySQS) GetQueueUrl(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error) {
	return &sqs.GetQueueUrlOutput{QueueUrl: aws.String("http://sqs/q")}, nil
}

func (f *flakySQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	f.calls++
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		body := aws.ToString(e.MessageBody)
		if n := f.failures[body]; n != 0 {
			f.failures[body] = n - 1
			out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String(f.code), SenderFault: f.sender})
			continue
		}
		f.sent = append(f.sent, body)
	}
	return out, nil
}

func TestSendRetriesFailedEntries(t *testing.T) {
	msgs := []batch.Message{{Queue: "q", ID: "a"}, {Queue: "q", ID: "b"}, {Queue: "q", ID: "c"}}
	tests := []struct {
		name      string
		failures  map[string]int
		code      string
		sender    bool
		wantErr   string // "" means success
		throttled bool
		wantCalls int
		wantSent  int
	}{
		{"recovers", map[string]int{"b": 2}, "InternalError", false, "", false, 3, 3},
		{"gives up", map[string]int{"b": -1}, "InternalError", false, "b (InternalError)", false, sendAttempts, 2},
		{"throttled", map[string]int{"a": -1, "c": -1}, "RequestThrottled", false, "a (RequestThrottled), c (RequestThrottled)", true, sendAttempts, 1},
		{"sender fault is final", map[string]int{"c": -1}, "InvalidMessageContents", true, "c (InvalidMessageContents)", false, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &flakySQS{failures: tt.failures, code: tt.code, sender: tt.sender}
			q := New(api, Options{RetryDelay: time.Microsecond})
			err := q.Send(context.Background(), msgs)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Send = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Send = %v, want an error naming %s", err, tt.wantErr)
			case errors.Is(err, batch.ErrThrottled) != tt.throttled:
				t.Errorf("Send = %v, want throttled %v", err, tt.throttled)
			}
			if api.calls != tt.wantCalls || len(api.sent) != tt.wantSent {
				t.Errorf("%d calls sent %v, want %d calls sending %d", api.calls, api.sent, tt.wantCalls, tt.wantSent)
			}
		})
	}
}
