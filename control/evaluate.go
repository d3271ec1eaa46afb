package control

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tanda-batch/tanda/batch"
)

// childBatch is how many array children are written per transaction.
const childBatch = 500

// Evaluate is the scheduler's level-triggered step for one job: whatever
// rang its doorbell, it looks at the job's state and does what that state
// needs. Running it twice, or late, is harmless.
//   - SUBMITTED/PENDING: resolve dependencies; expand an array parent.
//   - RUNNABLE: make sure its ready doorbell rings.
//   - an expanded array parent: finish it when its children have finished.
//   - SUCCEEDED/FAILED: nothing. The write that finished the job woke its
//     dependents and its array parent (mutateDeleting), and the sweeper's
//     re-evaluation of PENDING jobs covers a wake-up lost to a crash. A
//     finished job gets doorbells long after (each child's end rings its
//     array parent; queues deliver twice): waking its dependents again at
//     each would fan every duplicate out to all of them.
func (s *Service) Evaluate(ctx context.Context, jobID string) error {
	j, err := s.store.GetJob(ctx, jobID)
	if errors.Is(err, batch.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading job %s: %w", jobID, err)
	}
	switch {
	case j.Status.Terminal():
		return nil
	case isArrayParent(&j) && j.Internal.Expanded:
		return s.finishParent(ctx, jobID)
	case j.Status == batch.Submitted || j.Status == batch.Pending:
		return s.resolve(ctx, j)
	case j.Status == batch.Runnable:
		return s.send(ctx, s.readyDoorbell(&j)...)
	}
	return nil
}

func isArrayParent(j *batch.Job) bool {
	return j.ArrayProperties != nil && j.ArrayProperties.Size != nil && j.Internal.ArrayParent == ""
}

func (s *Service) send(ctx context.Context, msgs ...batch.Message) error {
	if len(msgs) == 0 || s.opts.Queues == nil {
		return nil
	}
	if err := s.opts.Queues.Send(ctx, msgs); err != nil {
		return fmt.Errorf("ringing doorbells: %w", err)
	}
	return nil
}

// waitsOn lists the jobs a job waits for before it may run. For an array
// parent these are the whole-job dependencies; N_TO_N and SEQUENTIAL are
// resolved per child.
func waitsOn(j *batch.Job) []string {
	var ids []string
	for _, d := range j.DependsOn {
		if d.JobID == "" {
			continue
		}
		if isArrayParent(j) && d.Type == batch.DependencyNToN {
			continue
		}
		ids = append(ids, d.JobID)
	}
	return ids
}

type depState int

const (
	depsMet depState = iota
	depsWaiting
	depsFailed
)

// dependencyState reads a job's dependencies. A dependency that no longer
// exists (past retention) counts as failed, except an N_TO_N partner whose
// array parent has not expanded yet: that one is waited for.
func (s *Service) dependencyState(ctx context.Context, ids []string) (depState, error) {
	if len(ids) == 0 {
		return depsMet, nil
	}
	deps, err := s.store.GetJobs(ctx, ids)
	if err != nil {
		return 0, fmt.Errorf("reading dependencies: %w", err)
	}
	found := make(map[string]batch.Status, len(deps))
	for _, d := range deps {
		found[d.JobID] = d.Status
	}
	state := depsMet
	var unborn []string
	for _, id := range ids {
		st, ok := found[id]
		switch {
		case !ok && strings.Contains(id, ":"):
			unborn = append(unborn, id)
		case !ok || st == batch.Failed:
			return depsFailed, nil
		case st != batch.Succeeded:
			state = depsWaiting
		}
	}
	if len(unborn) == 0 {
		return state, nil
	}
	return s.unbornState(ctx, unborn)
}

// unbornState judges array children that do not exist: they are awaited
// while their parent has yet to expand, and count as failed once it has
// expanded or ended without them (or is itself gone).
func (s *Service) unbornState(ctx context.Context, ids []string) (depState, error) {
	parentIDs := make([]string, 0, len(ids))
	for _, id := range ids {
		parentIDs = append(parentIDs, id[:strings.LastIndexByte(id, ':')])
	}
	parents, err := s.store.GetJobs(ctx, parentIDs)
	if err != nil {
		return 0, fmt.Errorf("reading dependencies' array parents: %w", err)
	}
	unexpanded := make(map[string]bool, len(parents))
	for _, p := range parents {
		unexpanded[p.JobID] = !p.Internal.Expanded && !p.Status.Terminal()
	}
	for _, p := range parentIDs {
		if !unexpanded[p] {
			return depsFailed, nil
		}
	}
	return depsWaiting, nil
}

