package batchtest

import (
	"context"
	"fmt"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

// ChildStore is what CheckAnyChildOpen reads and writes: a store's jobs
// and its answer to whether an array parent has an unfinished child.
type ChildStore interface {
	CreateJobs(ctx context.Context, jobs []batch.Job, msgs []batch.Message) error
	GetJob(ctx context.Context, id string) (batch.Job, error)
	UpdateJob(ctx context.Context, job batch.Job, msgs []batch.Message) (batch.Job, error)
	AnyChildOpen(ctx context.Context, parentID string) (bool, error)
}

// CheckAnyChildOpen writes array children to a store and checks its
// answers to AnyChildOpen (control.Store): with the one open child first,
// last or in the middle of many finished ones, in each unfinished status,
// with none open, and after the last open one finishes. base is a job as
// the store's tests make them; the children are copies of it.
func CheckAnyChildOpen(t *testing.T, s ChildStore, base batch.Job) {
	t.Helper()
	ctx := context.Background()
	var jobs []batch.Job
	// family writes size children of parent, finished (SUCCEEDED and
	// FAILED in turn) except those named in open.
	family := func(parent string, size int, open map[int]batch.Status) {
		for i := range size {
			st := batch.Succeeded
			if i%3 == 1 {
				st = batch.Failed
			}
			if o, ok := open[i]; ok {
				st = o
			}
			j := base
			j.JobID = fmt.Sprintf("%s:%d", parent, i)
			j.JobName = parent
			j.Status = st
			j.ArrayProperties = &batch.ArrayPropertiesDetail{Index: &i}
			j.Internal.ArrayParent = parent
			if st == batch.Starting || st == batch.Running {
				j.Internal.Instance, j.Internal.LeaseExpiresAt = "ce/i-1", 100_000
			}
			jobs = append(jobs, j)
		}
	}
	// More children than one page of a paged store's scan holds.
	const many = 60
	family("done", many, nil)
	family("first", many, map[int]batch.Status{0: batch.Running})
	family("last", many, map[int]batch.Status{many - 1: batch.Runnable})
	family("done-too", many, nil)
	family("done-to", 3, map[int]batch.Status{2: batch.Pending}) // a parent id that is a prefix of another's
	tests := []struct {
		parent string
		want   bool
	}{
		{"done", false},
		{"first", true},
		{"last", true},
		{"done-too", false},
		{"done-to", true},
		{"no-children", false},
	}
	for _, st := range batch.AllStatuses {
		parent := "middle-" + st.String()
		family(parent, 9, map[int]batch.Status{4: st})
		tests = append(tests, struct {
			parent string
			want   bool
		}{parent, !st.Terminal()})
	}
	if err := s.CreateJobs(ctx, jobs, nil); err != nil {
		t.Fatalf("CreateJobs(%d children): %v", len(jobs), err)
	}
	for _, tt := range tests {
		got, err := s.AnyChildOpen(ctx, tt.parent)
		if err != nil {
			t.Fatalf("AnyChildOpen(%s): %v", tt.parent, err)
		}
		if got != tt.want {
			t.Errorf("AnyChildOpen(%s) = %t, want %t", tt.parent, got, tt.want)
		}
	}

	// The open child finishes: none is open any more.
	id := fmt.Sprintf("last:%d", many-1)
	j, err := s.GetJob(ctx, id)
	if err != nil {
		t.Fatalf("GetJob(%s): %v", id, err)
	}
	j.Status = batch.Succeeded
	if _, err := s.UpdateJob(ctx, j, nil); err != nil {
		t.Fatalf("finishing %s: %v", id, err)
	}
	if got, err := s.AnyChildOpen(ctx, "last"); err != nil || got {
		t.Errorf("after its last open child finished, AnyChildOpen(last) = %t, %v; want false", got, err)
	}
}
