package local

import (
	"context"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/bootstrap"
)

// noopRuntime is a bootstrap.Runtime that does no work: every execution
// ends at once with exit code 0, so a benchmark measures the control plane
// alone.
type noopRuntime struct{}

func (noopRuntime) Name() string { return "noop" }

func (noopRuntime) Start(context.Context, bootstrap.RunSpec, bootstrap.LogFunc) (bootstrap.Execution, error) {
	return doneExecution{}, nil
}

// doneExecution is an execution that has already exited with code 0.
type doneExecution struct{}

func (doneExecution) Wait() bootstrap.RunResult { return bootstrap.RunResult{} }
func (doneExecution) Stop(time.Duration)        {}

// heldRuntime is a bootstrap.Runtime whose executions do no work but run
// until they are released (or stopped). It hands each execution to the
// benchmark on starts as it starts, which is just before the agent marks
// the job RUNNING.
type heldRuntime struct {
	starts chan *heldExecution
}

func newHeldRuntime() heldRuntime { return heldRuntime{starts: make(chan *heldExecution, 64)} }

func (heldRuntime) Name() string { return "held" }

func (r heldRuntime) Start(ctx context.Context, spec bootstrap.RunSpec, _ bootstrap.LogFunc) (bootstrap.Execution, error) {
	e := &heldExecution{jobID: spec.JobID, startedAt: time.Now(), end: make(chan struct{})}
	select {
	case r.starts <- e:
	case <-ctx.Done():
		e.release()
	}
	return e, nil
}

// heldExecution runs until released.
type heldExecution struct {
	jobID     string
	startedAt time.Time
	once      sync.Once
	end       chan struct{}
}

// release lets the execution exit with code 0.
func (e *heldExecution) release() { e.once.Do(func() { close(e.end) }) }

func (e *heldExecution) Wait() bootstrap.RunResult {
	<-e.end
	return bootstrap.RunResult{}
}

func (e *heldExecution) Stop(time.Duration) { e.release() }
