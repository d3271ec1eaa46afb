package control

import (
	"context"
	"errors"
	"fmt"

	"github.com/tanda-batch/tanda/batch"
)

// CancelJob cancels a job that has not started: SUBMITTED, PENDING and
// RUNNABLE jobs become FAILED with isCancelled. For STARTING and RUNNING
// jobs it does nothing, as AWS Batch does.
func (s *Service) CancelJob(ctx context.Context, in *batch.JobActionInput) error {
	if err := batch.ValidateJobAction(in); err != nil {
		return err
	}
	return s.stopJob(ctx, in.JobID, in.Reason, false)
}

// TerminateJob stops a job wherever it is: a STARTING or RUNNING attempt is
// sent SIGTERM (then SIGKILL) by its agent and the job ends FAILED with
// isTerminated; jobs that have not started are cancelled.
func (s *Service) TerminateJob(ctx context.Context, in *batch.JobActionInput) error {
	if err := batch.ValidateJobAction(in); err != nil {
		return err
	}
	return s.stopJob(ctx, in.JobID, in.Reason, true)
}

// CancelJobs cancels up to 50 jobs; unknown ids count as successful.
func (s *Service) CancelJobs(ctx context.Context, in *batch.BulkJobActionInput) (*batch.BulkJobActionOutput, error) {
	return s.bulk(ctx, in, false)
}

// TerminateJobs terminates up to 50 jobs; unknown ids count as successful.
func (s *Service) TerminateJobs(ctx context.Context, in *batch.BulkJobActionInput) (*batch.BulkJobActionOutput, error) {
	return s.bulk(ctx, in, true)
}

func (s *Service) bulk(ctx context.Context, in *batch.BulkJobActionInput, terminate bool) (*batch.BulkJobActionOutput, error) {
	if err := batch.ValidateBulkJobAction(in); err != nil {
		return nil, err
	}
	out := &batch.BulkJobActionOutput{Successful: []string{}, Errors: []batch.BulkJobError{}}
	for _, id := range in.Jobs {
		err := s.stopJob(ctx, id, in.Reason, terminate)
		switch {
		case err == nil:
			out.Successful = append(out.Successful, id)
		case batch.IsClientError(err):
			out.Errors = append(out.Errors, batch.BulkJobError{Job: id, Code: "ClientException", Message: err.Error()})
		default:
			return nil, err
		}
	}
	return out, nil
}

// stopJob cancels (or terminates) a job. Unknown ids are not an error.
func (s *Service) stopJob(ctx context.Context, id, reason string, terminate bool) error {
	expandedParent := false
	_, err := s.mutateJob(ctx, id, func(j *batch.Job) ([]batch.Message, error) {
		expandedParent = false
		if j.Status.Terminal() {
			return nil, errNoChange
		}
		isParent := j.ArrayProperties != nil && j.ArrayProperties.Size != nil && j.Internal.ArrayParent == ""
		if isParent && j.Internal.Expanded {
			// The parent ends when its children do.
			expandedParent = true
			if j.Internal.CancelRequested {
				return nil, errNoChange
			}
			j.Internal.CancelRequested = true
			j.Internal.TerminateRequested = terminate
			j.Internal.CancelReason = reason
			return nil, nil
		}
		if j.Status.Active() {
			if !terminate || j.Internal.TerminateRequested {
				return nil, errNoChange
			}
			j.Internal.TerminateRequested = true
			j.Internal.CancelReason = reason
			j.IsTerminated = boolPtr(true)
			return nil, nil
		}
		s.fail(j, reason)
		if terminate {
			j.IsTerminated = boolPtr(true)
		} else {
			j.IsCancelled = boolPtr(true)
		}
		j.Internal.CancelReason = reason
		return nil, nil
	})
	if errors.Is(err, batch.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if expandedParent {
		return s.stopChildren(ctx, id, reason, terminate)
	}
	return nil
}

func (s *Service) stopChildren(ctx context.Context, parent, reason string, terminate bool) error {
	q := batch.JobQuery{ArrayParent: parent, Order: batch.IndexOrder, Limit: 1000,
		Statuses: []batch.Status{batch.Submitted, batch.Pending, batch.Runnable, batch.Starting, batch.Running}}
	for {
		pg, err := s.store.ListJobs(ctx, q)
		if err != nil {
			return fmt.Errorf("listing children of %s: %w", parent, err)
		}
		for _, c := range pg.Jobs {
			if err := s.stopJob(ctx, c.JobID, reason, terminate); err != nil {
				return err
			}
		}
		if pg.Cursor == "" {
			return nil
		}
		q.Cursor = pg.Cursor
	}
}

// fail moves a job to FAILED now with a reason.
func (s *Service) fail(j *batch.Job, reason string) {
	j.Status = batch.Failed
	j.StatusReason = reason
	j.StoppedAt = s.nowMillis()
	j.Internal.Instance = ""
	j.Internal.LeaseExpiresAt = 0
}

func boolPtr(b bool) *bool { return &b }
