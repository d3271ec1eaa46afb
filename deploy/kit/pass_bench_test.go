package kit_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/internal/controltest"
	"github.com/tanda-batch/tanda/provisioner"
)

// BenchmarkProvisionerPass is one provisioner pass of one-machine Tanda
// (the control plane on its SQLite store, through kit.Observer) for a
// compute environment whose queue holds 0, 1,000 or 10,000 RUNNABLE jobs:
// what a backlog adds to every second of `tanda up` (docs/RELIABILITY.md,
// defect 4). The fleet launches nothing, so every pass plans the same.
func BenchmarkProvisionerPass(b *testing.B) {
	for _, n := range []int{0, 1000, 10000} {
		b.Run(fmt.Sprintf("runnable=%d", n), func(b *testing.B) {
			ctx := context.Background()
			p := benchProvisioner(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if err := p.Reconcile(ctx); err != nil {
					b.Fatalf("Reconcile: %v", err)
				}
			}
		})
	}
}

// benchProvisioner is a provisioner over a control plane whose queue holds
// n RUNNABLE jobs of 1 vCPU and 2 GiB, as SubmitJob writes them.
func benchProvisioner(b *testing.B, n int) *provisioner.Provisioner {
	b.Helper()
	ctx := context.Background()
	ctl, db, clk := newControl(b)
	zero, maxV := 0, 256
	controltest.CreateStack(b, ctl, controltest.Stack{
		Resources: &batch.ComputeResource{Type: batch.ComputeEC2, MinvCpus: &zero, MaxvCpus: &maxV, InstanceTypes: []string{"optimal"}},
		Container: controltest.Container("1", "2048", "sh", "-c", "echo hello"),
	})
	if n > 0 {
		out, err := ctl.SubmitJob(ctx, &batch.SubmitJobInput{JobName: "j", JobQueue: "q", JobDefinition: "d"})
		if err != nil {
			b.Fatalf("SubmitJob: %v", err)
		}
		job, err := db.GetJob(ctx, out.JobID)
		if err != nil || job.Status != batch.Runnable {
			b.Fatalf("the submitted job: %v, %v; want it RUNNABLE", job.Status, err)
		}
		var batchOf []batch.Job
		for i := 1; i < n; i++ {
			j := job
			j.JobID = fmt.Sprintf("%s-%05d", out.JobID, i)
			j.JobArn = job.JobArn + fmt.Sprintf("-%05d", i)
			j.Internal.Version = 0
			batchOf = append(batchOf, j)
			if len(batchOf) == 500 || i == n-1 {
				if err := db.CreateJobs(ctx, batchOf, nil); err != nil {
					b.Fatalf("CreateJobs: %v", err)
				}
				batchOf = batchOf[:0]
			}
		}
	}
	return provisioner.New(kit.Observer{Control: ctl, Clock: clk}, emptyFleet{}, provisioner.DefaultCatalog(), provisioner.Options{Clock: clk})
}

// emptyFleet has no instances and launches none.
type emptyFleet struct{}

func (emptyFleet) Instances(context.Context, string) ([]provisioner.Instance, error) { return nil, nil }

func (emptyFleet) Launch(context.Context, provisioner.LaunchRequest) ([]provisioner.Instance, error) {
	return nil, nil
}

func (emptyFleet) Terminate(context.Context, string, []string) error { return nil }
