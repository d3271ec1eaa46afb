package jobevents

import (
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/mototest"
)

// The Publisher's calls are those of the SDK's client.
var _ eventsAPI = (*eventbridge.Client)(nil)

// busSeq keeps the buses and queues of tests apart on the shared moto server.
var busSeq atomic.Int64

// envelope is the part of an EventBridge event the tests check.
type envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// motoBus creates, on the moto server, an event bus of its own with a rule
// that sends Tanda's job events to a new SQS queue, and returns the bus,
// an EventBridge client and a function that reads at least n events off
// the queue (and any more that are there), or fewer if they do not come.
func motoBus(t *testing.T) (bus string, client *eventbridge.Client, receive func(n int) []envelope) {
	t.Helper()
	endpoint := mototest.Endpoint(t)
	ctx := t.Context()
	client = eventbridge.New(eventbridge.Options{
		Region:       mototest.Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  mototest.Credentials(),
	})
	queues := sqs.New(sqs.Options{
		Region:       mototest.Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  mototest.Credentials(),
	})
	name := fmt.Sprintf("tanda-events-%d-%d", time.Now().UnixNano(), busSeq.Add(1))

	q, err := queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	t.Cleanup(func() { _, _ = queues.DeleteQueue(t.Context(), &sqs.DeleteQueueInput{QueueUrl: q.QueueUrl}) })
	attrs, err := queues.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       q.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}

	if _, err := client.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name)}); err != nil {
		t.Fatalf("CreateEventBus: %v", err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteEventBus(t.Context(), &eventbridge.DeleteEventBusInput{Name: aws.String(name)})
	})
	pattern := fmt.Sprintf(`{"source":[%q],"detail-type":[%q]}`, DefaultSource, DetailType)
	if _, err := client.PutRule(ctx, &eventbridge.PutRuleInput{
		Name: aws.String(name), EventBusName: aws.String(name), EventPattern: aws.String(pattern),
	}); err != nil {
		t.Fatalf("PutRule: %v", err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteRule(t.Context(), &eventbridge.DeleteRuleInput{Name: aws.String(name), EventBusName: aws.String(name)})
	})
	if _, err := client.PutTargets(ctx, &eventbridge.PutTargetsInput{
		Rule: aws.String(name), EventBusName: aws.String(name),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)])}},
	}); err != nil {
		t.Fatalf("PutTargets: %v", err)
	}
	t.Cleanup(func() {
		_, _ = client.RemoveTargets(t.Context(), &eventbridge.RemoveTargetsInput{
			Rule: aws.String(name), EventBusName: aws.String(name), Ids: []string{"queue"},
		})
	})

	receive = func(n int) []envelope {
		t.Helper()
		var out []envelope
		// Long polls until n arrived, then one short poll for extras.
		for tries := 0; tries < 10; tries++ {
			wait := int32(1)
			if len(out) >= n {
				wait = 0
			}
			msgs, err := queues.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
				QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: wait,
			})
			if err != nil {
				t.Fatalf("ReceiveMessage: %v", err)
			}
			for _, m := range msgs.Messages {
				var e envelope
				if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &e); err != nil {
					t.Fatalf("event %s is not JSON: %v", aws.ToString(m.Body), err)
				}
				out = append(out, e)
			}
			if wait == 0 && len(msgs.Messages) == 0 {
				break
			}
		}
		return out
	}
	return name, client, receive
}

func TestPublishOnMoto(t *testing.T) {
	bus, client, receive := motoBus(t)
	p := New(client, Options{Bus: bus})
	in := jobs(13)
	in[12].Status = batch.Submitted
	if err := p.Publish(t.Context(), in); err != nil {
		t.Fatalf("Publish: %v", err)
	}

	got := receive(12)
	if len(got) != 12 {
		t.Fatalf("received %d events, want 12 (13 jobs, one SUBMITTED)", len(got))
	}
	want := make(map[string]batch.Job)
	for _, j := range in[:12] {
		want[j.JobID] = j
	}
	for _, e := range got {
		var d struct {
			JobID  string `json:"jobId"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatalf("detail %s: %v", e.Detail, err)
		}
		j, ok := want[d.JobID]
		if !ok {
			t.Errorf("event for unexpected or repeated job %q", d.JobID)
			continue
		}
		delete(want, d.JobID)
		if e.DetailType != DetailType || e.Source != DefaultSource || e.Version != "0" || e.ID == "" {
			t.Errorf("envelope %+v: want version 0, an id, detail-type %q, source %q", e, DetailType, DefaultSource)
		}
		// Moto leaves out the envelope's account; AWS fills it in.
		if e.Region != mototest.Region {
			t.Errorf("region = %q, want %s", e.Region, mototest.Region)
		}
		if len(e.Resources) != 1 || e.Resources[0] != j.JobArn {
			t.Errorf("resources = %v, want [%s]", e.Resources, j.JobArn)
		}
		if d.Status != "RUNNING" {
			t.Errorf("detail.status = %q, want RUNNING", d.Status)
		}
		at, err := time.Parse(time.RFC3339, e.Time)
		if wantAt := time.UnixMilli(j.Internal.UpdatedAt).Truncate(time.Second); err != nil || !at.Equal(wantAt) {
			t.Errorf("time = %q, want %s (%v)", e.Time, wantAt.UTC().Format(time.RFC3339), err)
		}
	}
	if len(want) > 0 {
		t.Errorf("no events for %d jobs", len(want))
	}
}
