package control_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// instanceType is the size of one fake instance type.
type instanceType struct {
	vcpus     float64
	memoryMiB int64
}

// fakeInstanceTypes is a control.InstanceTypes over a fixed catalogue.
type fakeInstanceTypes map[string]instanceType

func (f fakeInstanceTypes) Check(types []string, _ string) error {
	for _, t := range types {
		if _, ok := f[t]; !ok {
			return fmt.Errorf("unknown instance type %q", t)
		}
	}
	return nil
}

func (f fakeInstanceTypes) Fits(types []string, _ string, vcpus float64, memoryMiB, gpus int64) bool {
	for _, t := range types {
		if it, ok := f[t]; ok && gpus == 0 && it.vcpus >= vcpus && it.memoryMiB >= memoryMiB {
			return true
		}
	}
	return false
}

var catalogue = fakeInstanceTypes{"m5.large": {vcpus: 2, memoryMiB: 8192}}

func withInstanceTypes(o *control.Options) { o.InstanceTypes = catalogue }

// needing overrides a submission's vCPUs.
func needing(vcpus int) *batch.ContainerOverrides {
	return &batch.ContainerOverrides{ResourceRequirements: []batch.ResourceRequirement{{Type: batch.ResourceVCPU, Value: fmt.Sprint(vcpus)}}}
}

func TestCreateComputeEnvironmentChecksInstanceTypes(t *testing.T) {
	h := newHarness(t, withInstanceTypes)
	_, err := h.svc.CreateComputeEnvironment(h.ctx, &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: "odd",
		Type:                   batch.TypeManaged,
		ComputeResources:       &batch.ComputeResource{Type: batch.ComputeEC2, MaxvCpus: ptr(4), InstanceTypes: []string{"z9.huge"}},
	})
	wantClientError(t, err, "z9.huge")
}

func TestQueuePassExplainsBlockedJobs(t *testing.T) {
	h := newHarness(t, withInstanceTypes)
	h.createCE("full", 4, 4)
	h.createQueue(&batch.CreateJobQueueInput{JobQueueName: "fullq", ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{{Order: 1, ComputeEnvironment: "full"}}})

	tests := []struct {
		name       string
		in         batch.SubmitJobInput
		wantPrefix string
	}{
		{"fits", batch.SubmitJobInput{}, ""},
		{"bigger than any instance type", batch.SubmitJobInput{ContainerOverrides: needing(64)}, "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"},
		{"compute environments at maxvCpus", batch.SubmitJobInput{JobQueue: "fullq"}, "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY"},
	}
	ids := make([]string, len(tests))
	for i, tt := range tests {
		ids[i] = h.submit(&tt.in)
	}
	h.drain()
	if err := h.svc.QueuePass(h.ctx, control.QueuePassOptions{Head: 10}); err != nil {
		t.Fatalf("QueuePass: %v", err)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := h.with(t)
			j := h.wantStatus(ids[i], batch.Runnable)
			if tt.wantPrefix == "" && j.StatusReason != "" || !strings.HasPrefix(j.StatusReason, tt.wantPrefix) {
				t.Errorf("statusReason = %q, want prefix %q", j.StatusReason, tt.wantPrefix)
			}
		})
	}

	// Once capacity allows, the reason goes away.
	if _, err := h.svc.UpdateComputeEnvironment(h.ctx, &batch.UpdateComputeEnvironmentInput{
		ComputeEnvironment: "full", ComputeResources: &batch.ComputeResourceUpdate{MaxvCpus: ptr(8)},
	}); err != nil {
		t.Fatalf("UpdateComputeEnvironment: %v", err)
	}
	if err := h.svc.QueuePass(h.ctx, control.QueuePassOptions{Head: 10}); err != nil {
		t.Fatalf("QueuePass: %v", err)
	}
	if j := h.job(ids[2]); j.StatusReason != "" {
		t.Errorf("statusReason after raising maxvCpus = %q, want none", j.StatusReason)
	}
}

