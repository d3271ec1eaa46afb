package control

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

// ErrNotClaimable means a job is no longer RUNNABLE: another agent won it,
// or it was cancelled. The caller drops its doorbell.
var ErrNotClaimable = errors.New("job is not RUNNABLE")

// ErrLeaseLost means the caller no longer holds the job's current attempt:
// the attempt was fenced off (lease expired, job retried elsewhere or
// finished). The caller must stop the attempt and write nothing more.
var ErrLeaseLost = errors.New("attempt lease lost")

// Placement is where an attempt runs.
type Placement struct {
	InstanceID         string
	ComputeEnvironment string
}

// Status reasons AWS Batch uses.
const (
	ReasonExited       = "Essential container in task exited"
	ReasonTimeout      = "Job attempt duration exceeded timeout"
	ReasonStartFailed  = "Task failed to start"
	ReasonDependency   = "Dependent Job failed"
	ReasonArrayChild   = "Array Child Job failed"
	reasonHostFmt      = "Host EC2 (instance %s) terminated."
	reasonTimeLimitFmt = "Canceled by JobStateTimeLimit action due to reason: %s"
)

// HostTerminatedReason is the statusReason of an attempt whose instance died.
func HostTerminatedReason(instanceID string) string { return fmt.Sprintf(reasonHostFmt, instanceID) }

// taskID names an attempt the way an ECS task id would.
func taskID(jobID string, attempt int) string {
	return fmt.Sprintf("%s-%d", strings.NewReplacer(":", "-", "#", "-").Replace(jobID), attempt)
}

// LogStreamName is the log stream of attempt of a job of the definition
// named definition, with no awslogs stream prefix:
// `<definition>/default/<task>`.
func LogStreamName(definition, jobID string, attempt int) string {
	return batch.LogStreamName(batch.LogTarget{}, definition, taskID(jobID, attempt))
}

// AttemptLogStream is the log stream of a job's attempt, as AWS Batch
// names it: `<prefix>/default/<task>`, the prefix being the job's awslogs
// stream prefix, or else its job definition's name.
func AttemptLogStream(j *batch.Job, attempt int) string {
	return batch.LogStreamName(batch.LogTargetOf(j.Container), j.Internal.DefinitionName, taskID(j.JobID, attempt))
}

// Claim wins a RUNNABLE job for an instance: the job becomes STARTING with
// a new attempt whose lease the instance holds.
func (s *Service) Claim(ctx context.Context, jobID string, p Placement) (batch.Job, error) {
	return s.mutateJob(ctx, jobID, s.claim(p))
}

// ClaimJob is Claim of a job the caller has just read, which spares a read
// while no one else has written it since. The doorbell that announced the
// job is deleted with the claim: the job row is the truth from then on.
func (s *Service) ClaimJob(ctx context.Context, job batch.Job, p Placement, doorbell batch.Delivery) (batch.Job, error) {
	return s.mutateDeleting(ctx, job, s.claim(p), &doorbell)
}

// ClaimChecked is Claim of a job that check accepts, judged on the job as
// read just before the write (and again after a conflict): the agent API
// checks there that the caller may take the job. check's error is
// returned as it is, and nothing is written.
func (s *Service) ClaimChecked(ctx context.Context, jobID string, p Placement, check func(j *batch.Job) error) (batch.Job, error) {
	claim := s.claim(p)
	return s.mutateJob(ctx, jobID, func(j *batch.Job) ([]batch.Message, error) {
		if err := check(j); err != nil {
			return nil, err
		}
		return claim(j)
	})
}

func (s *Service) claim(p Placement) func(j *batch.Job) ([]batch.Message, error) {
	return func(j *batch.Job) ([]batch.Message, error) {
		if j.Status != batch.Runnable {
			return nil, ErrNotClaimable
		}
		now := s.now()
		j.Status = batch.Starting
		j.StatusReason = ""
		j.Internal.Attempt++
		j.Internal.Instance = p.InstanceID
		j.Internal.ComputeEnvironment = p.ComputeEnvironment
		j.Internal.LeaseExpiresAt = batch.Millis(now.Add(s.opts.LeaseDuration))
		j.Internal.BlockedSince = 0
		part := s.opts.Partition
		c := &batch.AttemptContainerDetail{
			ContainerInstanceArn: fmt.Sprintf("arn:aws:ecs:%s:%s:container-instance/%s", part.Region, part.Account, p.InstanceID),
			TaskArn:              fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/%s", part.Region, part.Account, p.ComputeEnvironment, taskID(j.JobID, j.Internal.Attempt)),
			LogStreamName:        AttemptLogStream(j, j.Internal.Attempt),
		}
		j.Attempts = append(j.Attempts, batch.AttemptDetail{Container: c})
		if j.Container != nil {
			j.Container.ContainerInstanceArn = c.ContainerInstanceArn
			j.Container.TaskArn = c.TaskArn
			j.Container.LogStreamName = c.LogStreamName
			j.Container.ExitCode = nil
			j.Container.Reason = ""
		}
		return nil, nil
	}
}

// fence checks that the caller holds the job's current attempt.
func fence(j *batch.Job, attempt int, instance string) error {
	if !j.Status.Active() || j.Internal.Attempt != attempt || j.Internal.Instance != instance {
		return fmt.Errorf("job %s attempt %d on %s: %w", j.JobID, attempt, instance, ErrLeaseLost)
	}
	return nil
}

// The agent's writes below come in two forms: by job id, naming the attempt
// and instance, and "held", passing the job as the agent last got it back
// from the control plane (its attempt and instance are the fence, and its
// version spares a read while it is current).

// MarkRunning records that an attempt's process or container started.
func (s *Service) MarkRunning(ctx context.Context, jobID string, attempt int, instance string) (batch.Job, error) {
	return s.mutateJob(ctx, jobID, s.markRunning(attempt, instance))
}

