package control_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// children lists an array job's child ids, index 0 first.
func children(parent string, size int) []string {
	ids := make([]string, size)
	for i := range ids {
		ids[i] = control.ChildID(parent, i)
	}
	return ids
}

// summary is a statusSummary with the given counts and zeros elsewhere.
func summary(counts map[batch.Status]int) map[string]int {
	out := map[string]int{}
	for _, st := range batch.AllStatuses {
		out[st.String()] = counts[st]
	}
	return out
}

func (h *harness) wantSummary(parent string, counts map[batch.Status]int) {
	h.t.Helper()
	out, err := h.svc.DescribeJobs(h.ctx, &batch.DescribeJobsInput{Jobs: []string{parent}})
	if err != nil {
		h.t.Fatalf("DescribeJobs: %v", err)
	}
	if len(out.Jobs) != 1 {
		h.t.Fatalf("DescribeJobs returned %d jobs, want 1", len(out.Jobs))
	}
	got := out.Jobs[0].ArrayProperties.StatusSummary
	if want := summary(counts); !maps.Equal(got, want) {
		h.t.Errorf("statusSummary = %v, want %v", got, want)
	}
}

func TestArrayJobExpands(t *testing.T) {
	h := newHarness(t)
	p := h.submit(&batch.SubmitJobInput{JobName: "arr", ArrayProperties: &batch.ArrayProperties{Size: ptr(5)}})
	h.drain()

	parent := h.wantStatus(p, batch.Pending)
	if !parent.Internal.Expanded {
		t.Error("parent not marked expanded")
	}
	kids := children(p, 5)
	for i, id := range kids {
		c := h.wantStatus(id, batch.Runnable)
		if c.ArrayProperties == nil || c.ArrayProperties.Index == nil || *c.ArrayProperties.Index != i {
			t.Errorf("child %s arrayProperties = %+v, want index %d", id, c.ArrayProperties, i)
		}
		if c.JobName != "arr" || c.JobArn != testPartition.JobARN(id) {
			t.Errorf("child %s: name %q arn %q", id, c.JobName, c.JobArn)
		}
	}
	if got := h.ready(); !slices.Equal(got, kids) {
		t.Errorf("ready doorbells = %v, want the children %v", got, kids)
	}
	h.wantSummary(p, map[batch.Status]int{batch.Runnable: 5})

	h.run(kids[0], 0)
	h.start(kids[1], "i-1")
	h.wantSummary(p, map[batch.Status]int{batch.Runnable: 3, batch.Running: 1, batch.Succeeded: 1})
}

// TestArrayParentFinishesWithChildren: the parent waits while any child
// is open, whichever end first, and then finishes as its children did.
func TestArrayParentFinishesWithChildren(t *testing.T) {
	tests := []struct {
		name       string
		exits      []int
		order      []int // the children's indexes in the order they end
		want       batch.Status
		wantReason string
	}{
		{"all succeed", []int{0, 0, 0}, []int{0, 1, 2}, batch.Succeeded, ""},
		{"one fails", []int{0, 1, 0}, []int{0, 1, 2}, batch.Failed, control.ReasonArrayChild},
		{"all succeed, the last first", []int{0, 0, 0, 0}, []int{3, 2, 1, 0}, batch.Succeeded, ""},
		{"all succeed, the first last", []int{0, 0, 0, 0}, []int{1, 3, 2, 0}, batch.Succeeded, ""},
		{"the failed one ends last", []int{1, 0, 0, 0}, []int{3, 1, 2, 0}, batch.Failed, control.ReasonArrayChild},
		{"the failed one ends first", []int{0, 0, 1, 0}, []int{2, 0, 3, 1}, batch.Failed, control.ReasonArrayChild},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := h.with(t)
			size := len(tt.exits)
			p := h.submit(&batch.SubmitJobInput{ArrayProperties: &batch.ArrayProperties{Size: ptr(size)}})
			h.drain()
			kids := children(p, size)
			for _, i := range tt.order {
				h.wantStatus(p, batch.Pending)
				h.run(kids[i], tt.exits[i])
			}
			j := h.wantStatus(p, tt.want)
			if j.StatusReason != tt.wantReason {
				t.Errorf("statusReason = %q, want %q", j.StatusReason, tt.wantReason)
			}
			if j.StoppedAt == 0 {
				t.Error("stoppedAt not set")
			}
		})
	}
}