func TestJobStateTimeLimitCancelsBlockedJob(t *testing.T) {
	h := newHarness(t, withInstanceTypes)
	h.createQueue(&batch.CreateJobQueueInput{
		JobQueueName: "limited",
		JobStateTimeLimitActions: []batch.JobStateTimeLimitAction{{
			Reason: batch.ReasonJobResourceRequirement, State: "RUNNABLE", MaxTimeSeconds: 600, Action: "CANCEL",
		}},
	})
	big := h.submit(&batch.SubmitJobInput{JobQueue: "limited", ContainerOverrides: needing(64)})
	small := h.submit(&batch.SubmitJobInput{JobQueue: "limited"})
	h.drain()
	pass := func() {
		t.Helper()
		if err := h.svc.QueuePass(h.ctx, control.QueuePassOptions{Head: 10}); err != nil {
			t.Fatalf("QueuePass: %v", err)
		}
	}

	pass()
	if j := h.wantStatus(big, batch.Runnable); !strings.HasPrefix(j.StatusReason, batch.ReasonJobResourceRequirement) {
		t.Fatalf("statusReason = %q, want the resource requirement reason", j.StatusReason)
	}
	h.clk.Advance(599 * time.Second)
	pass()
	h.wantStatus(big, batch.Runnable)

	h.clk.Advance(time.Second)
	pass()
	j := h.wantStatus(big, batch.Failed)
	if want := "Canceled by JobStateTimeLimit action due to reason: MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT"; j.StatusReason != want {
		t.Errorf("statusReason = %q, want %q", j.StatusReason, want)
	}
	if j.IsCancelled == nil || !*j.IsCancelled {
		t.Errorf("isCancelled = %v, want true", j.IsCancelled)
	}
	h.wantStatus(small, batch.Runnable)
}

