package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/bootstrap/secrets"
	"github.com/tanda-batch/tanda/control"
)

// Environment is the AWS_BATCH_* environment of an attempt plus the
// container's own variables.
func Environment(j *batch.Job, ce string) []string {
	env := make([]string, 0, 8)
	if j.Container != nil {
		for _, kv := range j.Container.Environment {
			env = append(env, kv.Name+"="+kv.Value)
		}
	}
	env = append(env,
		"AWS_BATCH_JOB_ID="+j.JobID,
		"AWS_BATCH_JOB_ATTEMPT="+strconv.Itoa(j.Internal.Attempt),
		"AWS_BATCH_JQ_NAME="+j.Internal.QueueName,
		"AWS_BATCH_CE_NAME="+ce,
	)
	if j.ArrayProperties != nil && j.ArrayProperties.Index != nil {
		env = append(env,
			"AWS_BATCH_JOB_ARRAY_INDEX="+strconv.Itoa(*j.ArrayProperties.Index),
			"AWS_BATCH_JOB_ARRAY_SIZE="+strconv.Itoa(j.Internal.ArraySize),
		)
	}
	return env
}

// attempt is one claimed job being run.
type attempt struct {
	a       *Agent
	job     batch.Job
	id      string
	number  int
	stream  string
	logs    *logBuffer
	started time.Time
	dir     string // the attempt's working directory
}

// newAttempt prepares the running of an attempt the agent holds.
func (a *Agent) newAttempt(j batch.Job) *attempt {
	at := &attempt{a: a, job: j, id: j.JobID, number: j.Internal.Attempt}
	if n := len(j.Attempts); n > 0 && j.Attempts[n-1].Container != nil {
		at.stream = j.Attempts[n-1].Container.LogStreamName
	}
	if at.stream == "" {
		at.stream = control.AttemptLogStream(&j, at.number)
	}
	at.logs = newLogBuffer(at.logStore(), at.stream, a.log)
	return at
}

// logStore is where the attempt's log goes: the group its awslogs options
// name, when the agent's store can route there, else the agent's store.
func (at *attempt) logStore() LogStore {
	target := batch.LogTargetOf(at.job.Container)
	if r, ok := at.a.logs.(LogRouter); ok && target.Elsewhere() {
		return routedLogs{router: r, target: target}
	}
	return at.a.logs
}

// prepareLog creates the attempt's log stream where its awslogs options
// send it. It fails, as the awslogs driver fails a container, when that
// group does not exist (and may not be created) or cannot be written.
func (at *attempt) prepareLog(ctx context.Context) error {
	r, ok := at.logs.store.(routedLogs)
	if !ok {
		return nil
	}
	if err := r.router.PrepareStream(ctx, r.target, at.stream); err != nil {
		return fmt.Errorf("failed to initialize logging driver: %w", err)
	}
	return nil
}

// runAttempt runs a claimed attempt to its end and reports it. If the
// lease is lost, it stops the attempt and reports nothing.
func (a *Agent) runAttempt(ctx context.Context, j batch.Job) {
	at := a.newAttempt(j)
	at.end(ctx, at.run)
}

// end runs an attempt's course, then saves its output, removes its working
// directory and reports how it ended.
func (at *attempt) end(ctx context.Context, course func(context.Context) (batch.AttemptOutcome, bool)) {
	a := at.a
	a.cfg.Metrics.AttemptStarted()
	defer a.cfg.Metrics.AttemptEnded()
	outcome, report := course(ctx)
	// The job's last lines are in its log before its end is reported.
	at.logs.Close()
	if at.dir != "" {
		// Like a container's filesystem, the working directory goes with
		// the attempt.
		if err := os.RemoveAll(at.dir); err != nil {
			a.log.Warn("removing working directory", "job", at.id, "err", err)
		}
	}
	if !report {
		return
	}
	at.finish(ctx, outcome)
}

func (at *attempt) logf(format string, args ...any) {
	at.logs.Add(LogLine{Stream: "stderr", At: at.a.cfg.Clock.Now(), Text: "tanda: " + fmt.Sprintf(format, args...)})
}

