package control

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// SweepOptions say how long a job may go without progress before the
// sweeper rings its doorbell again.
type SweepOptions struct {
	// Stale is how old a SUBMITTED job's last write must be before its
	// doorbell is rung again, then at doubling ages as below (a scheduler
	// that is behind is not sent more of the same doorbells at every
	// sweep). (RUNNABLE jobs are rung by the queue pass.)
	Stale time.Duration
	// StalePending is the same for PENDING jobs, whose dependencies may
	// legitimately take long: such a job is rung at StalePending,
	// 2×StalePending, 4×… after its last write, at most 5 minutes apart
	// (reringDue), so that a lost wake-up is found soon and a long wait
	// costs few evaluations.
	StalePending time.Duration
	// Every is how often the sweep runs; without it, every SUBMITTED or
	// PENDING job past its age is rung at every sweep.
	Every time.Duration
	// MaxRings bounds the doorbells one sweep sends (0: no bound). The
	// due jobs beyond it are carried to the next sweeps, first in line,
	// so that a large array whose children came due together costs each
	// sweep a bounded time (its lease expiry waits behind it) and none
	// of them is skipped.
	MaxRings int
}

// SweepResult counts what a sweep did.
type SweepResult struct {
	LeasesExpired int
	Rerung        int
	Deleted       int
}

// ExpireLeases ends the attempts whose lease ran out: their agent crashed,
// their instance died, or they lost touch. It is judged by this process's
// clock, never an agent's.
func (s *Service) ExpireLeases(ctx context.Context, limit int) (int, error) {
	now := s.nowMillis()
	pg, err := s.store.ListJobs(ctx, batch.JobQuery{
		Statuses:    []batch.Status{batch.Starting, batch.Running},
		LeaseBefore: now,
		Order:       batch.NewestFirst,
		Limit:       limit,
	})
	if err != nil {
		return 0, fmt.Errorf("listing expired leases: %w", err)
	}
	n := 0
	for _, j := range pg.Jobs {
		_, err := s.LoseAttempt(ctx, j.JobID, j.Internal.Attempt, j.Internal.Instance, true)
		if err != nil && !errors.Is(err, batch.ErrNotFound) {
			return n, err
		}
		n++
	}
	return n, nil
}

// HeldBy lists the STARTING and RUNNING jobs whose attempt an instance holds.
func (s *Service) HeldBy(ctx context.Context, instanceID string) ([]batch.Job, error) {
	pg, err := s.store.ListJobs(ctx, batch.JobQuery{
		Statuses: []batch.Status{batch.Starting, batch.Running},
		Instance: instanceID,
		Limit:    1000,
	})
	if err != nil {
		return nil, fmt.Errorf("listing jobs of %s: %w", instanceID, err)
	}
	return pg.Jobs, nil
}

// ReleaseInstance ends every attempt held by an instance that is gone.
func (s *Service) ReleaseInstance(ctx context.Context, instanceID string) (int, error) {
	held, err := s.HeldBy(ctx, instanceID)
	if err != nil {
		return 0, err
	}
	for _, j := range held {
		if _, err := s.LoseAttempt(ctx, j.JobID, j.Internal.Attempt, instanceID, false); err != nil && !errors.Is(err, batch.ErrNotFound) {
			return 0, err
		}
	}
	return len(held), nil
}

// Rering rings the doorbells of jobs that made no progress for a while,
// covering doorbells that were lost (a crash between a write and its send,
// or a queue that dropped a message). Duplicates are harmless: every
// consumer acts through conditional writes. It pages through every stale
// job, however many wait (a large array's children, a long chain of
// dependencies), reading ids and times from the store's index of waiting
// jobs and no documents, and rings those due (reringDue): so a lost
// wake-up is found whatever the backlog, and a sweep costs a read of the
// index entries, not of the jobs.
func (s *Service) Rering(ctx context.Context, o SweepOptions) (int, error) {
	now := s.now()
	gap := time.Duration(0)
	if o.Every > 0 {
		gap = s.gaps.since("sweep", now, o.Every)
	}
	kinds := []struct {
		status  batch.Status
		age     time.Duration
		backoff bool
	}{
		{batch.Submitted, o.Stale, o.Every > 0},
		{batch.Pending, o.StalePending, o.Every > 0},
	}
	budget := o.MaxRings
	if budget <= 0 {
		budget = math.MaxInt
	}
	n := 0
	ring := func(ids []string) error {
		if err := s.send(ctx, doorbells(ids)...); err != nil {
			s.carried.add(ids) // the next sweep tries them again
			return err
		}
		n += len(ids)
		budget -= len(ids)
		return nil
	}
	if err := ring(s.carried.take(budget)); err != nil {
		return n, err
	}
	for _, k := range kinds {
		q := batch.StaleQuery{Status: k.status, UpdatedBefore: batch.Millis(now.Add(-k.age))}
		for {
			pg, err := s.store.StaleJobs(ctx, q)
			if err != nil {
				return n, fmt.Errorf("listing stale %s jobs: %w", k.status, err)
			}
			var due []string
			for _, j := range pg.Jobs {
				age := now.Sub(time.UnixMilli(j.UpdatedAt))
				if k.backoff && !reringDue(age, gap, k.age) {
					continue
				}
				due = append(due, j.JobID)
			}
			cut := min(len(due), budget)
			s.carried.add(due[cut:])
			if err := ring(due[:cut]); err != nil {
				return n, err
			}
			if pg.Next == "" {
				break
			}
			q.Page = pg.Next
		}
	}
	return n, nil
}

func doorbells(ids []string) []batch.Message {
	msgs := make([]batch.Message, len(ids))
	for i, id := range ids {
		msgs[i] = schedulerDoorbell(id)
	}
	return msgs
}

// carriedRings are the doorbells sweeps found due beyond their MaxRings,
// in the order found, each once; a restart forgets them, and its first
// sweep rings every due job again (passGaps).
type carriedRings struct {
	mu  sync.Mutex
	ids []string
	in  map[string]bool
}

func (c *carriedRings) add(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.in == nil {
		c.in = map[string]bool{}
	}
	for _, id := range ids {
		if !c.in[id] {
			c.in[id] = true
			c.ids = append(c.ids, id)
		}
	}
}

// take removes and returns up to n of the oldest carried doorbells.
func (c *carriedRings) take(n int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := min(n, len(c.ids))
	out := slices.Clone(c.ids[:k])
	c.ids = slices.Delete(c.ids, 0, k)
	for _, id := range out {
		delete(c.in, id)
	}
	return out
}

// DeleteExpired deletes finished jobs past retention and expired records.
func (s *Service) DeleteExpired(ctx context.Context) (int, error) {
	n, err := s.store.DeleteExpired(ctx, s.now())
	if err != nil {
		return n, fmt.Errorf("deleting expired jobs: %w", err)
	}
	return n, nil
}
