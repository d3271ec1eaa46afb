package control_test

import (
	"context"
	"sync"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// recordedEvents keeps what the control plane publishes.
type recordedEvents struct {
	mu     sync.Mutex
	events []string // "<job id> <STATUS>"
}

func (r *recordedEvents) Publish(_ context.Context, jobs []batch.Job) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, j := range jobs {
		r.events = append(r.events, j.JobID+" "+j.Status.String())
	}
	return nil
}

func (r *recordedEvents) of(id string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		if len(e) > len(id) && e[:len(id)+1] == id+" " {
			out = append(out, e[len(id)+1:])
		}
	}
	return out
}

func TestEveryStatusChangeAfterSubmissionIsPublished(t *testing.T) {
	events := &recordedEvents{}
	h := newHarness(t, func(o *control.Options) { o.Events = events })
	id := h.submit(&batch.SubmitJobInput{})
	claimed, err := h.svc.Claim(h.ctx, id, control.Placement{InstanceID: "i-1", ComputeEnvironment: ceName})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.MarkRunning(h.ctx, id, claimed.Internal.Attempt, "i-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Heartbeat(h.ctx, id, claimed.Internal.Attempt, "i-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.FinishAttempt(h.ctx, id, claimed.Internal.Attempt, "i-1", exited(0)); err != nil {
		t.Fatal(err)
	}
	got := events.of(id)
	want := []string{"RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED"}
	if len(got) != len(want) {
		t.Fatalf("events = %v, want %v (none for SUBMITTED, none for a heartbeat)", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events = %v, want %v", got, want)
		}
	}
}