// resolve moves a SUBMITTED or PENDING job on according to its dependencies.
func (s *Service) resolve(ctx context.Context, j batch.Job) error {
	ids := waitsOn(&j)
	if len(ids) > 0 {
		// Record the edges before looking, so a dependency that finishes
		// after the look wakes this job.
		edges := make([]batch.Dependency, 0, len(ids))
		for _, id := range ids {
			edges = append(edges, batch.Dependency{On: id, Dependent: j.JobID})
		}
		if err := s.store.AddDependents(ctx, edges); err != nil {
			return fmt.Errorf("recording dependencies of %s: %w", j.JobID, err)
		}
	}
	state, err := s.dependencyState(ctx, ids)
	if err != nil {
		return err
	}
	if state == depsMet && isArrayParent(&j) {
		return s.expand(ctx, j)
	}
	_, err = s.mutateJob(ctx, j.JobID, func(j *batch.Job) ([]batch.Message, error) {
		if j.Status != batch.Submitted && j.Status != batch.Pending {
			return nil, errNoChange
		}
		now := s.nowMillis()
		j.Internal.LastProgressAt = now
		switch state {
		case depsFailed:
			s.fail(j, ReasonDependency)
			return nil, nil
		case depsWaiting:
			if j.Status == batch.Pending {
				return nil, errNoChange
			}
			j.Status = batch.Pending
			return nil, nil
		default:
			j.Status = batch.Runnable
			j.Internal.RunnableAt = now
			return s.readyDoorbell(j), nil
		}
	})
	return err
}

// ChildID is the id of an array job's child.
func ChildID(parent string, index int) string { return parent + ":" + strconv.Itoa(index) }

// expand writes an array parent's children and moves the parent to
// PENDING. Child ids are fixed (`parent:index`), so a repeated expansion
// after a crash writes only the children that are missing.
func (s *Service) expand(ctx context.Context, parent batch.Job) error {
	size := *parent.ArrayProperties.Size
	sequential := false
	var nToN []string
	for _, d := range parent.DependsOn {
		switch {
		case d.Type == batch.DependencySequential:
			sequential = true
		case d.Type == batch.DependencyNToN && d.JobID != "":
			nToN = append(nToN, d.JobID)
		}
	}
	now := s.nowMillis()
	for start := 0; start < size; start += childBatch {
		end := min(start+childBatch, size)
		children := make([]batch.Job, 0, end-start)
		var edges []batch.Dependency
		var msgs []batch.Message
		for i := start; i < end; i++ {
			c := s.child(&parent, i, now)
			if sequential && i > 0 {
				prev := ChildID(parent.JobID, i-1)
				c.DependsOn = append(c.DependsOn, batch.JobDependency{JobID: prev, Type: batch.DependencySequential})
				edges = append(edges, batch.Dependency{On: prev, Dependent: c.JobID})
			}
			for _, x := range nToN {
				dep := ChildID(x, i)
				c.DependsOn = append(c.DependsOn, batch.JobDependency{JobID: dep, Type: batch.DependencyNToN})
				// The partner may not exist yet (x has not expanded):
				// x's end wakes the child too.
				edges = append(edges, batch.Dependency{On: dep, Dependent: c.JobID}, batch.Dependency{On: x, Dependent: c.JobID})
			}
			switch {
			case len(c.DependsOn) == 0:
				c.Status = batch.Runnable
				c.Internal.RunnableAt = now
				msgs = append(msgs, s.readyDoorbell(&c)...)
			case len(nToN) > 0:
				// Its N_TO_N partner may already have finished.
				c.Status = batch.Pending
				msgs = append(msgs, schedulerDoorbell(c.JobID))
			default:
				c.Status = batch.Pending
			}
			children = append(children, c)
		}
		if len(edges) > 0 {
			if err := s.store.AddDependents(ctx, edges); err != nil {
				return fmt.Errorf("recording dependencies of %s's children: %w", parent.JobID, err)
			}
		}
		if err := s.createChildren(ctx, children, msgs); err != nil {
			return fmt.Errorf("writing children of %s: %w", parent.JobID, err)
		}
		s.publish(ctx, children...)
	}
	p, err := s.mutateJob(ctx, parent.JobID, func(j *batch.Job) ([]batch.Message, error) {
		if j.Internal.Expanded || j.Status.Terminal() {
			return nil, errNoChange
		}
		j.Status = batch.Pending
		j.Internal.Expanded = true
		j.Internal.LastProgressAt = s.nowMillis()
		// Children may all have finished already (a repeated expansion).
		return []batch.Message{schedulerDoorbell(j.JobID)}, nil
	})
	if err != nil {
		return err
	}
	if p.Status.Terminal() && !p.Internal.Expanded {
		// Cancelled or terminated while its children were being written:
		// they end with it.
		terminated := p.IsTerminated != nil && *p.IsTerminated
		return s.stopChildren(ctx, p.JobID, p.StatusReason, terminated)
	}
	return nil
}

// createChildren writes a batch of children; if some exist from an earlier
// expansion, it writes the others one by one.
func (s *Service) createChildren(ctx context.Context, children []batch.Job, msgs []batch.Message) error {
	err := s.store.CreateJobs(ctx, children, msgs)
	if err == nil {
		s.jobsCreated(children)
	}
	if !errors.Is(err, batch.ErrConflict) {
		return err
	}
	byID := make(map[string]batch.Message, len(msgs))
	for _, m := range msgs {
		byID[m.ID] = m
	}
	for _, c := range children {
		var one []batch.Message
		if m, ok := byID[c.JobID]; ok {
			one = []batch.Message{m}
		}
		switch err := s.store.CreateJobs(ctx, []batch.Job{c}, one); {
		case err == nil:
			s.jobsCreated([]batch.Job{c})
		case !errors.Is(err, batch.ErrConflict):
			return err
		}
	}
	return nil
}

