package control_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

func dependsOn(ids ...string) []batch.JobDependency {
	deps := make([]batch.JobDependency, 0, len(ids))
	for _, id := range ids {
		deps = append(deps, batch.JobDependency{JobID: id})
	}
	return deps
}

func TestDependentWaitsForSuccess(t *testing.T) {
	h := newHarness(t)
	a := h.submit(&batch.SubmitJobInput{JobName: "a"})
	b := h.submit(&batch.SubmitJobInput{JobName: "b", DependsOn: dependsOn(a)})
	h.drain()
	h.wantStatus(a, batch.Runnable)
	h.wantStatus(b, batch.Pending)

	// Duplicate doorbells change nothing.
	for range 2 {
		if err := h.svc.Evaluate(h.ctx, b); err != nil {
			t.Fatalf("Evaluate: %v", err)
		}
	}
	h.wantStatus(b, batch.Pending)

	att := h.start(a, "i-1")
	h.drain()
	h.wantStatus(b, batch.Pending)
	h.finish(a, att, "i-1", exited(0))
	h.drain()
	h.wantStatus(b, batch.Runnable)
}

// A write that finishes a job can be applied while its caller sees an
// error: the messages sent after it were lost (SQS failing), or the answer
// itself (the connection cut after DynamoDB applied it). Every later write
// then finds the job finished and changes nothing, so unless the failed
// call wakes the dependents, they wait for the sweeper (chaos suite on
// moto, seed 1: jobs PENDING minutes after their dependency ended).
func TestDependentsWokenWhenFinishingWriteLooksFailed(t *testing.T) {
	tests := []struct {
		name    string
		fail    func(written batch.Job) (batch.Job, error)
		wantErr bool
	}{
		{
			name: "messages not sent",
			fail: func(written batch.Job) (batch.Job, error) {
				return written, errors.New("sending 1 messages after the write: SQS unavailable")
			},
		},
		{
			name: "answer lost",
			fail: func(batch.Job) (batch.Job, error) {
				return batch.Job{}, errors.New("updating job: connection reset")
			},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			a := h.submit(&batch.SubmitJobInput{JobName: "a"})
			b := h.submit(&batch.SubmitJobInput{JobName: "b", DependsOn: dependsOn(a)})
			h.drain()
			att := h.start(a, "i-1")
			h.drain()
			h.wantStatus(b, batch.Pending)

			h.store.afterUpdate = func(written batch.Job, err error) (batch.Job, error) {
				if err == nil && written.JobID == a && written.Status.Terminal() {
					return tt.fail(written)
				}
				return written, err
			}
			_, err := h.svc.FinishAttempt(h.ctx, a, att, "i-1", exited(0))
			h.store.afterUpdate = nil
			if (err != nil) != tt.wantErr {
				t.Fatalf("FinishAttempt error = %v, want an error: %v", err, tt.wantErr)
			}
			h.wantStatus(a, batch.Succeeded)
			h.drain()
			h.wantStatus(b, batch.Runnable)
		})
	}
}

// A finished job's doorbell comes back (every child's end rings its array
// parent; SQS delivers twice): it must not ring every dependent again, or
// each duplicate fans out (chaos suite on moto, seed 1: 683 doorbells for
// 81 jobs in the scheduler's queue, growing, until jobs starved behind
// them).
func TestFinishedJobDoorbellWakesNobody(t *testing.T) {
	h := newHarness(t)
	a := h.submit(&batch.SubmitJobInput{JobName: "a", ArrayProperties: &batch.ArrayProperties{Size: ptr(3)}})
	b := h.submit(&batch.SubmitJobInput{JobName: "b", DependsOn: dependsOn(a)})
	c := h.submit(&batch.SubmitJobInput{JobName: "c", ArrayProperties: &batch.ArrayProperties{Size: ptr(3)},
		DependsOn: []batch.JobDependency{{JobID: a, Type: batch.DependencyNToN}}})
	h.drain()
	for i := range 3 {
		h.run(control.ChildID(a, i), 0)
	}
	h.wantStatus(a, batch.Succeeded)
	h.wantStatus(b, batch.Runnable)
	h.wantStatus(control.ChildID(c, 0), batch.Runnable)
	h.ready()

	for _, id := range []string{a, control.ChildID(a, 0)} {
		if err := h.svc.Evaluate(h.ctx, id); err != nil {
			t.Fatalf("Evaluate(%s): %v", id, err)
		}
	}
	if got := h.takeAll(control.SubmissionsQueue); len(got) > 0 {
		t.Errorf("doorbells rung by finished jobs' doorbells = %v, want none", got)
	}
}

