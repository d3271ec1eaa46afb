package ec2agent

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/imds"
)

// spotLead is how long EC2 gives a Spot instance between its interruption
// notice and the interruption; it dates a notice that has no time.
const spotLead = 2 * time.Minute

// minStopGrace is the least time a job gets between SIGTERM and SIGKILL
// when it is stopped for an interruption that is already due.
const minStopGrace = time.Second

// evacuator is the part of the bootstrap agent the interruption watch
// drives; *bootstrap.Agent is one.
type evacuator interface {
	Evacuate(ctx context.Context, grace time.Duration) error
	Running() int
}

// interruptWatch is the agent's notice source on EC2. It passes the IMDS
// monitor's notices on (the bootstrap agent drains on the first) and, at a
// Spot interruption's deadline, evacuates the agent: the jobs still running
// are stopped and handed back for retry.
type interruptWatch struct {
	notices   bootstrap.NoticeSource
	agent     evacuator // set before Run
	killGrace time.Duration
	clock     batch.Clock
	after     func(time.Duration) <-chan time.Time
	log       *slog.Logger
}

// Run watches until ctx is done.
func (w *interruptWatch) Run(ctx context.Context, on func(imds.Event)) {
	spot := make(chan imds.Event, 1)
	var wg sync.WaitGroup
	wg.Go(func() { w.evacuateAtDeadline(ctx, spot) })
	w.notices.Run(ctx, func(e imds.Event) {
		on(e)
		if e.Kind == imds.KindSpotInterruption {
			select {
			case spot <- e: // the first notice sets the deadline
			default:
			}
		}
	})
	wg.Wait()
}

// evacuateAtDeadline waits for a Spot interruption notice, then for its
// deadline, and evacuates the agent.
func (w *interruptWatch) evacuateAtDeadline(ctx context.Context, spot <-chan imds.Event) {
	var e imds.Event
	select {
	case <-ctx.Done():
		return
	case e = <-spot:
	}
	at := e.Time
	if at.IsZero() {
		at = e.Seen.Add(spotLead)
	}
	deadline := at.Add(-w.killGrace)
	w.log.Warn("Spot interruption notice: jobs still running at the deadline are stopped and handed back for retry",
		"action", e.Action, "interruption", at, "deadline", deadline)
	if wait := deadline.Sub(w.clock.Now()); wait > 0 {
		select {
		case <-ctx.Done():
			return
		case <-w.after(wait):
		}
	}
	grace := min(max(at.Sub(w.clock.Now()), minStopGrace), w.killGrace)
	w.log.Warn("Spot interruption deadline: handing back the running jobs", "jobs", w.agent.Running(), "grace", grace)
	if err := w.agent.Evacuate(ctx, grace); err != nil {
		w.log.Error("handing back the running jobs", "err", err)
		return
	}
	w.log.Info("every job is handed back; the instance waits for its interruption")
}
