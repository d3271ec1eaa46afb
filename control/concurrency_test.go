package control_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

func TestConcurrentClaimsHaveOneWinner(t *testing.T) {
	h := newHarness(t)
	id := h.submit(&batch.SubmitJobInput{})
	h.drain()

	const agents = 8
	errs := make([]error, agents)
	var wg sync.WaitGroup
	for i := range agents {
		wg.Go(func() {
			_, errs[i] = h.svc.Claim(h.ctx, id, control.Placement{InstanceID: fmt.Sprintf("i-%d", i), ComputeEnvironment: ceName})
		})
	}
	wg.Wait()

	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
		case !errors.Is(err, control.ErrNotClaimable):
			t.Errorf("agent %d: err = %v, want nil or ErrNotClaimable", i, err)
		}
	}
	if winners != 1 {
		t.Fatalf("%d agents won the claim, want 1", winners)
	}
	j := h.wantStatus(id, batch.Starting)
	if j.Internal.Attempt != 1 || len(j.Attempts) != 1 {
		t.Errorf("attempt %d with %d attempts, want 1 of 1", j.Internal.Attempt, len(j.Attempts))
	}
}

func TestConcurrentEvaluateExpandsOnce(t *testing.T) {
	h := newHarness(t)
	p := h.submit(&batch.SubmitJobInput{ArrayProperties: &batch.ArrayProperties{Size: ptr(20)}})

	const schedulers = 4
	errs := make([]error, schedulers)
	var wg sync.WaitGroup
	for i := range schedulers {
		wg.Go(func() { errs[i] = h.svc.Evaluate(h.ctx, p) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("scheduler %d: Evaluate: %v", i, err)
		}
	}
	h.drain()

	if n := h.countJobs(); n != 21 {
		t.Errorf("jobs = %d, want the parent and 20 children", n)
	}
	h.wantStatus(p, batch.Pending)
	h.wantSummary(p, map[batch.Status]int{batch.Runnable: 20})
}

func TestTerminateRacingFinishEndsOnce(t *testing.T) {
	for i := range 5 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			h := newHarness(t)
			id := h.submit(&batch.SubmitJobInput{RetryStrategy: &batch.RetryStrategy{Attempts: ptr(3)}})
			h.drain()
			a := h.start(id, "i-1")

			var wg sync.WaitGroup
			var finishErr, termErr error
			wg.Go(func() { _, finishErr = h.svc.FinishAttempt(h.ctx, id, a, "i-1", exited(1)) })
			wg.Go(func() { termErr = h.svc.TerminateJob(h.ctx, &batch.JobActionInput{JobID: id, Reason: "stop"}) })
			wg.Wait()
			if finishErr != nil || termErr != nil {
				t.Fatalf("FinishAttempt: %v; TerminateJob: %v", finishErr, termErr)
			}
			h.drain()

			// Either the terminate came first and the attempt is not
			// retried, or the retry came first and the terminate
			// cancelled the RUNNABLE job. Either way the job ends FAILED
			// after one attempt.
			j := h.wantStatus(id, batch.Failed)
			if len(j.Attempts) != 1 {
				t.Errorf("attempts = %d, want 1", len(j.Attempts))
			}
			if j.StatusReason != "stop" {
				t.Errorf("statusReason = %q, want stop", j.StatusReason)
			}
		})
	}
}
