package triggers_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/infra/sqlite"
	"github.com/tanda-batch/tanda/internal/controltest"
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
	ctl, db := controltest.Open(t, control.Options{Clock: clk, Logger: quietLogger()})
	zero, maxv := 0, 4
	controltest.CreateStack(t, ctl, controltest.Stack{
		Queue: queue, Definition: definition,
		Resources: &batch.ComputeResource{Type: batch.ComputeEC2, MinvCpus: &zero, MaxvCpus: &maxv, InstanceTypes: []string{"m5.large"}},
		Container: controltest.Container("1", "128", "echo", "s3://Ref::bucket/Ref::key", "Ref::size"),
	})
	return &rig{ctx: ctx, clk: clk, db: db, ctl: ctl}
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