func TestFairShareQueueRingsInShareOrder(t *testing.T) {
	h := newHarness(t)
	sp, err := h.svc.CreateSchedulingPolicy(h.ctx, &batch.CreateSchedulingPolicyInput{
		Name: "fair",
		FairsharePolicy: &batch.FairsharePolicy{ShareDistribution: []batch.ShareAttributes{
			{ShareIdentifier: "A", WeightFactor: ptr(1.0)},
			{ShareIdentifier: "B", WeightFactor: ptr(1.0)},
		}},
	})
	if err != nil {
		t.Fatalf("CreateSchedulingPolicy: %v", err)
	}
	h.createQueue(&batch.CreateJobQueueInput{JobQueueName: "fq", SchedulingPolicyArn: sp.Arn})
	_, err = h.svc.SubmitJob(h.ctx, &batch.SubmitJobInput{JobName: "x", JobQueue: "fq", JobDefinition: defName})
	wantClientError(t, err, "shareIdentifier")

	submit := func(share string) string {
		h.clk.Advance(time.Second)
		return h.submit(&batch.SubmitJobInput{JobQueue: "fq", ShareIdentifier: share})
	}
	a1, a2, a3, b1 := submit("A"), submit("A"), submit("A"), submit("B")
	h.drain()
	readyQ := control.ReadyQueue("fq")
	if got := h.takeAll(readyQ); len(got) != 0 {
		t.Fatalf("ready doorbells of a fair-share queue before QueuePass = %v, want none", got)
	}
	for _, id := range []string{a1, a2, a3, b1} {
		h.wantStatus(id, batch.Runnable)
	}

	// The window of offers follows free capacity: one instance with one
	// free vCPU starts one 1-vCPU job now, and one more is staged.
	if err := h.svc.ReportInstance(h.ctx, control.InstanceRecord{ID: "i-1", ComputeEnvironment: ceName, VCPUs: 1, MemoryMiB: 1024}); err != nil {
		t.Fatalf("ReportInstance: %v", err)
	}
	pass := func() []string {
		t.Helper()
		if err := h.svc.QueuePass(h.ctx, control.QueuePassOptions{Head: 100, FairShareWindow: 2}); err != nil {
			t.Fatalf("QueuePass: %v", err)
		}
		return h.takeAll(readyQ)
	}
	// FIFO would offer a1 and a2; fair share offers one job per share.
	if got, want := pass(), sorted(a1, b1); !slices.Equal(got, want) {
		t.Errorf("first offer = %v, want %v", got, want)
	}

	// Share A now runs a job; B runs none and has none waiting: A's next
	// jobs are offered.
	if _, err := h.svc.Claim(h.ctx, a1, control.Placement{InstanceID: "i-1", ComputeEnvironment: ceName}); err != nil {
		t.Fatalf("Claim: %v", err)
	}
	if _, err := h.svc.Claim(h.ctx, b1, control.Placement{InstanceID: "i-1", ComputeEnvironment: ceName}); err != nil {
		t.Fatalf("Claim: %v", err)
	}
	if got, want := pass(), sorted(a2, a3); !slices.Equal(got, want) {
		t.Errorf("second offer = %v, want %v", got, want)
	}

	// b1 finishes: B runs nothing, A runs a1. A new B job goes first, then
	// the shares are even and A's next job follows.
	if _, err := h.svc.FinishAttempt(h.ctx, b1, 1, "i-1", exited(0)); err != nil {
		t.Fatalf("FinishAttempt: %v", err)
	}
	b2 := submit("B")
	h.drain()
	if got := h.takeAll(readyQ); len(got) != 0 {
		t.Errorf("ready doorbells after a fair-share submit = %v, want none", got)
	}
	if got, want := pass(), sorted(a2, b2); !slices.Equal(got, want) {
		t.Errorf("third offer = %v, want %v", got, want)
	}
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

func TestQueuePassRingsLostReadyDoorbellsAgain(t *testing.T) {
	h := newHarness(t)
	id := h.submit(&batch.SubmitJobInput{})
	h.drain()
	h.ready() // the doorbell is lost
	o := control.QueuePassOptions{Head: 10, Every: time.Second, ReringAfter: 30 * time.Second}
	// One pass a second for ten minutes: rings at 30 s, 60 s, 120 s,
	// 240 s, then at most 5 minutes apart (480 s).
	var rungAt []int
	for sec := 1; sec <= 600; sec++ {
		h.clk.Advance(time.Second)
		if err := h.svc.QueuePass(h.ctx, o); err != nil {
			t.Fatalf("QueuePass: %v", err)
		}
		if got := h.ready(); len(got) > 0 {
			if !slices.Equal(got, []string{id}) {
				t.Fatalf("doorbells at %d s = %v, want [%s]", sec, got, id)
			}
			rungAt = append(rungAt, sec)
		}
	}
	if want := []int{30, 60, 120, 240, 480}; !slices.Equal(rungAt, want) {
		t.Errorf("rung at %v s, want %v", rungAt, want)
	}
	// The agent that gets it claims the job.
	h.start(id, "i-1")
	h.wantStatus(id, batch.Running)
}

// A pass that takes longer than its interval delays the next: the ring
// points that fell between two passes are rung by the later one, not
// skipped (chaos suite on moto: array children RUNNABLE for minutes,
// never claimed, their doorbells lost with a failed send and the queue
// pass, slowed by the emulator, missing every ring point). A control
// plane that has just started rings every due job once.
func TestQueuePassRingsWhatFellDueBetweenLatePasses(t *testing.T) {
	h := newHarness(t)
	id := h.submit(&batch.SubmitJobInput{})
	h.drain()
	h.ready() // the doorbell is lost
	o := control.QueuePassOptions{Head: 10, Every: time.Second, ReringAfter: 30 * time.Second}
	pass := func(at string) []string {
		t.Helper()
		if err := h.svc.QueuePass(h.ctx, o); err != nil {
			t.Fatalf("QueuePass at %s: %v", at, err)
		}
		return h.ready()
	}
	h.clk.Advance(25 * time.Second)
	if got := pass("25 s"); len(got) > 0 {
		t.Fatalf("doorbells at 25 s = %v, want none", got)
	}
	h.clk.Advance(8 * time.Second) // the 30 s ring point falls in between
	if got := pass("33 s"); !slices.Equal(got, []string{id}) {
		t.Errorf("doorbells at 33 s, after a pass 8 s late = %v, want [%s]", got, id)
	}

	restarted := control.New(h.store, control.Options{Partition: testPartition, Clock: h.clk, Queues: h.db})
	h.clk.Advance(10 * time.Second) // 43 s: no ring point since 33 s
	if err := restarted.QueuePass(h.ctx, o); err != nil {
		t.Fatalf("QueuePass after a restart: %v", err)
	}
	if got := h.ready(); !slices.Equal(got, []string{id}) {
		t.Errorf("doorbells at the first pass after a restart = %v, want [%s]", got, id)
	}
}

// A pass that changes no job's reason reads no job again: most passes
// change nothing, and each read is a GetItem on DynamoDB.
func TestQueuePassRereadsOnlyJobsWhoseReasonChanges(t *testing.T) {
	h := newHarness(t, withInstanceTypes)
	for range 5 {
		h.submit(&batch.SubmitJobInput{ContainerOverrides: needing(64)})
	}
	h.drain()
	pass := func() int64 {
		before := h.store.gets.Load()
		if err := h.svc.QueuePass(h.ctx, control.QueuePassOptions{Head: 10}); err != nil {
			t.Fatalf("QueuePass: %v", err)
		}
		return h.store.gets.Load() - before
	}
	if first := pass(); first < 5 {
		t.Errorf("the pass that explained 5 blocked jobs read %d jobs, want at least 5", first)
	}
	if second := pass(); second != 0 {
		t.Errorf("a pass that changed nothing read %d jobs again, want 0", second)
	}
}