// child makes array child i of a parent.
func (s *Service) child(p *batch.Job, i int, now int64) batch.Job {
	id := ChildID(p.JobID, i)
	idx := i
	c := batch.Job{
		JobArn:               s.opts.Partition.JobARN(id),
		JobName:              p.JobName,
		JobID:                id,
		JobQueue:             p.JobQueue,
		ShareIdentifier:      p.ShareIdentifier,
		SchedulingPriority:   p.SchedulingPriority,
		Attempts:             []batch.AttemptDetail{},
		CreatedAt:            now,
		RetryStrategy:        p.RetryStrategy,
		DependsOn:            []batch.JobDependency{},
		JobDefinition:        p.JobDefinition,
		Parameters:           p.Parameters,
		Container:            p.Container,
		ArrayProperties:      &batch.ArrayPropertiesDetail{Index: &idx},
		Timeout:              p.Timeout,
		PropagateTags:        p.PropagateTags,
		PlatformCapabilities: p.PlatformCapabilities,
		Internal: batch.JobInternal{
			QueueName:      p.Internal.QueueName,
			DefinitionName: p.Internal.DefinitionName,
			ArrayParent:    p.JobID,
			FairShare:      p.Internal.FairShare,
			ArraySize:      *p.ArrayProperties.Size,
			UpdatedAt:      now,
			LastProgressAt: now,
			VCPUs:          p.Internal.VCPUs,
			MemoryMiB:      p.Internal.MemoryMiB,
			GPUs:           p.Internal.GPUs,
		},
	}
	return c
}

// finishParent ends an array parent once every child has finished:
// SUCCEEDED if all succeeded, otherwise FAILED (`Array Child Job failed`).
// Every child's end rings its parent, so it first asks whether a child is
// still open, which the store answers by reading little (on DynamoDB
// usually a few index entries and one job), and counts the children,
// reading them all, only when none is: counting at every child's end
// would read n children n times for an array of n. The count, checked
// against the array's size, also covers a child the store's index does
// not show yet.
func (s *Service) finishParent(ctx context.Context, id string) error {
	open, err := s.store.AnyChildOpen(ctx, id)
	if err != nil {
		return fmt.Errorf("finishing array parent %s: %w", id, err)
	}
	if open {
		return nil
	}
	counts, err := s.store.CountChildren(ctx, id)
	if err != nil {
		return fmt.Errorf("counting children of %s: %w", id, err)
	}
	_, err = s.mutateJob(ctx, id, func(j *batch.Job) ([]batch.Message, error) {
		if j.Status.Terminal() {
			return nil, errNoChange
		}
		size := *j.ArrayProperties.Size
		if counts[batch.Succeeded]+counts[batch.Failed] < size {
			return nil, errNoChange
		}
		if counts[batch.Succeeded] == size {
			j.Status = batch.Succeeded
			j.StatusReason = ""
			j.StoppedAt = s.nowMillis()
		} else if j.Internal.CancelRequested {
			s.fail(j, j.Internal.CancelReason)
			if j.Internal.TerminateRequested {
				j.IsTerminated = boolPtr(true)
			} else {
				j.IsCancelled = boolPtr(true)
			}
		} else {
			s.fail(j, ReasonArrayChild)
		}
		return nil, nil
	})
	return err
}

// wakeDependents rings the doorbells of the jobs that wait on a finished
// job, and of its array parent if the job may have been its last open
// child.
func (s *Service) wakeDependents(ctx context.Context, j batch.Job) error {
	ids, err := s.store.Dependents(ctx, j.JobID)
	if err != nil {
		return fmt.Errorf("listing dependents of %s: %w", j.JobID, err)
	}
	msgs := make([]batch.Message, 0, len(ids)+1)
	for _, id := range ids {
		msgs = append(msgs, schedulerDoorbell(id))
	}
	if p := j.Internal.ArrayParent; p != "" && s.parentMayFinish(ctx, p) {
		msgs = append(msgs, schedulerDoorbell(p))
	}
	return s.send(ctx, msgs...)
}

// parentMayFinish reports whether an array parent should be rung now that
// one of its children has finished: only if no child is still open. SQS
// does not merge doorbells, so ringing the parent at every child's end put
// one doorbell per child on the scheduler's queue (2,300 for one parent of
// 1,000 children in the 10,000-job chaos run on moto), and the doorbells
// of other jobs waited behind them. Every child's finishing write is
// durable before its check, and a finished child stays finished, so the
// check of the last child to finish finds none open: the parent is still
// rung. A check that fails rings the parent, as before.
func (s *Service) parentMayFinish(ctx context.Context, parent string) bool {
	open, err := s.store.AnyChildOpen(ctx, parent)
	if err != nil {
		s.opts.Logger.Warn("looking for an open child of an array parent; ringing it", "parent", parent, "err", err)
		return true
	}
	return !open
}
