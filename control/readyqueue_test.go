package control_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// creatingQueues are the embedded queues that also record (or fail) the
// queues CreateJobQueue asks to create, as SQS needs.
type creatingQueues struct {
	control.Queues
	fail    error
	ensured []string
}

func (q *creatingQueues) Ensure(_ context.Context, queue string) error {
	if q.fail != nil {
		return q.fail
	}
	q.ensured = append(q.ensured, queue)
	return nil
}

func TestCreateJobQueueEnsuresReadyQueue(t *testing.T) {
	tests := []struct {
		name        string
		fail        error
		wantEnsured []string
		wantErr     string
	}{
		{name: "created", wantEnsured: []string{control.ReadyQueue("q2")}},
		{name: "failed", fail: errors.New("sqs down"), wantErr: "creating the ready queue of q2: sqs down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cq *creatingQueues
			h := newHarness(t, func(o *control.Options) {
				cq = &creatingQueues{Queues: o.Queues}
				o.Queues = cq
			})
			cq.fail, cq.ensured = tt.fail, nil
			_, err := h.svc.CreateJobQueue(h.ctx, &batch.CreateJobQueueInput{
				JobQueueName: "q2", Priority: ptr(1),
				ComputeEnvironmentOrder: []batch.ComputeEnvironmentOrder{{Order: 1, ComputeEnvironment: ceName}},
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("CreateJobQueue error = %v, want %q", err, tt.wantErr)
				}
				if _, err := h.svc.JobQueue(h.ctx, "q2"); err == nil {
					t.Errorf("job queue q2 exists after a failed create, want none")
				}
				return
			}
			if err != nil {
				t.Fatalf("CreateJobQueue: %v", err)
			}
			if !slices.Equal(cq.ensured, tt.wantEnsured) {
				t.Errorf("ensured %v, want %v", cq.ensured, tt.wantEnsured)
			}
		})
	}
}
