package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

func TestCreateJobsWritesTheOthersAndAnnouncesThem(t *testing.T) {
	ctx := context.Background()
	s, _, sender, _ := newStore(t)
	if err := s.CreateJobs(ctx, []batch.Job{newJob("j1", batch.Submitted)}, nil); err != nil {
		t.Fatalf("CreateJobs(j1): %v", err)
	}
	msgs := []batch.Message{{Queue: "submissions", ID: "j2"}, {Queue: "submissions", ID: "j1"}, {Queue: "submissions", ID: "j3"}, {Queue: "other", ID: "x"}}
	err := s.CreateJobs(ctx, []batch.Job{newJob("j2", batch.Submitted), newJob("j1", batch.Submitted), newJob("j3", batch.Submitted)}, msgs)
	if !errors.Is(err, batch.ErrConflict) {
		t.Fatalf("CreateJobs with j1 existing: error = %v, want ErrConflict", err)
	}
	for _, id := range []string{"j2", "j3"} {
		got, err := s.GetJob(ctx, id)
		if err != nil {
			t.Fatalf("GetJob(%s): %v", id, err)
		}
		if got.JobID != id || got.Internal.Version != 1 || got.JobName != "name-"+id || got.Internal.QueueName != "q" {
			t.Errorf("GetJob(%s) = id %s version %d name %s queue %s, want version 1 as written",
				id, got.JobID, got.Internal.Version, got.JobName, got.Internal.QueueName)
		}
	}
	// The written jobs' doorbells went out; the existing job's and the
	// message of no job did not.
	var sent []string
	for _, b := range sender.batches() {
		for _, m := range b {
			sent = append(sent, m.ID)
		}
	}
	slices.Sort(sent)
	if want := []string{"j2", "j3"}; !slices.Equal(sent, want) {
		t.Errorf("sent %v, want %v", sent, want)
	}
	if err := s.CreateJobs(ctx, []batch.Job{newJob("j4", batch.Submitted), newJob("j4", batch.Submitted)}, nil); !errors.Is(err, batch.ErrConflict) {
		t.Errorf("CreateJobs(id given twice) = %v, want ErrConflict", err)
	}
}

func TestCreateJobsNeedsQueuesForMessages(t *testing.T) {
	ctx := context.Background()
	s, _, _, opts := newStore(t)
	opts.Queues = nil
	s = newWithOptions(t, opts)
	err := s.CreateJobs(ctx, []batch.Job{newJob("j1", batch.Submitted)}, []batch.Message{{Queue: "submissions", ID: "j1"}})
	if err == nil {
		t.Fatal("CreateJobs with messages and no Queues: error = nil, want one")
	}
	if _, err := s.GetJob(ctx, "j1"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("GetJob after refused CreateJobs: error = %v, want ErrNotFound", err)
	}
}

func TestUpdateJob(t *testing.T) {
	ctx := context.Background()
	s, _, sender, _ := newStore(t)
	job := newJob("j1", batch.Submitted)
	if err := s.CreateJobs(ctx, []batch.Job{job}, nil); err != nil {
		t.Fatalf("CreateJobs: %v", err)
	}
	job.Internal.Version = 1
	job.Status = batch.Runnable
	job.Internal.RunnableAt = 3000
	msg := []batch.Message{{Queue: "ready-q", ID: "j1"}}
	updated, err := s.UpdateJob(ctx, job, msg)
	if err != nil {
		t.Fatalf("UpdateJob at version 1: %v", err)
	}
	if updated.Internal.Version != 2 || updated.Status != batch.Runnable {
		t.Errorf("UpdateJob returned version %d status %v, want 2 RUNNABLE", updated.Internal.Version, updated.Status)
	}
	if got := sender.batches(); len(got) != 1 || !slices.Equal(got[0], msg) {
		t.Errorf("sent %v after UpdateJob, want %v", got, msg)
	}

	stale := job // still at version 1
	stale.Status = batch.Failed
	stored, err := s.UpdateJob(ctx, stale, []batch.Message{{Queue: "ready-q", ID: "stale"}})
	if !errors.Is(err, batch.ErrConflict) {
		t.Fatalf("UpdateJob at stale version: error = %v, want ErrConflict", err)
	}
	if stored.JobID != "j1" || stored.Internal.Version != 2 || stored.Status != batch.Runnable || stored.Internal.RunnableAt != 3000 {
		t.Errorf("UpdateJob conflict returned id %q version %d status %v runnableAt %d, want the stored j1 at 2 RUNNABLE 3000",
			stored.JobID, stored.Internal.Version, stored.Status, stored.Internal.RunnableAt)
	}
	if got := sender.batches(); len(got) != 1 {
		t.Errorf("sent %d batches after a lost UpdateJob, want still 1", len(got))
	}

	got, err := s.GetJob(ctx, "j1")
	if err != nil {
		t.Fatalf("GetJob: %v", err)
	}
	if got.Internal.Version != 2 || got.Status != batch.Runnable {
		t.Errorf("GetJob = version %d status %v, want 2 RUNNABLE", got.Internal.Version, got.Status)
	}

	missing := newJob("nope", batch.Runnable)
	missing.Internal.Version = 1
	if _, err := s.UpdateJob(ctx, missing, nil); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("UpdateJob(missing) error = %v, want ErrNotFound", err)
	}
}