// run starts and watches the attempt; report is false when the attempt
// was fenced off and must not be reported.
func (at *attempt) run(ctx context.Context) (o batch.AttemptOutcome, report bool) {
	a := at.a
	j := &at.job
	if j.Internal.TerminateRequested {
		return batch.AttemptOutcome{Terminated: true}, true
	}
	if a.evacuating() {
		at.logf("instance %s is going away: the job is handed back before it starts", a.cfg.InstanceID)
		return a.evacuated(), true
	}
	spec, err := at.spec()
	if err != nil {
		return batch.AttemptOutcome{StatusReason: control.ReasonStartFailed, Reason: "ResourceInitializationError: " + err.Error()}, true
	}
	prep, o, ok := at.prepare(ctx)
	if !ok {
		return o, ctx.Err() == nil
	}
	spec.Env = setVars(spec.Env, prep.Vars)
	if prep.Registry != nil {
		spec.RegistryAuth = prep.Registry
	}
	grant, o, ok := at.grantRole(ctx)
	if !ok {
		return o, ctx.Err() == nil
	}
	// The credentials are served while the attempt runs, and no longer.
	defer grant.Revoke()
	spec.Env = append(spec.Env, grant.Env...)
	// As on ECS, the log driver is set up as the container starts.
	if err := at.prepareLog(ctx); err != nil {
		if ctx.Err() != nil {
			return batch.AttemptOutcome{}, false
		}
		a.log.Warn("job log", "job", at.id, "err", err)
		return batch.AttemptOutcome{StatusReason: control.ReasonStartFailed, Reason: "CannotStartContainerError: " + err.Error()}, true
	}
	exec, err := a.runtime.Start(ctx, spec, func(l LogLine) { at.logs.Add(l) })
	if err != nil {
		var se *StartError
		reason := "CannotStartContainerError: " + err.Error()
		if errors.As(err, &se) {
			reason = se.Reason
		}
		at.logf("%s", reason)
		return batch.AttemptOutcome{StatusReason: control.ReasonStartFailed, Reason: reason}, true
	}
	return at.watch(ctx, exec)
}

// grantRole gets the attempt's job role credentials served, when the job
// has a role. ok is false when the attempt cannot start, with o saying
// why: its role cannot be assumed.
func (at *attempt) grantRole(ctx context.Context) (g rolecreds.Grant, o batch.AttemptOutcome, ok bool) {
	j := &at.job
	if j.Container == nil || j.Container.JobRoleArn == "" {
		return g, o, true
	}
	role := j.Container.JobRoleArn
	if at.a.cfg.JobRoles == nil {
		at.logf("job role %s: this agent serves no job role credentials; the job runs without AWS credentials", role)
		return g, o, true
	}
	g, err := at.a.cfg.JobRoles.Grant(ctx, rolecreds.Attempt{JobID: j.JobID, Attempt: at.number, RoleARN: role})
	if err != nil {
		if ctx.Err() != nil {
			return g, o, false
		}
		var ae *rolecreds.AssumeError
		msg := fmt.Sprintf("serving the credentials of job role %s: %v", role, err)
		if errors.As(err, &ae) {
			msg = ae.Error()
		}
		at.logf("%s", msg)
		return g, batch.AttemptOutcome{StatusReason: roleStatusReason(msg), Reason: "ResourceInitializationError: " + msg}, false
	}
	if g.Note != "" {
		at.logf("%s", g.Note)
	}
	return g, o, true
}

// prepare gets the attempt's secrets and its image's registry credentials
// with its execution role, or its agent's credentials. ok is false when
// the attempt cannot start, with o saying why (AWS's
// ResourceInitializationError). The log says how many secrets were read
// and with what, never their values.
func (at *attempt) prepare(ctx context.Context) (p secrets.Prepared, o batch.AttemptOutcome, ok bool) {
	c := at.job.Container
	if c == nil || (len(c.Secrets) == 0 && c.ExecutionRoleArn == "") {
		return p, o, true
	}
	var err error
	if at.a.cfg.Secrets == nil {
		err = errors.New("this agent reads no secrets and assumes no execution role")
	} else {
		p, err = at.a.cfg.Secrets.Prepare(ctx, secrets.Attempt{
			JobID: at.id, Attempt: at.number, ExecutionRoleARN: c.ExecutionRoleArn, Secrets: c.Secrets,
		})
	}
	if err != nil {
		if ctx.Err() != nil {
			return p, o, false
		}
		msg := secrets.Describe(err)
		at.logf("%s", msg)
		return p, batch.AttemptOutcome{StatusReason: roleStatusReason(msg), Reason: "ResourceInitializationError: " + msg}, false
	}
	for _, n := range p.Notes {
		at.logf("%s", n)
	}
	return p, o, true
}

// setVars sets vars in env, replacing entries of the same names.
func setVars(env []string, vars []secrets.Var) []string {
	if len(vars) == 0 {
		return env
	}
	names := make(map[string]bool, len(vars))
	for _, v := range vars {
		names[v.Name] = true
	}
	out := make([]string, 0, len(env)+len(vars))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !names[name] {
			out = append(out, kv)
		}
	}
	return append(out, secrets.Env(vars)...)
}

// roleStatusReason is the statusReason of an attempt whose role cannot be
// assumed: AWS's "Task failed to start", with the role and STS's error.
func roleStatusReason(msg string) string { return control.ReasonStartFailed + ": " + msg }

