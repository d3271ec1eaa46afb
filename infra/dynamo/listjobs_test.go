package dynamo_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

// ids are the ids of jobs, in order.
func ids(jobs []batch.Job) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.JobID
	}
	return out
}

// listAll pages through q with pages of size, returning every id.
func listAll(t *testing.T, s interface {
	ListJobs(context.Context, batch.JobQuery) (batch.JobPage, error)
}, q batch.JobQuery, size int) []string {
	t.Helper()
	q.Limit = size
	var all []string
	for range 1000 {
		pg, err := s.ListJobs(context.Background(), q)
		if err != nil {
			t.Fatalf("ListJobs(%+v): %v", q, err)
		}
		if len(pg.Jobs) > size {
			t.Fatalf("page of %d jobs, limit %d", len(pg.Jobs), size)
		}
		all = append(all, ids(pg.Jobs)...)
		if pg.Cursor == "" {
			return all
		}
		q.Cursor = pg.Cursor
	}
	t.Fatal("listing never ended")
	return nil
}

func TestListJobsSelectsAndPages(t *testing.T) {
	ctx := context.Background()
	s, _, _, _ := newStore(t)
	var jobs []batch.Job
	statuses := []batch.Status{batch.Runnable, batch.Running, batch.Succeeded}
	for i := range 12 {
		j := newJob(fmt.Sprintf("j%02d", i), statuses[i%3])
		j.CreatedAt = int64(1000 + i)
		j.Internal.UpdatedAt = int64(100 + i)
		if j.Status == batch.Running {
			j.Internal.Instance = fmt.Sprintf("ce/i-%d", i%2)
			j.Internal.LeaseExpiresAt = int64(200 + i)
		}
		jobs = append(jobs, j)
	}
	jobs = append(jobs, child("j00", 0, batch.Running), child("j00", 1, batch.Runnable))
	other := newJob("other", batch.Runnable)
	other.Internal.QueueName = "q2"
	jobs = append(jobs, other)
	for i, updated := range []int64{105, 120} {
		j := newJob(fmt.Sprintf("s%d", i+1), batch.Submitted)
		j.Internal.QueueName = "q2"
		j.Internal.UpdatedAt = updated
		jobs = append(jobs, j)
	}
	if err := s.CreateJobs(ctx, jobs, nil); err != nil {
		t.Fatalf("CreateJobs: %v", err)
	}
	tests := []struct {
		name string
		q    batch.JobQuery
		want []string
	}{
		{"newest first over all statuses, top level", batch.JobQuery{Queue: "q", TopLevel: true},
			[]string{"j11", "j10", "j09", "j08", "j07", "j06", "j05", "j04", "j03", "j02", "j01", "j00"}},
		{"one status", batch.JobQuery{Queue: "q", Statuses: []batch.Status{batch.Succeeded}, TopLevel: true},
			[]string{"j11", "j08", "j05", "j02"}},
		{"runnable in queue order, children too", batch.JobQuery{Queue: "q", Statuses: []batch.Status{batch.Runnable}, Order: batch.QueueOrder},
			[]string{"j00", "j00:1", "j03", "j06", "j09"}},
		{"name prefix", batch.JobQuery{Queue: "q", NamePrefix: "NAME-J1", TopLevel: true},
			[]string{"j11", "j10"}},
		{"created bounds", batch.JobQuery{Queue: "q", CreatedAfter: 1003, CreatedBefore: 1006, TopLevel: true},
			[]string{"j05", "j04"}},
		{"children by index", batch.JobQuery{ArrayParent: "j00", Order: batch.IndexOrder},
			[]string{"j00:0", "j00:1"}},
		{"children by status", batch.JobQuery{ArrayParent: "j00", Statuses: []batch.Status{batch.Runnable}},
			[]string{"j00:1"}},
		{"expired leases", batch.JobQuery{Statuses: []batch.Status{batch.Starting, batch.Running}, LeaseBefore: 208},
			[]string{"j01", "j04", "j07"}},
		{"held by an instance", batch.JobQuery{Statuses: []batch.Status{batch.Starting, batch.Running}, Instance: "ce/i-1"},
			[]string{"j01", "j07"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{1, 2, 100} {
				got := listAll(t, s, tt.q, size)
				if tt.q.LeaseBefore != 0 || tt.q.Instance != "" {
					slices.Sort(got) // sweeps list in index order
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("pages of %d: got %v, want %v", size, got, tt.want)
				}
			}
		})
	}
}

