package batchtest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

// DemandStore is what CheckSummarizeRunnable reads and writes: a store's
// jobs and its summary of a queue's RUNNABLE ones.
type DemandStore interface {
	CreateJobs(ctx context.Context, jobs []batch.Job, msgs []batch.Message) error
	SummarizeRunnable(ctx context.Context, q batch.DemandQuery) ([]batch.DemandRun, error)
}

// CheckSummarizeRunnable writes jobs to a store and checks its summaries of
// queue "q" (control.Store.SummarizeRunnable). base is a job in status
// SUBMITTED of queue "q" as the store's tests make them; the jobs written
// are copies of it whose RunnableAt and CreatedAt rise together, so that
// both stores' dispatch orders agree.
func CheckSummarizeRunnable(t *testing.T, s DemandStore, base batch.Job) {
	t.Helper()
	type spec struct {
		queue    string
		status   batch.Status
		vcpus    float64
		mem, gpu int64
	}
	specs := []spec{
		{"q", batch.Runnable, 1, 2048, 0},
		{"q", batch.Runnable, 1, 2048, 0},
		{"q", batch.Running, 1, 2048, 0}, // not RUNNABLE: not counted, not a break
		{"q", batch.Runnable, 1, 2048, 0},
		{"other", batch.Runnable, 2, 4096, 0}, // another queue's
		{"q", batch.Runnable, 2, 4096, 0},
		{"q", batch.Runnable, 1, 2048, 0},
		{"q", batch.Runnable, 1, 2048, 1},
		{"q", batch.Runnable, 0.25, 512, 0},
		{"q", batch.Pending, 1, 2048, 0},
	}
	var jobs []batch.Job
	for i, sp := range specs {
		j := base
		j.JobID = fmt.Sprintf("demand-%02d", i)
		j.JobName = j.JobID
		j.Status = sp.status
		j.CreatedAt = int64(1000 * (i + 1))
		j.Internal.QueueName = sp.queue
		j.Internal.RunnableAt = int64(1000 * (i + 1))
		j.Internal.VCPUs, j.Internal.MemoryMiB, j.Internal.GPUs = sp.vcpus, sp.mem, sp.gpu
		if sp.status == batch.Running {
			j.Internal.Instance, j.Internal.LeaseExpiresAt = "ce/i-1", 100_000
		}
		jobs = append(jobs, j)
	}
	if err := s.CreateJobs(context.Background(), jobs, nil); err != nil {
		t.Fatalf("CreateJobs: %v", err)
	}
	run := func(vcpus float64, mem, gpus, at int64, n int) batch.DemandRun {
		return batch.DemandRun{VCPUs: vcpus, MemoryMiB: mem, GPUs: gpus, RunnableAt: at, Count: n}
	}
	tests := []struct {
		name string
		q    batch.DemandQuery
		want []batch.DemandRun
	}{
		{
			name: "split after the second job",
			q:    batch.DemandQuery{Queue: "q", Limit: 100, WaitedSince: 2500},
			want: []batch.DemandRun{
				run(1, 2048, 0, 1000, 2), run(1, 2048, 0, 4000, 1), run(2, 4096, 0, 6000, 1),
				run(1, 2048, 0, 7000, 1), run(1, 2048, 1, 8000, 1), run(0.25, 512, 0, 9000, 1),
			},
		},
		{
			name: "none waited",
			q:    batch.DemandQuery{Queue: "q", Limit: 100},
			want: []batch.DemandRun{
				run(1, 2048, 0, 1000, 3), run(2, 4096, 0, 6000, 1),
				run(1, 2048, 0, 7000, 1), run(1, 2048, 1, 8000, 1), run(0.25, 512, 0, 9000, 1),
			},
		},
		{
			name: "the front only",
			q:    batch.DemandQuery{Queue: "q", Limit: 4},
			want: []batch.DemandRun{run(1, 2048, 0, 1000, 3), run(2, 4096, 0, 6000, 1)},
		},
		{name: "no limit, no jobs", q: batch.DemandQuery{Queue: "q"}},
		{name: "an empty queue", q: batch.DemandQuery{Queue: "empty", Limit: 100}},
	}
	for _, tc := range tests {
		got, err := s.SummarizeRunnable(context.Background(), tc.q)
		if err != nil {
			t.Fatalf("%s: SummarizeRunnable(%+v): %v", tc.name, tc.q, err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: SummarizeRunnable(%+v) =\n%+v\nwant\n%+v", tc.name, tc.q, got, tc.want)
		}
	}
}
