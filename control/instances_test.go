package control_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

func (h *harness) instances() []control.InstanceRecord {
	h.t.Helper()
	recs, err := h.svc.Instances(h.ctx, ceName)
	if err != nil {
		h.t.Fatalf("Instances: %v", err)
	}
	return recs
}

func TestInstanceRecords(t *testing.T) {
	h := newHarness(t)
	registered := batch.Millis(h.clk.Now())
	rec := control.InstanceRecord{ID: "i-1", ComputeEnvironment: ceName, InstanceType: "m5.large", VCPUs: 2, MemoryMiB: 8192}
	if err := h.svc.ReportInstance(h.ctx, rec); err != nil {
		t.Fatalf("ReportInstance: %v", err)
	}
	if err := h.svc.DrainInstance(h.ctx, ceName, "i-1"); err != nil {
		t.Fatalf("DrainInstance: %v", err)
	}
	h.clk.Advance(time.Minute)
	rec.UsedVCPUs, rec.RunningJobs = 1, 1
	if err := h.svc.ReportInstance(h.ctx, rec); err != nil {
		t.Fatalf("second ReportInstance: %v", err)
	}

	recs := h.instances()
	if len(recs) != 1 {
		t.Fatalf("instances = %d, want 1", len(recs))
	}
	got := recs[0]
	if got.RegisteredAt != registered || got.LastSeenAt != batch.Millis(h.clk.Now()) {
		t.Errorf("registeredAt %d, lastSeenAt %d; want %d and %d", got.RegisteredAt, got.LastSeenAt, registered, batch.Millis(h.clk.Now()))
	}
	if !got.Draining {
		t.Error("a report from the agent cleared draining; want it to stick")
	}
	if got.UsedVCPUs != 1 || got.RunningJobs != 1 {
		t.Errorf("load = %g vCPU, %d jobs; want 1, 1", got.UsedVCPUs, got.RunningJobs)
	}
	if err := h.svc.DrainInstance(h.ctx, ceName, "i-gone"); err != nil {
		t.Errorf("DrainInstance of an unknown instance: %v", err)
	}
}

func TestForgetInstanceEndsItsAttempts(t *testing.T) {
	h := newHarness(t)
	if err := h.svc.ReportInstance(h.ctx, control.InstanceRecord{ID: "i-1", ComputeEnvironment: ceName, VCPUs: 2}); err != nil {
		t.Fatalf("ReportInstance: %v", err)
	}
	id := h.submit(&batch.SubmitJobInput{RetryStrategy: &batch.RetryStrategy{Attempts: ptr(2)}})
	h.drain()
	h.start(id, "i-1")

	if err := h.svc.ForgetInstance(h.ctx, ceName, "i-1"); err != nil {
		t.Fatalf("ForgetInstance: %v", err)
	}
	if recs := h.instances(); len(recs) != 0 {
		t.Errorf("instances after ForgetInstance = %v, want none", recs)
	}
	if j := h.wantStatus(id, batch.Runnable); j.StatusReason != control.HostTerminatedReason("i-1") {
		t.Errorf("statusReason = %q, want %q", j.StatusReason, control.HostTerminatedReason("i-1"))
	}
	if err := h.svc.ForgetInstance(h.ctx, ceName, "i-1"); err != nil {
		t.Errorf("forgetting an instance twice: %v", err)
	}
}

func TestRecordDecision(t *testing.T) {
	h := newHarness(t)
	d := batch.ScalingDecision{At: batch.Millis(h.clk.Now()), DesiredvCpus: 4, Launch: []string{"m5.large"}, Reason: "2 RUNNABLE jobs"}
	if err := h.svc.RecordDecision(h.ctx, ceName, d); err != nil {
		t.Fatalf("RecordDecision: %v", err)
	}
	ce, err := h.svc.ComputeEnvironment(h.ctx, ceName)
	if err != nil {
		t.Fatalf("ComputeEnvironment: %v", err)
	}
	if ce.Decision == nil || ce.Decision.Reason != d.Reason || *ce.ComputeResources.DesiredvCpus != 4 {
		t.Errorf("decision %+v, desiredvCpus %d; want %+v and 4", ce.Decision, *ce.ComputeResources.DesiredvCpus, d)
	}
	if err := h.svc.RecordDecision(h.ctx, "ghost", d); err != nil {
		t.Errorf("RecordDecision for an unknown compute environment: %v", err)
	}
}

