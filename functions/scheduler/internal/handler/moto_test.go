//go:build unix

package handler_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/process"
	"github.com/tanda-batch/tanda/bootstrap/runtimes"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/functions/scheduler/internal/handler"
	"github.com/tanda-batch/tanda/infra/dynamo"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
	"github.com/tanda-batch/tanda/internal/awsclient"
	"github.com/tanda-batch/tanda/internal/controltest"
	"github.com/tanda-batch/tanda/triggers"
)

// motoStack is a stack's tables and queues on moto, its control plane,
// and the clients a test plays S3 and Lambda's SQS poller with.
type motoStack struct {
	name   string
	ctl    *control.Service
	store  *dynamo.Store
	queues *sqsqueue.Queues
	sqs    *sqs.Client
	s3     *s3.Client
}

func openMotoStack(t *testing.T) *motoStack {
	t.Helper()
	endpoint := mototest.Endpoint(t)
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name := "t" + hex.EncodeToString(b)
	cfg := aws.Config{Region: mototest.Region, BaseEndpoint: aws.String(endpoint), Credentials: mototest.Credentials(), HTTPClient: awsclient.HTTPClient()}
	m := &motoStack{
		name: name,
		sqs:  sqs.NewFromConfig(cfg),
		s3:   s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
	}
	m.queues = sqsqueue.New(m.sqs, sqsqueue.Options{Prefix: name, CreateMissing: true, Logger: quietLogger()})
	m.store = dynamo.New(dynamodb.NewFromConfig(cfg), dynamo.Options{JobsTable: name + "-jobs", ItemsTable: name + "-items", Queues: m.queues})
	ctx := context.Background()
	if err := m.store.CreateTables(ctx); err != nil {
		t.Fatalf("creating tables: %v", err)
	}
	if err := m.queues.Ensure(ctx, control.SubmissionsQueue); err != nil {
		t.Fatalf("creating the submissions queue: %v", err)
	}
	m.ctl = control.New(m.store, control.Options{Queues: m.queues, Logger: quietLogger()})
	return m
}

// submissionsARN is the ARN of the submissions queue.
func (m *motoStack) submissionsARN(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	u, err := m.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(m.queues.SQSName(control.SubmissionsQueue))})
	if err != nil {
		t.Fatalf("GetQueueUrl: %v", err)
	}
	attrs, err := m.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	return attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
}

// poll plays Lambda's SQS poller once: it receives what the submissions
// queue holds, hands it to h as an SQS event, and deletes the records h
// did not report failed. It returns the bodies handled.
func (m *motoStack) poll(t *testing.T, h *handler.Handler) []string {
	t.Helper()
	ctx := context.Background()
	u, err := m.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(m.queues.SQSName(control.SubmissionsQueue))})
	if err != nil {
		t.Fatalf("GetQueueUrl: %v", err)
	}
	out, err := m.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: u.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	var ev events.SQSEvent
	for _, msg := range out.Messages {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(msg.MessageId),
			ReceiptHandle: aws.ToString(msg.ReceiptHandle), Body: aws.ToString(msg.Body), EventSource: "aws:sqs"})
	}
	resp, err := h.Handle(ctx, ev)
	if err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("Handle = %v, %v; want no failures", failed(resp), err)
	}
	var bodies []string
	for _, rec := range ev.Records {
		bodies = append(bodies, rec.Body)
		if _, err := m.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: u.QueueUrl, ReceiptHandle: aws.String(rec.ReceiptHandle)}); err != nil {
			t.Fatalf("DeleteMessage: %v", err)
		}
	}
	return bodies
}

// redeliver sends body to the submissions queue again, as S3 does when it
// delivers a notification twice.
func (m *motoStack) redeliver(t *testing.T, body string) {
	t.Helper()
	ctx := context.Background()
	u, err := m.sqs.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(m.queues.SQSName(control.SubmissionsQueue))})
	if err != nil {
		t.Fatalf("GetQueueUrl: %v", err)
	}
	if _, err := m.sqs.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: u.QueueUrl, MessageBody: aws.String(body)}); err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
}