func TestDependencyFailureCascades(t *testing.T) {
	tests := []struct {
		name string
		end  func(h *harness, a string)
	}{
		{"dependency fails", func(h *harness, a string) { h.run(a, 1) }},
		{"dependency is cancelled", func(h *harness, a string) {
			if err := h.svc.CancelJob(h.ctx, &batch.JobActionInput{JobID: a, Reason: "no"}); err != nil {
				h.t.Fatalf("CancelJob: %v", err)
			}
		}},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := h.with(t)
			a := h.submit(&batch.SubmitJobInput{JobName: "a"})
			b := h.submit(&batch.SubmitJobInput{JobName: "b", DependsOn: dependsOn(a)})
			c := h.submit(&batch.SubmitJobInput{JobName: "c", DependsOn: dependsOn(b)})
			unrelated := h.submit(&batch.SubmitJobInput{JobName: "d"})
			h.drain()
			h.wantStatus(c, batch.Pending)

			tt.end(h, a)
			h.drain()
			for _, id := range []string{b, c} {
				j := h.wantStatus(id, batch.Failed)
				if j.StatusReason != control.ReasonDependency {
					t.Errorf("job %s statusReason = %q, want %q", id, j.StatusReason, control.ReasonDependency)
				}
				if len(j.Attempts) != 0 {
					t.Errorf("job %s has %d attempts, want 0", id, len(j.Attempts))
				}
			}
			h.wantStatus(unrelated, batch.Runnable)
		})
	}
}

func TestDependencyOnFinishedJob(t *testing.T) {
	tests := []struct {
		name string
		exit int
		want batch.Status
	}{
		{"succeeded", 0, batch.Runnable},
		{"failed", 1, batch.Failed},
	}
	h := newHarness(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := h.with(t)
			a := h.submit(&batch.SubmitJobInput{})
			h.drain()
			h.run(a, tt.exit)
			b := h.submit(&batch.SubmitJobInput{DependsOn: dependsOn(a)})
			h.drain()
			h.wantStatus(b, tt.want)
		})
	}
}

func TestDependencyOnSeveralJobs(t *testing.T) {
	h := newHarness(t)
	a := h.submit(&batch.SubmitJobInput{})
	b := h.submit(&batch.SubmitJobInput{})
	c := h.submit(&batch.SubmitJobInput{DependsOn: dependsOn(a, b)})
	h.drain()
	h.run(a, 0)
	h.wantStatus(c, batch.Pending)
	h.run(b, 0)
	h.wantStatus(c, batch.Runnable)
}

func TestDependencyPastRetentionCountsAsFailed(t *testing.T) {
	h := newHarness(t)
	a := h.submit(&batch.SubmitJobInput{})
	b := h.submit(&batch.SubmitJobInput{DependsOn: dependsOn(a)})
	h.drain()
	// The dependency succeeds but its doorbell is lost, and it is deleted
	// past retention before the dependent looks again: the dependent
	// fails rather than waiting forever.
	att := h.start(a, "i-1")
	h.finish(a, att, "i-1", exited(0))
	h.takeAll(control.SubmissionsQueue)
	h.clk.Advance(8 * 24 * time.Hour)
	if n := h.expire(); n != 1 {
		t.Fatalf("expired %d records, want 1", n)
	}
	if err := h.svc.Evaluate(h.ctx, b); err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	h.wantStatus(b, batch.Failed)
}

func TestCancelPendingJob(t *testing.T) {
	h := newHarness(t)
	a := h.submit(&batch.SubmitJobInput{})
	b := h.submit(&batch.SubmitJobInput{DependsOn: dependsOn(a)})
	h.drain()
	if err := h.svc.CancelJob(h.ctx, &batch.JobActionInput{JobID: b, Reason: "changed my mind"}); err != nil {
		t.Fatalf("CancelJob: %v", err)
	}
	h.drain()
	j := h.wantStatus(b, batch.Failed)
	if j.IsCancelled == nil || !*j.IsCancelled {
		t.Errorf("isCancelled = %v, want true", j.IsCancelled)
	}
	// The dependency's success must not revive the cancelled job.
	h.run(a, 0)
	h.wantStatus(b, batch.Failed)
}