// TestRecordDecisionKeepsTheLastChange: a pass that changes nothing does
// not hide the retirement before it from statusReason.
func TestRecordDecisionKeepsTheLastChange(t *testing.T) {
	h := newHarness(t)
	retire := batch.ScalingDecision{At: batch.Millis(h.clk.Now()), DesiredvCpus: 0, Retire: []string{"i-1"}, Reason: "retiring idle i-1"}
	if err := h.svc.RecordDecision(h.ctx, ceName, retire); err != nil {
		t.Fatalf("RecordDecision: %v", err)
	}
	h.clk.Advance(time.Second)
	idle := batch.ScalingDecision{At: batch.Millis(h.clk.Now()), DesiredvCpus: 0, Reason: "no RUNNABLE jobs"}
	if err := h.svc.RecordDecision(h.ctx, ceName, idle); err != nil {
		t.Fatalf("RecordDecision: %v", err)
	}
	ce, err := h.svc.ComputeEnvironment(h.ctx, ceName)
	if err != nil {
		t.Fatalf("ComputeEnvironment: %v", err)
	}
	if ce.Decision == nil || ce.Decision.Reason != idle.Reason {
		t.Errorf("decision %+v, want %+v", ce.Decision, idle)
	}
	if ce.LastChange == nil || ce.LastChange.Reason != retire.Reason {
		t.Errorf("last change %+v, want %+v", ce.LastChange, retire)
	}
	if !strings.Contains(ce.StatusReason, "no RUNNABLE jobs") || !strings.Contains(ce.StatusReason, "Last change") || !strings.Contains(ce.StatusReason, "retiring idle i-1") {
		t.Errorf("statusReason = %q, want the latest decision and the last change", ce.StatusReason)
	}
}

func TestGetJobQueueSnapshot(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for range 3 {
		h.clk.Advance(time.Second)
		ids = append(ids, h.submit(&batch.SubmitJobInput{}))
	}
	h.drain()
	h.start(ids[0], "i-1")

	out, err := h.svc.GetJobQueueSnapshot(h.ctx, &batch.GetJobQueueSnapshotInput{JobQueue: queueName})
	if err != nil {
		t.Fatalf("GetJobQueueSnapshot: %v", err)
	}
	var front []string
	for _, j := range out.FrontOfQueue.Jobs {
		front = append(front, j.JobArn)
		if j.EarliestTimeAtPosition == 0 {
			t.Errorf("job %s has no earliestTimeAtPosition", j.JobArn)
		}
	}
	want := []string{testPartition.JobARN(ids[1]), testPartition.JobARN(ids[2])}
	if len(front) != len(want) || front[0] != want[0] || front[1] != want[1] {
		t.Errorf("front of queue = %v, want %v", front, want)
	}
	if u := out.QueueUtilization.TotalCapacityUsage; len(u) != 1 || u[0].Quantity != 1 || u[0].CapacityUnit != "VCPU" {
		t.Errorf("total capacity usage = %+v, want 1 VCPU", u)
	}
	if out.QueueUtilization.FairshareUtilization != nil {
		t.Errorf("a FIFO queue has fair-share utilization %+v", out.QueueUtilization.FairshareUtilization)
	}
	_, err = h.svc.GetJobQueueSnapshot(h.ctx, &batch.GetJobQueueSnapshotInput{JobQueue: "ghost"})
	wantClientError(t, err, "not found")
}
