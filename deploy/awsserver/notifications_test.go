package awsserver_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
	"github.com/tanda-batch/tanda/triggers"
)

// s3Notification is an ObjectCreated event as S3 sends it to SQS, with
// its key URL-encoded.
const s3Notification = `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",
"eventTime":"2026-11-29T12:00:00.000Z","eventName":"ObjectCreated:Put",
"s3":{"bucket":{"name":"uploads","arn":"arn:aws:s3:::uploads"},
"object":{"key":"in/my+photo.txt","size":42,"eTag":"abc","sequencer":"0061"}}}]}`

// TestServedSchedulerRoutesS3Notifications checks that `tanda serve`'s
// scheduler, which reads the submissions queue, hands an S3 notification
// found there to the trigger rules, once even when it arrives twice.
func TestServedSchedulerRoutesS3Notifications(t *testing.T) {
	awsCfg, st := motoStack(t)
	srv := serve(t, awsCfg, st)
	ctl := srv.Control()
	ctx := context.Background()
	zero, four, one := 0, 4, 1
	if _, err := ctl.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: "ce", Type: batch.TypeManaged,
		ComputeResources: &batch.ComputeResource{Type: batch.ComputeEC2, MinvCpus: &zero, MaxvCpus: &four, InstanceTypes: []string{"m6i.large"}},
	}); err != nil {
		t.Fatalf("CreateComputeEnvironment: %v", err)
	}
	if _, err := ctl.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: "q", Priority: &one,
		ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{{Order: 1, ComputeEnvironment: "ce"}}}); err != nil {
		t.Fatalf("CreateJobQueue: %v", err)
	}
	if _, err := ctl.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
		JobDefinitionName: "def", Type: batch.DefinitionTypeContainer,
		ContainerProperties: &batch.ContainerProperties{Image: "busybox", Command: []string{"echo", "Ref::bucket", "Ref::key"},
			ResourceRequirements: []batch.ResourceRequirement{{Type: batch.ResourceVCPU, Value: "1"}, {Type: batch.ResourceMemory, Value: "512"}}},
	}); err != nil {
		t.Fatalf("RegisterJobDefinition: %v", err)
	}
	if _, err := ctl.CreateTriggerRule(ctx, triggers.Rule{Name: "photos", Bucket: "uploads", Prefix: "in/", JobQueue: "q", JobDefinition: "def"}); err != nil {
		t.Fatalf("CreateTriggerRule: %v", err)
	}

	// The notification arrives twice, as SQS may deliver it.
	note := batch.Message{Queue: control.SubmissionsQueue, ID: s3Notification}
	if err := srv.Backend().Queues.Send(ctx, []batch.Message{note, note}); err != nil {
		t.Fatalf("sending the notification: %v", err)
	}
	// Wait until the scheduler has taken both copies off the queue.
	submissions := sqsqueue.SQSName(st.QueuePrefix, control.SubmissionsQueue)
	api := sqs.NewFromConfig(awsCfg)
	url, err := api.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(submissions)})
	if err != nil {
		t.Fatalf("GetQueueUrl: %v", err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out, err := api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url.QueueUrl,
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err != nil {
			t.Fatalf("GetQueueAttributes: %v", err)
		}
		a := out.Attributes
		if a[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)] == "0" && a[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)] == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the submissions queue still holds messages after 30 s: %v", a)
		}
	}
	pg, err := ctl.ListJobs(ctx, &batch.ListJobsInput{JobQueue: "q", JobStatus: "RUNNABLE"})
	if err != nil {
		t.Fatalf("ListJobs: %v", err)
	}
	jobs := pg.JobSummaryList
	if len(jobs) != 1 {
		t.Fatalf("jobs after the notification = %d, want 1", len(jobs))
	}
	j, err := ctl.Job(ctx, jobs[0].JobID)
	if err != nil {
		t.Fatalf("reading the job: %v", err)
	}
	if got, want := j.Container.Command, []string{"echo", "uploads", "in/my photo.txt"}; !slices.Equal(got, want) {
		t.Errorf("the job's command = %q, want %q", got, want)
	}
}
