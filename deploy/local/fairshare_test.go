package local

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
)

func TestFairShareQueueAlternatesBetweenShares(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	ctx := context.Background()
	// One 2-vCPU instance at most, and 2-vCPU jobs: one job at a time. It
	// starts DISABLED, so that no job runs before all are submitted (on a
	// loaded machine, submitting takes longer than a job runs).
	if _, err := td.client.CreateComputeEnvironment(ctx, &awsbatch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: aws.String("one-slot"),
		Type:                   types.CETypeManaged,
		State:                  types.CEStateDisabled,
		ComputeResources: &types.ComputeResource{
			Type: types.CRTypeEc2, MinvCpus: aws.Int32(0), MaxvCpus: aws.Int32(2),
			InstanceTypes: []string{"local.small"}, Subnets: []string{"subnet-local"}, InstanceRole: aws.String("ecsInstanceRole"),
		},
	}); err != nil {
		t.Fatalf("CreateComputeEnvironment: %v", err)
	}
	sp, err := td.client.CreateSchedulingPolicy(ctx, &awsbatch.CreateSchedulingPolicyInput{
		Name: aws.String("even"),
		FairsharePolicy: &types.FairsharePolicy{ShareDistribution: []types.ShareAttributes{
			{ShareIdentifier: aws.String("A"), WeightFactor: aws.Float32(1)},
			{ShareIdentifier: aws.String("B"), WeightFactor: aws.Float32(1)},
		}},
	})
	if err != nil {
		t.Fatalf("CreateSchedulingPolicy: %v", err)
	}
	if _, err := td.client.CreateJobQueue(ctx, &awsbatch.CreateJobQueueInput{
		JobQueueName: aws.String("fair"), Priority: aws.Int32(1), SchedulingPolicyArn: sp.Arn,
		ComputeEnvironmentOrder: []types.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("one-slot")}},
	}); err != nil {
		t.Fatalf("CreateJobQueue: %v", err)
	}
	order := filepath.Join(t.TempDir(), "order")
	var ids []string
	// Share A submits everything first: FIFO would run A four times in a row.
	for _, share := range []string{"A", "A", "A", "A", "B", "B", "B", "B"} {
		ids = append(ids, td.submit(t, &awsbatch.SubmitJobInput{
			JobQueue:        aws.String("fair"),
			ShareIdentifier: aws.String(share),
			ContainerOverrides: &types.ContainerOverrides{
				Command:              []string{"sh", "-c", "echo " + share + " >> " + order + "; sleep 0.3"},
				ResourceRequirements: []types.ResourceRequirement{{Type: types.ResourceTypeVcpu, Value: aws.String("2")}},
			},
		}))
	}
	if _, err := td.client.UpdateComputeEnvironment(ctx, &awsbatch.UpdateComputeEnvironmentInput{
		ComputeEnvironment: aws.String("one-slot"), State: types.CEStateEnabled,
	}); err != nil {
		t.Fatalf("UpdateComputeEnvironment: %v", err)
	}
	for _, id := range ids {
		if j := td.waitDone(t, id, 60*time.Second); j.Status != types.JobStatusSucceeded {
			t.Fatalf("job %s = %s (%s)", id, j.Status, aws.ToString(j.StatusReason))
		}
	}
	data, err := os.ReadFile(order)
	if err != nil {
		t.Fatal(err)
	}
	ran := strings.Fields(string(data))
	// Fair share interleaves the shares: B must not wait behind all of A.
	firstB := -1
	for i, s := range ran {
		if s == "B" {
			firstB = i
			break
		}
	}
	if firstB < 0 || firstB > 2 {
		t.Errorf("jobs ran in order %v: share B waited behind %d of A's jobs, want at most 2", ran, firstB)
	}
}