// MarkHeldRunning is MarkRunning of the attempt held.
func (s *Service) MarkHeldRunning(ctx context.Context, held batch.Job) (batch.Job, error) {
	return s.mutate(ctx, held, s.markRunning(held.Internal.Attempt, held.Internal.Instance))
}

func (s *Service) markRunning(attempt int, instance string) func(j *batch.Job) ([]batch.Message, error) {
	return func(j *batch.Job) ([]batch.Message, error) {
		if err := fence(j, attempt, instance); err != nil {
			return nil, err
		}
		if j.Status == batch.Running {
			return nil, errNoChange
		}
		now := s.now()
		j.Status = batch.Running
		j.StartedAt = batch.Millis(now)
		j.Attempts[attempt-1].StartedAt = j.StartedAt
		j.Internal.LeaseExpiresAt = batch.Millis(now.Add(s.opts.LeaseDuration))
		return nil, nil
	}
}

// Heartbeat renews an attempt's lease. The job it returns tells the agent
// whether a TerminateJob asked it to stop.
func (s *Service) Heartbeat(ctx context.Context, jobID string, attempt int, instance string) (batch.Job, error) {
	return s.mutateJob(ctx, jobID, s.renew(attempt, instance))
}

// HeartbeatHeld is Heartbeat of the attempt held.
func (s *Service) HeartbeatHeld(ctx context.Context, held batch.Job) (batch.Job, error) {
	return s.mutate(ctx, held, s.renew(held.Internal.Attempt, held.Internal.Instance))
}

func (s *Service) renew(attempt int, instance string) func(j *batch.Job) ([]batch.Message, error) {
	return func(j *batch.Job) ([]batch.Message, error) {
		if err := fence(j, attempt, instance); err != nil {
			return nil, err
		}
		j.Internal.LeaseExpiresAt = batch.Millis(s.now().Add(s.opts.LeaseDuration))
		return nil, nil
	}
}

// FinishAttempt records how an attempt ended and moves the job on:
// SUCCEEDED, back to RUNNABLE for a retry, or FAILED.
func (s *Service) FinishAttempt(ctx context.Context, jobID string, attempt int, instance string, o batch.AttemptOutcome) (batch.Job, error) {
	return s.mutateJob(ctx, jobID, s.finish(attempt, instance, o))
}

// FinishHeld is FinishAttempt of the attempt held.
func (s *Service) FinishHeld(ctx context.Context, held batch.Job, o batch.AttemptOutcome) (batch.Job, error) {
	return s.mutate(ctx, held, s.finish(held.Internal.Attempt, held.Internal.Instance, o))
}

func (s *Service) finish(attempt int, instance string, o batch.AttemptOutcome) func(j *batch.Job) ([]batch.Message, error) {
	return func(j *batch.Job) ([]batch.Message, error) {
		if err := fence(j, attempt, instance); err != nil {
			return nil, err
		}
		return s.endAttempt(j, o), nil
	}
}

// endAttempt applies an attempt's outcome to a job that holds it.
func (s *Service) endAttempt(j *batch.Job, o batch.AttemptOutcome) []batch.Message {
	now := s.nowMillis()
	if j.Internal.TerminateRequested {
		o.Terminated = true
	}
	reason := o.StatusReason
	switch {
	case o.Terminated:
		reason = j.Internal.CancelReason
	case reason != "":
	case o.TimedOut:
		reason = ReasonTimeout
	default:
		reason = ReasonExited
	}
	o.StatusReason = reason
	a := &j.Attempts[j.Internal.Attempt-1]
	if a.StartedAt == 0 {
		a.StartedAt = now
	}
	a.StoppedAt = now
	a.StatusReason = reason
	if a.Container == nil {
		a.Container = &batch.AttemptContainerDetail{}
	}
	a.Container.ExitCode = o.ExitCode
	a.Container.Reason = truncate(o.Reason, 255)
	if j.Container != nil {
		j.Container.ExitCode = o.ExitCode
		j.Container.Reason = a.Container.Reason
	}
	j.Internal.Instance = ""
	j.Internal.LeaseExpiresAt = 0
	j.StatusReason = reason

	succeeded := !o.Terminated && !o.TimedOut && o.ExitCode != nil && *o.ExitCode == 0 && o.StatusReason == ReasonExited
	switch {
	case succeeded:
		j.Status = batch.Succeeded
		j.StoppedAt = now
		return nil
	case batch.ShouldRetry(j.RetryStrategy, j.Internal.Attempt, o):
		j.Status = batch.Runnable
		// Retried jobs go to the front of the queue.
		j.Internal.RunnableAt = j.CreatedAt
		j.Internal.LastProgressAt = now
		return s.readyDoorbell(j)
	default:
		j.Status = batch.Failed
		j.StoppedAt = now
		return nil
	}
}

// LoseAttempt ends an attempt whose instance is gone or whose lease expired,
// as AWS Batch does when a host dies: the job is retried or failed with
// `Host EC2 (instance i-...) terminated.` per its retry strategy. It is
// judged by the control plane's clock: a lease that was renewed since the
// caller looked is left alone.
func (s *Service) LoseAttempt(ctx context.Context, jobID string, attempt int, instance string, onlyIfExpired bool) (batch.Job, error) {
	return s.mutateJob(ctx, jobID, func(j *batch.Job) ([]batch.Message, error) {
		if err := fence(j, attempt, instance); err != nil {
			return nil, errNoChange
		}
		if onlyIfExpired && j.Internal.LeaseExpiresAt > s.nowMillis() {
			return nil, errNoChange
		}
		return s.endAttempt(j, batch.AttemptOutcome{StatusReason: HostTerminatedReason(instance)}), nil
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
