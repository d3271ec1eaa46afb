package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
)

// child is child i of parent p in status.
func child(p string, i int, status batch.Status) batch.Job {
	j := newJob(fmt.Sprintf("%s:%d", p, i), status)
	j.Internal.ArrayParent = p
	j.ArrayProperties = &batch.ArrayPropertiesDetail{Index: &i}
	return j
}

func TestCreateJobsMany(t *testing.T) {
	ctx := context.Background()
	s, _, queues, _ := newStore(t)
	var jobs []batch.Job
	var msgs []batch.Message
	for i := range 250 {
		jobs = append(jobs, child("p", i, batch.Runnable))
		msgs = append(msgs, batch.Message{Queue: "ready", ID: jobs[i].JobID})
	}
	msgs = append(msgs, batch.Message{Queue: "sched", ID: "p"})
	if err := s.CreateJobs(ctx, jobs, msgs); err != nil {
		t.Fatalf("CreateJobs(250): %v", err)
	}
	counts, err := s.CountChildren(ctx, "p")
	if err != nil {
		t.Fatalf("CountChildren: %v", err)
	}
	if want := map[batch.Status]int{batch.Runnable: 250}; !maps.Equal(counts, want) {
		t.Errorf("CountChildren = %v, want %v", counts, want)
	}
	var sent []batch.Message
	for _, b := range queues.batches() {
		sent = append(sent, b...)
	}
	if len(sent) != len(msgs) || sent[len(sent)-1].ID != "p" {
		t.Errorf("sent %d messages (last %+v), want %d ending with the parent's", len(sent), sent[len(sent)-1], len(msgs))
	}

	// One child exists: the others are written and announced.
	queues.sent = nil
	more := []batch.Job{}
	for i := 300; i < 400; i++ {
		more = append(more, child("p", i, batch.Pending))
	}
	more = append(more, child("p", 0, batch.Pending)) // exists
	var moreMsgs []batch.Message
	for _, j := range more {
		moreMsgs = append(moreMsgs, batch.Message{Queue: "sched", ID: j.JobID})
	}
	err = s.CreateJobs(ctx, append(more, child("p", 500, batch.Pending)), moreMsgs)
	if !errors.Is(err, batch.ErrConflict) {
		t.Fatalf("CreateJobs with an existing child: error = %v, want ErrConflict", err)
	}
	counts, _ = s.CountChildren(ctx, "p")
	if want := map[batch.Status]int{batch.Runnable: 250, batch.Pending: 101}; !maps.Equal(counts, want) {
		t.Errorf("after the conflict CountChildren = %v, want %v", counts, want)
	}
	if got := len(queues.batches()); got != 1 || len(queues.batches()[0]) != 100 {
		t.Errorf("after the conflict sent %d batches, want 1 of the 100 written jobs that had one", got)
	}
}

func TestUpdateJobDeletingDeletesAfterTheWrite(t *testing.T) {
	ctx := context.Background()
	s, _, queues, _ := newStore(t)
	if err := s.CreateJobs(ctx, []batch.Job{newJob("a", batch.Runnable)}, nil); err != nil {
		t.Fatal(err)
	}
	j, _ := s.GetJob(ctx, "a")
	done := batch.Delivery{Message: batch.Message{Queue: "ready-q", ID: "a"}, Receipt: "r1"}
	j.Status = batch.Starting
	stale := j
	if _, err := s.UpdateJobDeleting(ctx, j, nil, done); err != nil {
		t.Fatalf("UpdateJobDeleting: %v", err)
	}
	if got := queues.deletes(); !slices.Equal(got, []string{"ready-q/r1"}) {
		t.Errorf("deleted %v, want [ready-q/r1]", got)
	}
	// A lost condition deletes nothing.
	if _, err := s.UpdateJobDeleting(ctx, stale, nil, done); !errors.Is(err, batch.ErrConflict) {
		t.Fatalf("stale UpdateJobDeleting = %v, want ErrConflict", err)
	}
	if got := len(queues.deletes()); got != 1 {
		t.Errorf("deleted %d messages after a lost condition, want still 1", got)
	}
}

func TestDependents(t *testing.T) {
	ctx := context.Background()
	s, _, _, _ := newStore(t)
	edges := []batch.Dependency{{On: "a", Dependent: "b"}, {On: "a", Dependent: "c"}, {On: "ab", Dependent: "x"}, {On: "a", Dependent: "b"}}
	if err := s.AddDependents(ctx, edges); err != nil {
		t.Fatalf("AddDependents: %v", err)
	}
	got, err := s.Dependents(ctx, "a")
	if err != nil {
		t.Fatalf("Dependents: %v", err)
	}
	if want := []string{"b", "c"}; !slices.Equal(got, want) {
		t.Errorf("Dependents(a) = %v, want %v", got, want)
	}
	if got, _ := s.Dependents(ctx, "zzz"); len(got) != 0 {
		t.Errorf("Dependents(zzz) = %v, want none", got)
	}
}

func TestAnyChildOpen(t *testing.T) {
	s, _, _, _ := newStore(t)
	batchtest.CheckAnyChildOpen(t, s, newJob("base", batch.Submitted))
}