func TestGetJobMissing(t *testing.T) {
	s, _, _, _ := newStore(t)
	if _, err := s.GetJob(context.Background(), "nope"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("GetJob(missing) error = %v, want ErrNotFound", err)
	}
}

func TestGetJobsManyWithMissing(t *testing.T) {
	ctx := context.Background()
	s, _, _, _ := newStore(t)
	var want, ids []string
	for chunk := range 3 {
		jobs := make([]batch.Job, 0, 50)
		for i := range 50 {
			id := fmt.Sprintf("job-%d-%02d", chunk, i)
			jobs = append(jobs, newJob(id, batch.Submitted))
			want = append(want, id)
		}
		if err := s.CreateJobs(ctx, jobs, nil); err != nil {
			t.Fatalf("CreateJobs chunk %d: %v", chunk, err)
		}
	}
	ids = append(ids, want...)
	for i := range 20 {
		ids = append(ids, fmt.Sprintf("missing-%d", i))
	}
	ids = append(ids, want[0], want[120]) // repeats
	slices.Reverse(ids)

	jobs, err := s.GetJobs(ctx, ids)
	if err != nil {
		t.Fatalf("GetJobs(%d ids): %v", len(ids), err)
	}
	var got []string
	for _, j := range jobs {
		if j.Internal.Version != 1 {
			t.Errorf("GetJobs: job %s at version %d, want 1", j.JobID, j.Internal.Version)
		}
		got = append(got, j.JobID)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("GetJobs returned %d jobs %v, want the %d that exist", len(got), got, len(want))
	}
}

func TestGetJobsEmpty(t *testing.T) {
	s, _, _, _ := newStore(t)
	jobs, err := s.GetJobs(context.Background(), nil)
	if err != nil || len(jobs) != 0 {
		t.Errorf("GetJobs(nil) = %v, %v, want none, nil", jobs, err)
	}
}

func TestUpdateJobSendFailureKeepsTheWrite(t *testing.T) {
	ctx := context.Background()
	s, _, sender, _ := newStore(t)
	job := newJob("j1", batch.Submitted)
	if err := s.CreateJobs(ctx, []batch.Job{job}, nil); err != nil {
		t.Fatalf("CreateJobs: %v", err)
	}
	sendErr := errors.New("queue down")
	sender.fail = sendErr
	job.Internal.Version = 1
	job.Status = batch.Pending
	written, err := s.UpdateJob(ctx, job, []batch.Message{{Queue: "ready-q", ID: "j1"}})
	if !errors.Is(err, sendErr) {
		t.Fatalf("UpdateJob error = %v, want the send error", err)
	}
	if written.Internal.Version != 2 {
		t.Errorf("UpdateJob returned version %d, want the written 2", written.Internal.Version)
	}
	got, err := s.GetJob(ctx, "j1")
	if err != nil || got.Internal.Version != 2 || got.Status != batch.Pending {
		t.Errorf("GetJob = version %d status %v (%v), want 2 PENDING", got.Internal.Version, got.Status, err)
	}
}
