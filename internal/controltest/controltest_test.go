package controltest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/internal/controltest"
)

// TestStackTakesJobs: the default stack is a compute environment of up to
// 16 vCPUs of m5.large, and a job submitted to its queue with its
// definition is RUNNABLE at once, stamped by the control plane's clock.
func TestStackTakesJobs(t *testing.T) {
	ctx := t.Context()
	clk := batchtest.NewClock(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
	ctl, db := controltest.Open(t, control.Options{Clock: clk})
	controltest.CreateStack(t, ctl, controltest.Stack{})

	ces, err := ctl.DescribeComputeEnvironments(ctx, &batch.DescribeComputeEnvironmentsInput{})
	if err != nil || len(ces.ComputeEnvironments) != 1 {
		t.Fatalf("DescribeComputeEnvironments = %+v, %v; want one", ces, err)
	}
	ce := ces.ComputeEnvironments[0]
	if r := ce.ComputeResources; ce.ComputeEnvironmentName != "ce" || r == nil || *r.MaxvCpus != 16 || !slices.Equal(r.InstanceTypes, []string{"m5.large"}) {
		t.Errorf("compute environment %s with %+v, want ce of up to 16 vCPUs of m5.large", ce.ComputeEnvironmentName, r)
	}
	out, err := ctl.SubmitJob(ctx, &batch.SubmitJobInput{JobName: "j", JobQueue: "q", JobDefinition: "d"})
	if err != nil {
		t.Fatalf("SubmitJob: %v", err)
	}
	j, err := db.GetJob(ctx, out.JobID)
	if err != nil {
		t.Fatalf("GetJob: %v", err)
	}
	if j.Status != batch.Runnable || j.CreatedAt != clk.Now().UnixMilli() {
		t.Errorf("job %v created at %d, want RUNNABLE at %d", j.Status, j.CreatedAt, clk.Now().UnixMilli())
	}
	if c := j.Container; c == nil || !slices.Equal(c.Command, []string{"true"}) {
		t.Errorf("job's container %+v, want the definition's command true", c)
	}
}