// watch follows a started execution to its end: marks the job RUNNING,
// heartbeats its lease, and enforces its timeout and TerminateJob.
func (at *attempt) watch(ctx context.Context, exec Execution) (o batch.AttemptOutcome, report bool) {
	a := at.a
	j := &at.job
	waited := make(chan RunResult, 1)
	go func() { waited <- exec.Wait() }()

	if held, err := a.ctl.MarkHeldRunning(ctx, at.job); err != nil {
		a.log.Warn("marking job RUNNING", "job", at.id, "err", err)
		if errors.Is(err, control.ErrLeaseLost) {
			a.cfg.Metrics.LeaseLost()
			exec.Stop(time.Millisecond)
			<-waited
			return o, false
		}
	} else {
		at.job = held
	}
	at.started = a.cfg.Clock.Now()

	var timeout <-chan time.Time
	if t := j.Timeout; t != nil && t.AttemptDurationSeconds != nil && *t.AttemptDurationSeconds > 0 {
		timeout = a.cfg.After(time.Duration(*t.AttemptDurationSeconds) * time.Second)
	}
	beat := time.NewTicker(a.cfg.HeartbeatEvery)
	defer beat.Stop()

	var timedOut, terminated bool
	exited := func(res RunResult) batch.AttemptOutcome {
		return batch.AttemptOutcome{
			ExitCode:   &res.ExitCode,
			Reason:     res.Reason,
			TimedOut:   timedOut,
			Terminated: terminated,
		}
	}
	for {
		select {
		case res := <-waited:
			return exited(res), true
		case <-ctx.Done():
			// The instance is going away: stop the job and leave the
			// attempt to the control plane (lease expiry or instance
			// release ends it as a lost host).
			exec.Stop(time.Second)
			<-waited
			return o, false
		case <-a.evacuate:
			// The instance is about to be reclaimed: stop the job and hand
			// its attempt back as lost with the host, to be retried
			// elsewhere per its retry strategy.
			select {
			case res := <-waited:
				return exited(res), true // it ended on its own just now
			default:
			}
			at.logf("instance %s is going away: stopping the job", a.cfg.InstanceID)
			exec.Stop(a.evacuateGrace)
			<-waited
			return a.evacuated(), true
		case <-timeout:
			timeout = nil
			if !terminated {
				timedOut = true
				at.logf("attempt duration of %ds exceeded: stopping the job", *j.Timeout.AttemptDurationSeconds)
				exec.Stop(a.cfg.KillGrace)
			}
		case <-beat.C:
			cur, err := a.ctl.HeartbeatHeld(ctx, at.job)
			if err == nil {
				at.job = cur
				a.cfg.Metrics.LeaseRenewed()
			}
			switch {
			case errors.Is(err, control.ErrLeaseLost):
				a.cfg.Metrics.LeaseLost()
				a.log.Warn("lease lost: stopping attempt", "job", at.id, "attempt", at.number)
				exec.Stop(time.Millisecond)
				<-waited
				return o, false
			case err != nil:
				a.log.Warn("heartbeat", "job", at.id, "err", err)
			case cur.Internal.TerminateRequested && !terminated && !timedOut:
				terminated = true
				at.logf("terminate requested (%s): stopping the job", cur.Internal.CancelReason)
				exec.Stop(a.cfg.KillGrace)
			}
		}
	}
}

// spec builds the runtime's view of the attempt and its working directory.
func (at *attempt) spec() (RunSpec, error) {
	j := &at.job
	c := j.Container
	if c == nil {
		return RunSpec{}, errors.New("job has no container")
	}
	dir := filepath.Join(at.a.cfg.WorkRoot, strings.NewReplacer(":", "-", "/", "-").Replace(j.JobID)+"-"+strconv.Itoa(at.number))
	at.dir = dir
	return RunSpec{
		JobID:      j.JobID,
		Attempt:    at.number,
		InstanceID: at.a.cfg.InstanceID,
		Allowed:    at.a.allowedNow(),
		Image:      c.Image,
		Command:    c.Command,
		Env:        Environment(j, at.a.cfg.ComputeEnvironment),
		WorkDir:    dir,
		User:       c.User,
		VCPUs:      j.Internal.VCPUs,
		MemoryMiB:  j.Internal.MemoryMiB,
		GPUs:       j.Internal.GPUs,
		Container:  c,
	}, nil
}

// finish reports the outcome, retrying while the control plane is
// unreachable; a lost lease ends the matter.
func (at *attempt) finish(ctx context.Context, o batch.AttemptOutcome) {
	a := at.a
	backoff := 100 * time.Millisecond
	for {
		_, err := a.ctl.FinishHeld(ctx, at.job, o)
		if err == nil || errors.Is(err, control.ErrLeaseLost) || errors.Is(err, batch.ErrNotFound) {
			if errors.Is(err, control.ErrLeaseLost) {
				a.cfg.Metrics.LeaseLost()
			}
			if err != nil {
				a.log.Warn("attempt result not recorded", "job", at.id, "err", err)
			}
			return
		}
		a.log.Error("reporting attempt", "job", at.id, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}
