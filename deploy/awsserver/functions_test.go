package awsserver_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/deploy/awsserver/provisionfn"
	"github.com/tanda-batch/tanda/infra/ec2catalog/catalogtest"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
)

// ec2Event is an EventBridge EC2 event about an instance, as EventBridge
// delivers it to the interruption queue.
func ec2Event(t *testing.T, detailType, instanceID, state string) string {
	t.Helper()
	detail := map[string]string{"instance-id": instanceID}
	if state != "" {
		detail["state"] = state
	} else {
		detail["instance-action"] = "terminate"
	}
	raw, _ := json.Marshal(detail)
	ev, err := json.Marshal(events.EventBridgeEvent{
		Version: "0", ID: "e-" + instanceID, DetailType: detailType, Source: "aws.ec2",
		AccountID: "123456789012", Time: time.Now().UTC(), Region: "us-east-1",
		Resources: []string{"arn:aws:ec2:us-east-1:123456789012:instance/" + instanceID}, Detail: raw,
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(ev)
}

// TestProvisionerFunction runs the provisioner function's handler against
// moto: the interruption queue holds a Spot warning for an instance EC2
// knows by its tags and a termination for one only the control plane's
// records know; the stack has no managed compute environment, so one pass
// ends the invocation.
func TestProvisionerFunction(t *testing.T) {
	awsCfg, st := motoStack(t)
	ctx := context.Background()
	if _, err := awsserver.Init(ctx, awsCfg, st, awsserver.InitOptions{AMI: "ami-12c6146b", Logger: quiet()}); err != nil {
		t.Fatalf("Init: %v", err)
	}
	b, err := awsserver.OpenBackend(ctx, awsCfg, st, awsserver.BackendOptions{Logger: quiet(), Catalog: catalogtest.Moto(t)})
	if err != nil {
		t.Fatalf("OpenBackend: %v", err)
	}
	vcpus := 8
	if _, err := b.Control.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: "byo", Type: batch.TypeUnmanaged, UnmanagedvCpus: &vcpus,
	}); err != nil {
		t.Fatalf("CreateComputeEnvironment: %v", err)
	}
	api := ec2.NewFromConfig(awsCfg)
	run, err := api.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Micro, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: []ec2types.Tag{
			{Key: aws.String(ec2fleet.TagStack), Value: aws.String(st.Stack)},
			{Key: aws.String(ec2fleet.TagComputeEnvironment), Value: aws.String("byo")},
		}}},
	})
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	warned, gone := aws.ToString(run.Instances[0].InstanceId), "i-0123456789abcdef0"
	t.Cleanup(func() {
		api.TerminateInstances(context.Background(), &ec2.TerminateInstancesInput{InstanceIds: []string{warned}})
	})
	for _, id := range []string{warned, gone} {
		if err := b.Control.ReportInstance(ctx, control.InstanceRecord{ID: id, ComputeEnvironment: "byo", VCPUs: 2, MemoryMiB: 4096}); err != nil {
			t.Fatalf("ReportInstance: %v", err)
		}
	}
	queues := sqs.NewFromConfig(awsCfg)
	q, err := queues.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(st.Stack + "-interruptions")})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	for _, body := range []string{
		ec2Event(t, provisionfn.DetailSpotInterruption, warned, ""),
		ec2Event(t, provisionfn.DetailStateChange, gone, "terminated"),
	} {
		if _, err := queues.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)}); err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
	}

	fn, err := b.ProvisionerFunction(ctx, st.Stack+"-interruptions", provisionfn.Options{})
	if err != nil {
		t.Fatalf("ProvisionerFunction: %v", err)
	}
	invocation, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	start := time.Now()
	if err := fn.Handle(invocation, events.EventBridgeEvent{ID: "scheduled", DetailType: "Scheduled Event", Source: "aws.events"}); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("invocation on a stack with nothing to provision took %s, want one pass", took)
	}
	recs, err := b.Control.Instances(ctx, "byo")
	if err != nil {
		t.Fatalf("Instances: %v", err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.ID+map[bool]string{true: " draining", false: ""}[r.Draining])
	}
	if want := warned + " draining"; len(got) != 1 || got[0] != want {
		t.Errorf("instance records = %q, want only %q", got, want)
	}
	left, err := queues.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	for _, a := range []string{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"} {
		if n := left.Attributes[a]; n != "0" {
			t.Errorf("interruption queue %s = %s, want 0: every notice handled and deleted", a, n)
		}
	}
}
