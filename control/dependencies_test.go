package control_test

import (
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