// A child's end rings its array parent only when no child is left open:
// SQS does not merge doorbells, and ringing it at every child's end put a
// doorbell per child on the scheduler's queue. The last child to end, in
// whatever order, still rings it.
func TestOnlyTheLastChildToEndRingsTheParent(t *testing.T) {
	h := newHarness(t)
	p := h.submit(&batch.SubmitJobInput{ArrayProperties: &batch.ArrayProperties{Size: ptr(4)}})
	h.drain()
	kids := children(p, 4)
	attempts := map[string]int{}
	for _, i := range []int{2, 0, 3, 1} {
		attempts[kids[i]] = h.start(kids[i], "i-run")
	}
	for n, i := range []int{2, 0, 3, 1} {
		h.finish(kids[i], attempts[kids[i]], "i-run", exited(0))
		rung := slices.Contains(h.takeAll(control.SubmissionsQueue), p)
		if last := n == 3; rung != last {
			t.Fatalf("after child %d ended (%d of 4), parent rung = %v, want %v", i, n+1, rung, last)
		}
	}
	// The test took the parent's doorbell: evaluate it as the scheduler would.
	if err := h.svc.Evaluate(h.ctx, p); err != nil {
		t.Fatalf("Evaluate(%s): %v", p, err)
	}
	h.wantStatus(p, batch.Succeeded)
}

func TestArrayParentWakesDependents(t *testing.T) {
	h := newHarness(t)
	p := h.submit(&batch.SubmitJobInput{ArrayProperties: &batch.ArrayProperties{Size: ptr(2)}})
	after := h.submit(&batch.SubmitJobInput{DependsOn: dependsOn(p)})
	h.drain()
	h.wantStatus(after, batch.Pending)
	for _, id := range children(p, 2) {
		h.run(id, 0)
	}
	h.wantStatus(p, batch.Succeeded)
	h.wantStatus(after, batch.Runnable)
}

func TestArraySequential(t *testing.T) {
	h := newHarness(t)
	p := h.submit(&batch.SubmitJobInput{
		ArrayProperties: &batch.ArrayProperties{Size: ptr(3)},
		DependsOn:       []batch.JobDependency{{Type: batch.DependencySequential}},
	})
	h.drain()
	kids := children(p, 3)
	for i := range kids {
		for k, id := range kids {
			want := batch.Pending
			switch {
			case k < i:
				want = batch.Succeeded
			case k == i:
				want = batch.Runnable
			}
			h.wantStatus(id, want)
		}
		h.run(kids[i], 0)
	}
	h.wantStatus(p, batch.Succeeded)
}

func TestArraySequentialFailureStopsTheChain(t *testing.T) {
	h := newHarness(t)
	p := h.submit(&batch.SubmitJobInput{
		ArrayProperties: &batch.ArrayProperties{Size: ptr(3)},
		DependsOn:       []batch.JobDependency{{Type: batch.DependencySequential}},
	})
	h.drain()
	kids := children(p, 3)
	h.run(kids[0], 1)
	for _, id := range kids[1:] {
		if j := h.wantStatus(id, batch.Failed); j.StatusReason != control.ReasonDependency {
			t.Errorf("child %s statusReason = %q, want %q", id, j.StatusReason, control.ReasonDependency)
		}
	}
	h.wantStatus(p, batch.Failed)
}

