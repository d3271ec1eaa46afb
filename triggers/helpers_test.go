package triggers_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/infra/sqlite"
	"github.com/tanda-batch/tanda/triggers"
)

// The queue and definition every rig has.
const (
	queue      = "q"
	definition = "d"
)

// rig is a control plane over an embedded store, with a compute
// environment, a job queue and a job definition whose command prints its
// bucket and key.
type rig struct {
	ctx context.Context
	clk *batchtest.Clock
	db  *sqlite.DB
	ctl *control.Service
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx := context.Background()
	clk := batchtest.NewClock(time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC))
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), sqlite.Options{Clock: clk})
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	ctl := control.New(db, control.Options{Clock: clk, Queues: db, Logger: quietLogger()})
	r := &rig{ctx: ctx, clk: clk, db: db, ctl: ctl}
	one, maxv := 0, 4
	if _, err := ctl.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: "ce", Type: batch.TypeManaged,
		ComputeResources: &batch.ComputeResource{Type: batch.ComputeEC2, MinvCpus: &one, MaxvCpus: &maxv, InstanceTypes: []string{"m5.large"}},
	}); err != nil {
		t.Fatalf("CreateComputeEnvironment: %v", err)
	}
	prio := 1
	if _, err := ctl.CreateJobQueue(ctx, &batch.CreateJobQueueInput{JobQueueName: queue, Priority: &prio,
		ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{{Order: 1, ComputeEnvironment: "ce"}}}); err != nil {
		t.Fatalf("CreateJobQueue: %v", err)
	}
	if _, err := ctl.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
		JobDefinitionName: definition, Type: batch.DefinitionTypeContainer,
		ContainerProperties: &batch.ContainerProperties{
			Image: "busybox", Command: []string{"echo", "s3://Ref::bucket/Ref::key", "Ref::size"},
			ResourceRequirements: []batch.ResourceRequirement{{Type: batch.ResourceVCPU, Value: "1"}, {Type: batch.ResourceMemory, Value: "128"}},
		},
	}); err != nil {
		t.Fatalf("RegisterJobDefinition: %v", err)
	}
	return r
}

// createRule stores a rule on the rig's queue and definition.
func (r *rig) createRule(t *testing.T, name, bucket, prefix, suffix string) triggers.Rule {
	t.Helper()
	rule, err := r.ctl.CreateTriggerRule(r.ctx, triggers.Rule{Name: name, Bucket: bucket, Prefix: prefix, Suffix: suffix,
		JobQueue: queue, JobDefinition: definition})
	if err != nil {
		t.Fatalf("CreateTriggerRule(%s): %v", name, err)
	}
	return rule
}

// jobs lists the queue's jobs, newest first.
func (r *rig) jobs(t *testing.T) []batch.Job {
	t.Helper()
	pg, err := r.db.ListJobs(r.ctx, batch.JobQuery{Queue: queue, Limit: 1000})
	if err != nil {
		t.Fatalf("listing jobs: %v", err)
	}
	return pg.Jobs
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
