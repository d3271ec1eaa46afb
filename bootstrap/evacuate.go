package bootstrap

import (
	"context"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// Evacuate hands every attempt the agent runs back to the control plane as
// lost with its instance, as AWS Batch does when a Spot instance is
// reclaimed: it drains the agent, stops each execution (SIGTERM, then
// SIGKILL after grace) and reports its attempt ended with `Host EC2
// (instance i-...) terminated.`, so that the job is retried elsewhere or
// failed, per its retry strategy. Attempts that end on their own before
// are reported as usual. Evacuate returns when no attempt runs any more, or
// with ctx's error; a second call only waits.
func (a *Agent) Evacuate(ctx context.Context, grace time.Duration) error {
	a.Drain()
	a.evacuateOnce.Do(func() {
		a.evacuateGrace = grace
		close(a.evacuate)
	})
	return a.waitIdle(ctx)
}

// evacuating reports whether Evacuate was called.
func (a *Agent) evacuating() bool {
	select {
	case <-a.evacuate:
		return true
	default:
		return false
	}
}

// evacuated is the outcome of an attempt stopped by Evacuate: no exit code,
// as for a host that went away.
func (a *Agent) evacuated() batch.AttemptOutcome {
	return batch.AttemptOutcome{StatusReason: control.HostTerminatedReason(a.cfg.InstanceID)}
}

// waitIdle waits until no attempt runs, or ctx is done.
func (a *Agent) waitIdle(ctx context.Context) error {
	for {
		a.mu.Lock()
		running, idle := a.room.Running, a.idle
		a.mu.Unlock()
		if running == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-idle:
		}
	}
}