func TestArrayNToN(t *testing.T) {
	h := newHarness(t)
	a := h.submit(&batch.SubmitJobInput{JobName: "a", ArrayProperties: &batch.ArrayProperties{Size: ptr(3)}})
	h.drain()
	aKids := children(a, 3)
	h.run(aKids[2], 0) // finished before b exists

	b := h.submit(&batch.SubmitJobInput{
		JobName:         "b",
		ArrayProperties: &batch.ArrayProperties{Size: ptr(3)},
		DependsOn:       []batch.JobDependency{{JobID: a, Type: batch.DependencyNToN}},
	})
	h.drain()
	bKids := children(b, 3)
	h.wantStatus(b, batch.Pending)
	h.wantStatus(bKids[0], batch.Pending)
	h.wantStatus(bKids[1], batch.Pending)
	h.wantStatus(bKids[2], batch.Runnable)

	h.run(aKids[1], 0)
	h.wantStatus(bKids[0], batch.Pending)
	h.wantStatus(bKids[1], batch.Runnable)

	h.run(aKids[0], 1)
	if j := h.wantStatus(bKids[0], batch.Failed); j.StatusReason != control.ReasonDependency {
		t.Errorf("statusReason = %q, want %q", j.StatusReason, control.ReasonDependency)
	}
}

func TestArrayNToNNeedsSameSize(t *testing.T) {
	h := newHarness(t)
	a := h.submit(&batch.SubmitJobInput{ArrayProperties: &batch.ArrayProperties{Size: ptr(3)}})
	plain := h.submit(&batch.SubmitJobInput{})
	for _, dep := range []string{a, plain} {
		_, err := h.svc.SubmitJob(h.ctx, &batch.SubmitJobInput{
			JobName: "b", JobQueue: queueName, JobDefinition: defName,
			ArrayProperties: &batch.ArrayProperties{Size: ptr(4)},
			DependsOn:       []batch.JobDependency{{JobID: dep, Type: batch.DependencyNToN}},
		})
		wantClientError(t, err, "N_TO_N")
	}
}

func TestCancelArrayParentCancelsChildren(t *testing.T) {
	h := newHarness(t)
	p := h.submit(&batch.SubmitJobInput{ArrayProperties: &batch.ArrayProperties{Size: ptr(4)}})
	h.drain()
	kids := children(p, 4)
	h.run(kids[0], 0)
	h.start(kids[1], "i-1")

	if err := h.svc.CancelJob(h.ctx, &batch.JobActionInput{JobID: p, Reason: "stop all"}); err != nil {
		t.Fatalf("CancelJob: %v", err)
	}
	h.drain()
	h.wantStatus(kids[0], batch.Succeeded)
	h.wantStatus(kids[1], batch.Running) // cancel leaves running children alone
	for _, id := range kids[2:] {
		j := h.wantStatus(id, batch.Failed)
		if j.IsCancelled == nil || !*j.IsCancelled || j.StatusReason != "stop all" {
			t.Errorf("child %s: isCancelled %v, statusReason %q; want true, %q", id, j.IsCancelled, j.StatusReason, "stop all")
		}
	}
	h.wantStatus(p, batch.Pending)

	h.finish(kids[1], 1, "i-1", exited(0))
	h.drain()
	j := h.wantStatus(p, batch.Failed)
	if j.IsCancelled == nil || !*j.IsCancelled || j.StatusReason != "stop all" {
		t.Errorf("parent: isCancelled %v, statusReason %q; want true, %q", j.IsCancelled, j.StatusReason, "stop all")
	}
}

func TestTerminateArrayParentTerminatesRunningChildren(t *testing.T) {
	h := newHarness(t)
	p := h.submit(&batch.SubmitJobInput{ArrayProperties: &batch.ArrayProperties{Size: ptr(2)}})
	h.drain()
	kids := children(p, 2)
	a := h.start(kids[0], "i-1")
	if err := h.svc.TerminateJob(h.ctx, &batch.JobActionInput{JobID: p, Reason: "kill"}); err != nil {
		t.Fatalf("TerminateJob: %v", err)
	}
	h.drain()
	hb, err := h.svc.Heartbeat(h.ctx, kids[0], a, "i-1")
	if err != nil {
		t.Fatalf("Heartbeat: %v", err)
	}
	if !hb.Internal.TerminateRequested {
		t.Error("running child was not asked to terminate")
	}
	h.wantStatus(kids[1], batch.Failed)
	h.finish(kids[0], a, "i-1", exited(143))
	h.drain()
	h.wantStatus(p, batch.Failed)
}

