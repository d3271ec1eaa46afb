package bootstrap

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
)

// Reattacher is a runtime whose executions outlive the agent, such as
// containers: an agent that restarts on the same instance takes over those
// whose attempts it still holds, and the runtime ends the others.
type Reattacher interface {
	// Reattach finds the executions an earlier agent of the instance left.
	// keep says whether the agent still holds an attempt and where its
	// output goes from since on; the others are stopped and removed.
	Reattach(ctx context.Context, instanceID string, keep func(jobID string, attempt int) (logs LogFunc, since time.Time, ok bool)) ([]Reattached, error)
}

// Reattached is an execution taken over from an earlier agent.
type Reattached struct {
	JobID     string
	Attempt   int
	Execution Execution
	// RoleEnv holds the job role credentials entries of the environment
	// the execution was started with (rolecreds.EnvFullURI and EnvToken,
	// "name=value"), if it has them: the agent serves them again. The
	// runtime passes on no other variable.
	RoleEnv []string
}

// reattach takes over what an earlier agent of this instance left running,
// when the runtime can: the attempts whose leases the instance still holds
// go on under this agent (no second run); anything else is ended.
func (a *Agent) reattach(ctx context.Context) error {
	re, ok := a.runtime.(Reattacher)
	if !ok {
		return nil
	}
	held, err := a.ctl.HeldBy(ctx, a.cfg.InstanceID)
	if err != nil {
		return fmt.Errorf("listing the attempts instance %s holds: %w", a.cfg.InstanceID, err)
	}
	byAttempt := make(map[string]batch.Job, len(held))
	for _, j := range held {
		byAttempt[j.JobID+"#"+strconv.Itoa(j.Internal.Attempt)] = j
	}
	kept := map[string]*attempt{}
	keep := func(jobID string, n int) (LogFunc, time.Time, bool) {
		key := jobID + "#" + strconv.Itoa(n)
		j, ok := byAttempt[key]
		if !ok {
			return nil, time.Time{}, false
		}
		at := a.newAttempt(j)
		kept[key] = at
		// The output since the attempt started is read again: lines the
		// earlier agent saved may appear twice, none is lost.
		return func(l LogLine) { at.logs.Add(l) }, time.Time{}, true
	}
	found, err := re.Reattach(ctx, a.cfg.InstanceID, keep)
	for _, r := range found {
		key := r.JobID + "#" + strconv.Itoa(r.Attempt)
		at := kept[key]
		delete(kept, key)
		a.hold(&at.job)
		at.logf("agent restarted: following the running execution again")
		grant := at.regrantRole(ctx, r.RoleEnv)
		exec := r.Execution
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			defer a.release(&at.job)
			// As for an attempt this agent started: the credentials are
			// served while it runs, and no longer.
			defer grant.Revoke()
			at.end(ctx, func(ctx context.Context) (batch.AttemptOutcome, bool) { return at.watch(ctx, exec) })
		}()
	}
	for _, at := range kept {
		// Held, but its execution is gone: its lease lapses and the control
		// plane ends it as a lost host.
		at.logs.Close()
	}
	if err != nil {
		return fmt.Errorf("re-attaching to earlier executions: %w", err)
	}
	return nil
}

// regrantRole serves a taken-over attempt's job role credentials again,
// under the URI and token its execution was started with (env), so that
// the job goes on refreshing them. Whatever happens is said in the job's
// log; the attempt goes on regardless, its container running already.
func (at *attempt) regrantRole(ctx context.Context, env []string) rolecreds.Grant {
	j := &at.job
	if j.Container == nil || j.Container.JobRoleArn == "" {
		return rolecreds.Grant{}
	}
	role := j.Container.JobRoleArn
	if at.a.cfg.JobRoles == nil {
		at.logf("job role %s: after the agent's restart this agent serves no job role credentials, so the job cannot refresh its credentials", role)
		return rolecreds.Grant{}
	}
	g, err := at.a.cfg.JobRoles.Regrant(ctx, rolecreds.Attempt{JobID: j.JobID, Attempt: at.number, RoleARN: role}, env)
	if err != nil {
		at.logf("job role %s: after the agent's restart its credentials cannot be served again, so the job cannot refresh them: %v", role, err)
		return rolecreds.Grant{}
	}
	if g.Note != "" {
		at.logf("%s", g.Note)
	}
	return g
}

// hold counts a taken-over attempt's resources as used, fit or not.
func (a *Agent) hold(j *batch.Job) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.room.Hold(j.Internal.VCPUs, j.Internal.MemoryMiB, j.Internal.GPUs)
	a.lastBusy = a.cfg.Clock.Now()
}
