package local

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
)

func (td *tanda) computeEnvironment(t *testing.T, name string) types.ComputeEnvironmentDetail {
	t.Helper()
	res, err := td.client.DescribeComputeEnvironments(context.Background(), &awsbatch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{name}})
	if err != nil {
		t.Fatalf("DescribeComputeEnvironments: %v", err)
	}
	if len(res.ComputeEnvironments) != 1 {
		t.Fatalf("compute environment %s not found", name)
	}
	return res.ComputeEnvironments[0]
}

func TestComputeEnvironmentScalesOutForDemandAndBackToMin(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	ctx := context.Background()
	// A compute environment of its own, with a floor of 2 vCPUs.
	_, err := td.client.CreateComputeEnvironment(ctx, &awsbatch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: aws.String("scaling"),
		Type:                   types.CETypeManaged,
		ComputeResources: &types.ComputeResource{
			Type: types.CRTypeEc2, MinvCpus: aws.Int32(2), MaxvCpus: aws.Int32(16),
			InstanceTypes: []string{"local"}, AllocationStrategy: types.CRAllocationStrategyBestFitProgressive,
			Subnets: []string{"subnet-local"}, InstanceRole: aws.String("ecsInstanceRole"),
		},
	})
	if err != nil {
		t.Fatalf("CreateComputeEnvironment: %v", err)
	}
	_, err = td.client.CreateJobQueue(ctx, &awsbatch.CreateJobQueueInput{
		JobQueueName: aws.String("scaling"), Priority: aws.Int32(10),
		ComputeEnvironmentOrder: []types.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("scaling")}},
	})
	if err != nil {
		t.Fatalf("CreateJobQueue: %v", err)
	}
	waitFor(t, 30*time.Second, "minvCpus to be provisioned", func() bool {
		return aws.ToInt32(td.computeEnvironment(t, "scaling").ComputeResources.DesiredvCpus) == 2
	})

	var ids []string
	for range 6 {
		ids = append(ids, td.submit(t, &awsbatch.SubmitJobInput{
			JobQueue: aws.String("scaling"),
			ContainerOverrides: &types.ContainerOverrides{
				Command:              []string{"sleep", "2"},
				ResourceRequirements: []types.ResourceRequirement{{Type: types.ResourceTypeVcpu, Value: aws.String("2")}},
			},
		}))
	}
	peak := int32(0)
	waitFor(t, 60*time.Second, "scale-out for 12 vCPUs of demand", func() bool {
		peak = aws.ToInt32(td.computeEnvironment(t, "scaling").ComputeResources.DesiredvCpus)
		return peak >= 12
	})
	if peak > 16+8 {
		t.Errorf("desiredvCpus %d exceeds maxvCpus 16 by more than one instance", peak)
	}
	for _, id := range ids {
		if j := td.waitDone(t, id, 30*time.Second); j.Status != types.JobStatusSucceeded {
			t.Fatalf("job %s = %s (%s)", id, j.Status, aws.ToString(j.StatusReason))
		}
	}
	// Idle instances retire down to minvCpus. Instance sizes do not change,
	// so lower the floor to 0 to see the environment empty out entirely.
	var last types.ComputeEnvironmentDetail
	waitFor(t, 60*time.Second, "scale-in towards minvCpus once idle", func() bool {
		last = td.computeEnvironment(t, "scaling")
		d := aws.ToInt32(last.ComputeResources.DesiredvCpus)
		if d < 2 || d > 8 {
			return false
		}
		// Instance sizes do not change: what is left is the least that
		// holds minvCpus, one instance.
		insts, err := td.Control().Instances(ctx, "scaling")
		return err == nil && len(insts) == 1
	}, func() string { return aws.ToString(last.StatusReason) })
	if _, err := td.client.UpdateComputeEnvironment(ctx, &awsbatch.UpdateComputeEnvironmentInput{
		ComputeEnvironment: aws.String("scaling"),
		ComputeResources:   &types.ComputeResourceUpdate{MinvCpus: aws.Int32(0)},
	}); err != nil {
		t.Fatalf("UpdateComputeEnvironment: %v", err)
	}
	waitFor(t, 60*time.Second, "scale-in to minvCpus 0", func() bool {
		return aws.ToInt32(td.computeEnvironment(t, "scaling").ComputeResources.DesiredvCpus) == 0
	})
	waitFor(t, 5*time.Second, "every instance to be retired", func() bool {
		insts, err := td.Control().Instances(ctx, "scaling")
		return err == nil && len(insts) == 0
	})
	// The decision and its reason are there for any client to read: the
	// retirement stays in statusReason as the last change after the
	// passes that follow it have nothing to do.
	waitFor(t, 5*time.Second, "the retirement in statusReason", func() bool {
		last = td.computeEnvironment(t, "scaling")
		r := aws.ToString(last.StatusReason)
		return strings.Contains(r, "Last scaling decision") && strings.Contains(r, "retiring")
	}, func() string { return aws.ToString(last.StatusReason) })
}

func TestJobThatCannotFitExplainsWhy(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	id := td.submit(t, &awsbatch.SubmitJobInput{
		ContainerOverrides: &types.ContainerOverrides{
			Command:              []string{"true"},
			ResourceRequirements: []types.ResourceRequirement{{Type: types.ResourceTypeVcpu, Value: aws.String("4096")}},
		},
	})
	waitFor(t, 10*time.Second, "a MISCONFIGURATION reason", func() bool {
		j := td.describe(t, id)
		return j.Status == types.JobStatusRunnable && strings.HasPrefix(aws.ToString(j.StatusReason), "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT")
	})
}