func TestArrayExpansionIsIdempotent(t *testing.T) {
	h := newHarness(t)
	p := h.submit(&batch.SubmitJobInput{ArrayProperties: &batch.ArrayProperties{Size: ptr(5)}})
	h.drain()
	kids := children(p, 5)
	h.run(kids[0], 0)
	versions := map[string]int64{}
	for _, id := range kids {
		versions[id] = h.job(id).Internal.Version
	}

	// A duplicate doorbell for the expanded parent.
	for range 3 {
		if err := h.svc.Evaluate(h.ctx, p); err != nil {
			t.Fatalf("Evaluate: %v", err)
		}
	}
	// A scheduler that crashed after writing the children but before
	// marking the parent expanded sees it SUBMITTED again.
	j, err := h.db.GetJob(h.ctx, p)
	if err != nil {
		t.Fatalf("GetJob: %v", err)
	}
	j.Status = batch.Submitted
	j.Internal.Expanded = false
	if _, err := h.db.UpdateJob(h.ctx, j, []batch.Message{{Queue: control.SubmissionsQueue, ID: p}}); err != nil {
		t.Fatalf("rewinding the parent: %v", err)
	}
	h.drain()

	if n := h.countJobs(); n != 6 {
		t.Errorf("jobs = %d, want the parent and 5 children", n)
	}
	for _, id := range kids {
		if got := h.job(id).Internal.Version; got != versions[id] {
			t.Errorf("child %s rewritten by a repeated expansion: version %d→%d", id, versions[id], got)
		}
	}
	h.wantStatus(kids[0], batch.Succeeded)
	h.wantStatus(p, batch.Pending)
	h.wantSummary(p, map[batch.Status]int{batch.Runnable: 4, batch.Succeeded: 1})
}

func TestArrayNToNWaitsForUnexpandedDependency(t *testing.T) {
	tests := []struct {
		name string
		// zExit ends z, which a waits on before it expands.
		zExit int
		want  []batch.Status
	}{
		{"partner array expands later", 0, []batch.Status{batch.Runnable, batch.Pending}},
		{"partner array fails before expanding", 1, []batch.Status{batch.Failed, batch.Failed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			z := h.submit(&batch.SubmitJobInput{JobName: "z"})
			a := h.submit(&batch.SubmitJobInput{JobName: "a", ArrayProperties: &batch.ArrayProperties{Size: ptr(2)}, DependsOn: dependsOn(z)})
			b := h.submit(&batch.SubmitJobInput{
				JobName:         "b",
				ArrayProperties: &batch.ArrayProperties{Size: ptr(2)},
				DependsOn:       []batch.JobDependency{{JobID: a, Type: batch.DependencyNToN}},
			})
			h.drain()
			// a waits on z, so a:0 and a:1 do not exist yet: b's
			// children must wait for them, not fail.
			bKids := children(b, 2)
			for _, id := range bKids {
				h.wantStatus(id, batch.Pending)
			}
			h.run(z, tt.zExit)
			if tt.zExit == 0 {
				h.run(control.ChildID(a, 0), 0)
			}
			for i, id := range bKids {
				h.wantStatus(id, tt.want[i])
			}
		})
	}
}

func TestCancelDuringExpansionCancelsChildren(t *testing.T) {
	h := newHarness(t)
	p := h.submit(&batch.SubmitJobInput{ArrayProperties: &batch.ArrayProperties{Size: ptr(3)}})
	// CancelJob arrives while the scheduler is writing the children: the
	// parent is not expanded yet, so it is failed at once.
	h.store.afterCreate = func(jobs []batch.Job) {
		if jobs[0].Internal.ArrayParent != p {
			return
		}
		h.store.afterCreate = nil
		if err := h.svc.CancelJob(h.ctx, &batch.JobActionInput{JobID: p, Reason: "too late?"}); err != nil {
			t.Errorf("CancelJob: %v", err)
		}
	}
	h.drain()

	j := h.wantStatus(p, batch.Failed)
	if j.IsCancelled == nil || !*j.IsCancelled {
		t.Errorf("parent isCancelled = %v, want true", j.IsCancelled)
	}
	for _, id := range children(p, 3) {
		if c := h.wantStatus(id, batch.Failed); c.StatusReason != "too late?" {
			t.Errorf("child %s statusReason = %q, want the cancel reason", id, c.StatusReason)
		}
	}
}