// createResources makes the compute environment, job queue, job
// definition and trigger rule of the test, on bucket.
func (m *motoStack) createResources(t *testing.T, bucket string) {
	t.Helper()
	ctx := context.Background()
	zero, four := 0, 4
	controltest.CreateStack(t, m.ctl, controltest.Stack{
		Resources: &batch.ComputeResource{Type: batch.ComputeEC2, MinvCpus: &zero, MaxvCpus: &four, InstanceTypes: []string{"m5.large"}},
		Container: controltest.Container("1", "128", "sh", "-c", "echo got s3://Ref::bucket/Ref::key"),
	})
	if _, err := m.ctl.CreateTriggerRule(ctx, triggers.Rule{Name: "uploads", Bucket: bucket, Prefix: "in/", JobQueue: "q", JobDefinition: "d"}); err != nil {
		t.Fatalf("CreateTriggerRule: %v", err)
	}
}

// lines collects the jobs' output.
type lines struct {
	mu   sync.Mutex
	text []string
}

func (l *lines) Append(_ context.Context, _ string, ls []batch.LogEvent) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range ls {
		l.text = append(l.text, line.Message)
	}
	return nil
}

func (l *lines) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.text)
}

// runAgent runs an instance of compute environment ce, running jobs as
// processes, until the test ends.
func (m *motoStack) runAgent(t *testing.T, out *lines) {
	t.Helper()
	agent := bootstrap.New(m.ctl, m.queues, runtimes.NewProcess(process.Options{KillGrace: time.Second}), out, bootstrap.Config{
		InstanceID: "i-" + m.name, ComputeEnvironment: "ce", InstanceType: "m5.large", VCPUs: 2, MemoryMiB: 8192,
		WorkRoot: t.TempDir(), HeartbeatEvery: time.Second, PollWait: time.Second, Logger: quietLogger(),
	})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := agent.Run(ctx); err != nil {
			t.Errorf("agent: %v", err)
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

// TestAnUploadRunsOneJobOnMoto is the S3 path end to end on moto: S3
// notifies the submissions queue of an upload (moto 5 delivers bucket
// notifications to its SQS queues, its test event first), the handler
// submits the rule's job, a duplicate of the notification submits none,
// and an agent runs the job to SUCCEEDED with the bucket and key in its
// command.
func TestAnUploadRunsOneJobOnMoto(t *testing.T) {
	m := openMotoStack(t)
	ctx := context.Background()
	bucket := m.name + "-uploads"
	m.createResources(t, bucket)
	if _, err := m.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if _, err := m.s3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{{
			QueueArn: aws.String(m.submissionsARN(t)), Events: []s3types.Event{s3types.EventS3ObjectCreated},
		}}},
	}); err != nil {
		t.Fatalf("PutBucketNotificationConfiguration: %v", err)
	}
	const key = "in/my photos/a b.txt"
	if _, err := m.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("hello")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}

	h := handler.New(triggers.Router{Jobs: m.ctl, Notifications: triggers.NewDispatcher(m.ctl, quietLogger())}, handler.Options{Logger: quietLogger()})
	var notification string
	for range 5 { // a receive may return some of the messages only
		for _, body := range m.poll(t, h) {
			if strings.Contains(body, `"Records"`) {
				notification = body
			}
		}
		if notification != "" {
			break
		}
	}
	if notification == "" {
		t.Fatal("moto sent no ObjectCreated notification to the submissions queue")
	}
	m.redeliver(t, notification)
	if got := m.poll(t, h); len(got) != 1 {
		t.Fatalf("the duplicate delivery: handled %d messages, want 1", len(got))
	}

	pg, err := m.store.ListJobs(ctx, batch.JobQuery{Queue: "q", Limit: 10})
	if err != nil {
		t.Fatalf("listing jobs: %v", err)
	}
	if len(pg.Jobs) != 1 {
		t.Fatalf("jobs = %d, want 1 for one upload notified twice", len(pg.Jobs))
	}
	id := pg.Jobs[0].JobID
	wantCommand := []string{"sh", "-c", "echo got s3://" + bucket + "/" + key}
	if got := pg.Jobs[0].Container.Command; !slices.Equal(got, wantCommand) {
		t.Errorf("command = %q, want %q", got, wantCommand)
	}

	out := &lines{}
	m.runAgent(t, out)
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := m.ctl.Job(ctx, id)
		if err != nil {
			t.Fatalf("reading job %s: %v", id, err)
		}
		if j.Status == batch.Succeeded {
			break
		}
		if j.Status == batch.Failed || time.Now().After(deadline) {
			t.Fatalf("job %s is %s (%s), want SUCCEEDED within 30s", id, j.Status, j.StatusReason)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if want := "got s3://" + bucket + "/" + key; !slices.Contains(out.all(), want) {
		t.Errorf("output = %q, want the line %q", out.all(), want)
	}
}
