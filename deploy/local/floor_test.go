package local

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
)

// TestFloorOfLargeInstancesRunsSmallJobs is the soak's first compute
// environment (docs/RELIABILITY.md, defect 3): instanceTypes ["local"]
// with minvCpus = maxvCpus = 64, which the provisioner keeps with
// local.large, local.medium and local.small instances, and a backlog of
// 1-vCPU jobs. The packing rule lets a fresh 1-vCPU job onto instances of
// at most 4 vCPUs, but an instance no larger than minvCpus takes any job
// (Packing.WithFloor): every one of the 64 vCPUs runs a job at once.
func TestFloorOfLargeInstancesRunsSmallJobs(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	ctx := context.Background()
	_, err := td.client.CreateComputeEnvironment(ctx, &awsbatch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: aws.String("floor"),
		Type:                   types.CETypeManaged,
		ComputeResources: &types.ComputeResource{
			Type: types.CRTypeEc2, MinvCpus: aws.Int32(64), MaxvCpus: aws.Int32(64), DesiredvCpus: aws.Int32(64),
			InstanceTypes: []string{"local"}, AllocationStrategy: types.CRAllocationStrategyBestFitProgressive,
			Subnets: []string{"subnet-local"}, InstanceRole: aws.String("ecsInstanceRole"),
		},
	})
	if err != nil {
		t.Fatalf("CreateComputeEnvironment: %v", err)
	}
	_, err = td.client.CreateJobQueue(ctx, &awsbatch.CreateJobQueueInput{
		JobQueueName: aws.String("floor"), Priority: aws.Int32(10),
		ComputeEnvironmentOrder: []types.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("floor")}},
	})
	if err != nil {
		t.Fatalf("CreateJobQueue: %v", err)
	}
	seen := map[string]int{}
	waitFor(t, 60*time.Second, "64 vCPUs of registered instances", func() bool {
		insts, err := td.Control().Instances(ctx, "floor")
		if err != nil {
			t.Fatalf("Instances: %v", err)
		}
		clear(seen)
		total := 0.0
		for _, in := range insts {
			total += in.VCPUs
			seen[in.InstanceType]++
		}
		return total == 64
	}, func() string { return fmt.Sprint(seen) })
	if seen["local.large"] == 0 {
		t.Fatalf("instances %v: want local.large among them, as the soak had", seen)
	}

	for range 80 {
		td.submit(t, &awsbatch.SubmitJobInput{
			JobQueue: aws.String("floor"),
			ContainerOverrides: &types.ContainerOverrides{
				Command: []string{"sleep", "120"},
				ResourceRequirements: []types.ResourceRequirement{
					{Type: types.ResourceTypeVcpu, Value: aws.String("1")},
					{Type: types.ResourceTypeMemory, Value: aws.String("256")},
				},
			},
		})
	}
	// Long before the packing rule's 2 minutes of patience.
	running := 0
	waitFor(t, 60*time.Second, "64 jobs running at once", func() bool {
		running = 0
		var token *string
		for {
			out, err := td.client.ListJobs(ctx, &awsbatch.ListJobsInput{JobQueue: aws.String("floor"), JobStatus: types.JobStatusRunning, NextToken: token})
			if err != nil {
				t.Fatalf("ListJobs: %v", err)
			}
			running += len(out.JobSummaryList)
			if token = out.NextToken; token == nil {
				return running == 64
			}
		}
	}, func() string { return fmt.Sprintf("%d running on %v", running, seen) })
}