func TestListJobsRejectsBadInput(t *testing.T) {
	s, _, _, _ := newStore(t)
	ctx := context.Background()
	if _, err := s.ListJobs(ctx, batch.JobQuery{Queue: "q", Cursor: "garbage"}); !batch.IsClientError(err) {
		t.Errorf("ListJobs(bad cursor) = %v, want a client error", err)
	}
	if _, err := s.ListJobs(ctx, batch.JobQuery{}); err == nil {
		t.Error("ListJobs(no selection) error = nil, want one")
	}
}

// TestListJobsResumesWhenRunnableKeysChange: a RUNNABLE job's key in
// byQueueStatus carries its demand, and did not before, so the key of a
// job a listing stopped at may differ between two pages (a stack upgraded
// mid-listing, with the cursor or the entries of either shape; a job that
// left RUNNABLE and came back with another demand). The next page starts
// after that job all the same, in both directions: no job twice, none
// missed.
func TestListJobsResumesWhenRunnableKeysChange(t *testing.T) {
	tests := []struct {
		name  string
		order batch.JobOrder
		// withDemandFirst: the entries carry the demand in their key before
		// the first page (and not after it), or after it (and not before).
		withDemandFirst bool
		want            []string
	}{
		{"oldest first, entries upgraded", batch.QueueOrder, false, []string{"r0", "r1", "r2", "r3", "r4"}},
		{"oldest first, entries downgraded", batch.QueueOrder, true, []string{"r0", "r1", "r2", "r3", "r4"}},
		{"newest first, entries upgraded", batch.NewestFirst, false, []string{"r4", "r3", "r2", "r1", "r0"}},
		{"newest first, entries downgraded", batch.NewestFirst, true, []string{"r4", "r3", "r2", "r1", "r0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, client, _, opts := newStore(t)
			var jobs []batch.Job
			for i := range 5 {
				j := newJob(fmt.Sprintf("r%d", i), batch.Runnable)
				j.CreatedAt = int64(1000 + i)
				j.Internal.RunnableAt, j.Internal.VCPUs = j.CreatedAt, 1
				jobs = append(jobs, j)
			}
			if err := s.CreateJobs(ctx, jobs, nil); err != nil {
				t.Fatalf("CreateJobs: %v", err)
			}
			withoutDemand := func() {
				for _, j := range jobs {
					setQueueKey(t, client, opts.JobsTable, j.JobID, "q#RUNNABLE", fmt.Sprintf("%015d#%s", j.CreatedAt, j.JobID))
				}
			}
			withDemand := func() {
				for i := range jobs {
					jobs[i].Internal.Version++
					jobs[i].Internal.RunnableAt += 7 // back in RUNNABLE: another demand
					written, err := s.UpdateJob(ctx, jobs[i], nil)
					if err != nil {
						t.Fatalf("UpdateJob(%s): %v", jobs[i].JobID, err)
					}
					jobs[i] = written
				}
			}
			if !tt.withDemandFirst {
				withoutDemand()
			}
			q := batch.JobQuery{Queue: "q", Statuses: []batch.Status{batch.Runnable}, Order: tt.order, Limit: 2}
			first, err := s.ListJobs(ctx, q)
			if err != nil {
				t.Fatalf("ListJobs: %v", err)
			}
			if tt.withDemandFirst {
				withoutDemand()
			} else {
				withDemand()
			}
			q.Cursor = first.Cursor
			got := append(ids(first.Jobs), listAll(t, s, q, 2)...)
			if !slices.Equal(got, tt.want) {
				t.Errorf("listed %v, want %v", got, tt.want)
			}
		})
	}
}
