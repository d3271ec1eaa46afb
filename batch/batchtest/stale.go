package batchtest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

// StaleStore is what CheckStaleJobs reads and writes: a store's jobs and
// its listing of the stale waiting ones.
type StaleStore interface {
	CreateJobs(ctx context.Context, jobs []batch.Job, msgs []batch.Message) error
	StaleJobs(ctx context.Context, q batch.StaleQuery) (batch.StalePage, error)
}

// CheckStaleJobs writes jobs to a store and checks its listings of the
// stale SUBMITTED and PENDING ones (control.Store.StaleJobs): every job
// of the status last written before the bound, oldest first (ties by
// id), across pages, and none written at or after it, nor of another
// status. base is a job in status SUBMITTED as the store's tests make
// them.
func CheckStaleJobs(t *testing.T, s StaleStore, base batch.Job) {
	t.Helper()
	ctx := context.Background()
	const bound = 2000
	type spec struct {
		status    batch.Status
		updatedAt int64
	}
	specs := []spec{
		{batch.Pending, 1500}, {batch.Pending, 1000}, {batch.Submitted, 1000},
		{batch.Pending, 1000}, {batch.Pending, 1999}, {batch.Pending, 1},
		{batch.Submitted, 1700}, {batch.Pending, 1200}, {batch.Pending, 1500},
		{batch.Pending, bound},       // not before the bound
		{batch.Submitted, bound + 1}, // nor this one
		{batch.Runnable, 500},        // not waiting for the scheduler
	}
	var jobs []batch.Job
	for i, sp := range specs {
		j := base
		j.JobID = fmt.Sprintf("stale-%02d", i)
		j.JobName = j.JobID
		j.Status = sp.status
		j.Internal.UpdatedAt = sp.updatedAt
		if sp.status == batch.Runnable {
			j.Internal.RunnableAt = sp.updatedAt
		}
		jobs = append(jobs, j)
	}
	if err := s.CreateJobs(ctx, jobs, nil); err != nil {
		t.Fatalf("CreateJobs: %v", err)
	}
	for _, status := range []batch.Status{batch.Pending, batch.Submitted} {
		var want []batch.StaleJob
		for _, j := range jobs {
			if j.Status == status && j.Internal.UpdatedAt < bound {
				want = append(want, batch.StaleJob{JobID: j.JobID, UpdatedAt: j.Internal.UpdatedAt})
			}
		}
		slices.SortFunc(want, func(a, b batch.StaleJob) int {
			return cmp.Or(cmp.Compare(a.UpdatedAt, b.UpdatedAt), cmp.Compare(a.JobID, b.JobID))
		})
		for _, limit := range []int{0, 1, 2, 3} {
			got, pages := stalePages(t, s, batch.StaleQuery{Status: status, UpdatedBefore: bound, Limit: limit})
			if !slices.Equal(got, want) {
				t.Errorf("StaleJobs(%s, before %d, limit %d) =\n%+v\nwant\n%+v", status, bound, limit, got, want)
			}
			if limit > 0 && pages < len(want)/limit {
				t.Errorf("StaleJobs(%s, limit %d) gave %d jobs in %d pages, want pages of at most %d",
					status, limit, len(got), pages, limit)
			}
		}
	}
	if got, _ := stalePages(t, s, batch.StaleQuery{Status: batch.Pending, UpdatedBefore: 1}); len(got) != 0 {
		t.Errorf("StaleJobs(PENDING, before 1) = %+v, want none", got)
	}
	_, err := s.StaleJobs(ctx, batch.StaleQuery{Status: batch.Pending, UpdatedBefore: bound, Page: "not a token"})
	if !batch.IsClientError(err) {
		t.Errorf("StaleJobs with a bad page token: err = %v, want a ClientError", err)
	}
	if _, err := s.StaleJobs(ctx, batch.StaleQuery{Status: batch.Runnable, UpdatedBefore: bound}); err == nil {
		t.Errorf("StaleJobs(RUNNABLE) succeeded, want an error: the queue pass rings RUNNABLE jobs")
	}
}

// stalePages reads every page of q and counts them.
func stalePages(t *testing.T, s StaleStore, q batch.StaleQuery) ([]batch.StaleJob, int) {
	t.Helper()
	var all []batch.StaleJob
	for pages := 1; pages <= 100; pages++ {
		pg, err := s.StaleJobs(context.Background(), q)
		if err != nil {
			t.Fatalf("StaleJobs(%+v): %v", q, err)
		}
		if q.Limit > 0 && len(pg.Jobs) > q.Limit {
			t.Fatalf("StaleJobs(%+v) gave a page of %d jobs, over its limit", q, len(pg.Jobs))
		}
		all = append(all, pg.Jobs...)
		if pg.Next == "" {
			return all, pages
		}
		q.Page = pg.Next
	}
	t.Fatalf("StaleJobs(%+v) gave over 100 pages", q)
	return nil, 0
}
