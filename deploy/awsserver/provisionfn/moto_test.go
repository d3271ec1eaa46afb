package provisionfn

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// motoConfig is the SDK configuration for moto's server, or skips.
func motoConfig(t *testing.T) aws.Config {
	t.Helper()
	return aws.Config{
		Region:       mototest.Region,
		BaseEndpoint: aws.String(mototest.Endpoint(t)),
		Credentials:  mototest.Credentials(),
		HTTPClient:   awsclient.HTTPClient(),
	}
}

func randomName(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func TestSQSNoticesOnMoto(t *testing.T) {
	api := sqs.NewFromConfig(motoConfig(t))
	ctx := context.Background()
	files := []string{"spot-interruption-warning.json", "rebalance-recommendation.json", "state-change-terminated.json"}
	for _, byURL := range []bool{false, true} {
		t.Run(map[bool]string{false: "by name", true: "by URL"}[byURL], func(t *testing.T) {
			name := randomName("interruptions-")
			created, err := api.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
			if err != nil {
				t.Fatalf("CreateQueue: %v", err)
			}
			for _, f := range files {
				if _, err := api.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: created.QueueUrl, MessageBody: aws.String(string(readEvent(t, f)))}); err != nil {
					t.Fatalf("SendMessage: %v", err)
				}
			}
			queue := name
			if byURL {
				queue = aws.ToString(created.QueueUrl)
			}
			n := NewSQSNotices(api, queue)
			msgs, err := n.Receive(ctx)
			if err != nil || len(msgs) != len(files) {
				t.Fatalf("Receive = %d messages, %v; want %d", len(msgs), err, len(files))
			}
			var details, receipts []string
			for _, m := range msgs {
				notice, err := ParseNotice(m.Body)
				if err != nil {
					t.Fatalf("ParseNotice: %v", err)
				}
				details = append(details, notice.DetailType)
				receipts = append(receipts, m.Receipt)
			}
			slices.Sort(details)
			if want := slices.Sorted(slices.Values([]string{DetailRebalance, DetailSpotInterruption, DetailStateChange})); !slices.Equal(details, want) {
				t.Errorf("received %q, want %q", details, want)
			}
			if err := n.Delete(ctx, receipts); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			out, err := api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
				QueueUrl: created.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible},
			})
			if err != nil {
				t.Fatalf("GetQueueAttributes: %v", err)
			}
			if got := out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)]; got != "0" {
				t.Errorf("messages in flight after Delete = %s, want 0", got)
			}
		})
	}
}

// records are instance records of the control plane, by compute
// environment.
type records map[string][]control.InstanceRecord

func (r records) ComputeEnvironments(context.Context) ([]batch.ComputeEnvironment, error) {
	var out []batch.ComputeEnvironment
	for _, ce := range slices.Sorted(maps.Keys(r)) {
		out = append(out, batch.ComputeEnvironment{ComputeEnvironmentName: ce})
	}
	return out, nil
}

func (r records) Instances(_ context.Context, ce string) ([]control.InstanceRecord, error) {
	return r[ce], nil
}

func TestTagLocatorOnMoto(t *testing.T) {
	api := ec2.NewFromConfig(motoConfig(t))
	ctx := context.Background()
	stack := randomName("s")
	out, err := api.RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String("ami-12c6146b"), InstanceType: ec2types.InstanceTypeT3Micro,
		MinCount: aws.Int32(3), MaxCount: aws.Int32(3),
	})
	if err != nil || len(out.Instances) != 3 {
		t.Fatalf("RunInstances: %v", err)
	}
	var ids []string
	for _, inst := range out.Instances {
		ids = append(ids, aws.ToString(inst.InstanceId))
	}
	t.Cleanup(func() {
		api.TerminateInstances(context.Background(), &ec2.TerminateInstancesInput{InstanceIds: ids})
	})
	ours, theirs, untagged := ids[0], ids[1], ids[2]
	tag := func(id, stack string) {
		t.Helper()
		if _, err := api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: []ec2types.Tag{
			{Key: aws.String(ec2fleet.TagStack), Value: aws.String(stack)},
			{Key: aws.String(ec2fleet.TagComputeEnvironment), Value: aws.String("spot")},
		}}); err != nil {
			t.Fatalf("CreateTags: %v", err)
		}
	}
	tag(ours, stack)
	tag(theirs, "other-"+stack)
	gone := "i-0123456789abcdef0" // EC2 no longer shows it; its record remains
	l := TagLocator{EC2: api, Stack: stack, Records: records{
		"spot":     {{ID: ours, ComputeEnvironment: "spot"}},
		"ondemand": {{ID: gone, ComputeEnvironment: "ondemand"}, {ID: "i-0fedcba9876543210", ComputeEnvironment: "ondemand"}},
	}}
	got, err := l.Locate(ctx, []string{ours, theirs, untagged, gone})
	if err != nil {
		t.Fatalf("Locate: %v", err)
	}
	want := map[string]string{ours: "spot", gone: "ondemand"}
	if !maps.Equal(got, want) {
		t.Errorf("Locate = %v, want %v", got, want)
	}
}
