package kit_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/infra/sqlite"
	"github.com/tanda-batch/tanda/internal/controltest"
	"github.com/tanda-batch/tanda/provisioner"
)

func TestObserverShowsInstancesAsTheirAgentsReportThem(t *testing.T) {
	ctx := context.Background()
	ctl, _, clk := newControl(t)
	report := func(id string) time.Time {
		rec := control.InstanceRecord{ID: id, ComputeEnvironment: "ce", VCPUs: 2, MemoryMiB: 4096}
		if err := ctl.ReportInstance(ctx, rec); err != nil {
			t.Fatalf("ReportInstance(%s): %v", id, err)
		}
		return clk.Now()
	}
	quietAt := report("i-quiet")
	clk.Advance(2 * time.Minute)
	talkingAt := report("i-talking")

	o := kit.Observer{Control: ctl, Clock: clk}
	loads, err := o.Loads(ctx, "ce")
	if err != nil {
		t.Fatalf("Loads: %v", err)
	}
	if got := slices.Sorted(maps.Keys(loads)); !slices.Equal(got, []string{"i-quiet", "i-talking"}) {
		t.Fatalf("loads of %v, want both instances: forgetting is the provisioner's decision", got)
	}
	if !loads["i-quiet"].LastSeenAt.Equal(quietAt) || !loads["i-talking"].LastSeenAt.Equal(talkingAt) {
		t.Errorf("last seen %v and %v, want %v and %v", loads["i-quiet"].LastSeenAt, loads["i-talking"].LastSeenAt, quietAt, talkingAt)
	}

	if err := o.ForgetInstance(ctx, "ce", "i-quiet"); err != nil {
		t.Fatalf("ForgetInstance: %v", err)
	}
	recs, err := ctl.Instances(ctx, "ce")
	if err != nil || len(recs) != 1 || recs[0].ID != "i-talking" {
		t.Errorf("records after forgetting i-quiet: %+v (%v), want only i-talking", recs, err)
	}
}

// TestObserverGivesDemandTheTimeItBecameRunnable: the packing rule lets a
// job go on any instance once it has waited PackingPatience, counted from
// RunnableSince, so the planner must see since when the job waits. A job
// with nothing to wait for is RUNNABLE when submitted.
func TestObserverGivesDemandTheTimeItBecameRunnable(t *testing.T) {
	ctx := context.Background()
	ctl, _, clk := newControl(t)
	zero, maxV := 0, 16
	controltest.CreateStack(t, ctl, controltest.Stack{
		Resources: &batch.ComputeResource{Type: batch.ComputeEC2, MinvCpus: &zero, MaxvCpus: &maxV, InstanceTypes: []string{"optimal"}},
	})
	clk.Advance(time.Minute)
	runnableAt := clk.Now()
	if _, err := ctl.SubmitJob(ctx, &batch.SubmitJobInput{JobName: "j", JobQueue: "q", JobDefinition: "d"}); err != nil {
		t.Fatalf("SubmitJob: %v", err)
	}
	clk.Advance(time.Minute)

	demand, err := kit.Observer{Control: ctl, Clock: clk}.Demand(ctx, "ce", 10, clk.Now().Add(-provisioner.PackingPatience))
	if err != nil || len(demand) != 1 || demand[0].Count != 1 {
		t.Fatalf("Demand = %+v, %v; want the one RUNNABLE job", demand, err)
	}
	if got := demand[0].Job.RunnableSince; !got.Equal(runnableAt) {
		t.Errorf("RunnableSince = %v, want %v, when the job became RUNNABLE", got, runnableAt)
	}
}

// newControl is a control plane over an embedded store, on a test clock,
// that knows the instance types of the provisioner's catalog.
func newControl(tb testing.TB) (*control.Service, *sqlite.DB, *batchtest.Clock) {
	tb.Helper()
	clk := batchtest.NewClock(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	ctl, db := controltest.Open(tb, control.Options{Clock: clk, InstanceTypes: kit.InstanceTypes{Catalog: provisioner.DefaultCatalog()}})
	return ctl, db, clk
}
