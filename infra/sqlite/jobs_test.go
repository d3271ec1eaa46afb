package sqlite_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

func TestCreateJobsStoresJobAtVersionOne(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	in := job("j1", func(j *batch.Job) {
		j.Parameters = map[string]string{"p": "v"}
		j.Attempts = []batch.AttemptDetail{{StartedAt: 5, StatusReason: "x"}}
		j.Internal.Attempt = 2
		j.Internal.Instance = "i-1"
		j.Internal.LeaseExpiresAt = 77
		j.Internal.CancelReason = "because"
	})
	createJobs(t, db, in)

	got, err := db.GetJob(ctx, "j1")
	if err != nil {
		t.Fatalf("GetJob: %v", err)
	}
	want := in
	want.Internal.Version = 1
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetJob = %+v\nwant %+v", got, want)
	}
	if _, err := db.GetJob(ctx, "nope"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("GetJob(missing) error = %v; want ErrNotFound", err)
	}
}

func TestCreateJobsIsAllOrNothing(t *testing.T) {
	tests := []struct {
		name string
		jobs []batch.Job
	}{
		{"one exists", []batch.Job{job("new1"), job("old"), job("new2")}},
		{"id given twice", []batch.Job{job("new1"), job("new2"), job("new1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := openDB(t, sqlite.Options{})
			createJobs(t, db, job("old"))
			msgs := []batch.Message{{Queue: "submissions", ID: "new1", Body: "new1"}}
			err := db.CreateJobs(ctx, tt.jobs, msgs)
			if !errors.Is(err, batch.ErrConflict) {
				t.Fatalf("CreateJobs error = %v; want ErrConflict", err)
			}
			got, err := db.GetJobs(ctx, []string{"new1", "new2"})
			if err != nil || len(got) != 0 {
				t.Errorf("GetJobs after failed create = %q, %v; want none", ids(got), err)
			}
			ds, err := db.Receive(ctx, "submissions", 10, time.Minute, 0)
			if err != nil || len(ds) != 0 {
				t.Errorf("Receive after failed create = %+v, %v; want no message", ds, err)
			}
		})
	}
}

func TestUpdateJobIsConditional(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	createJobs(t, db, job("j1"))

	first := job("j1", func(j *batch.Job) { j.Status = batch.Runnable; j.Internal.Version = 1 })
	got, err := db.UpdateJob(ctx, first, nil)
	if err != nil {
		t.Fatalf("UpdateJob at stored version: %v", err)
	}
	if got.Internal.Version != 2 || got.Status != batch.Runnable {
		t.Errorf("UpdateJob = v%d %v; want v2 RUNNABLE", got.Internal.Version, got.Status)
	}

	stale := job("j1", func(j *batch.Job) { j.Status = batch.Failed; j.Internal.Version = 1 })
	got, err = db.UpdateJob(ctx, stale, nil)
	if !errors.Is(err, batch.ErrConflict) {
		t.Fatalf("UpdateJob at stale version error = %v; want ErrConflict", err)
	}
	want := first
	want.Internal.Version = 2
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UpdateJob conflict returned %+v\nwant the stored job %+v", got, want)
	}
	stored, err := db.GetJob(ctx, "j1")
	if err != nil || !reflect.DeepEqual(stored, want) {
		t.Errorf("GetJob after conflict = %+v, %v; want %+v", stored, err, want)
	}

	if _, err := db.UpdateJob(ctx, job("missing", func(j *batch.Job) { j.Internal.Version = 1 }), nil); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("UpdateJob(missing) error = %v; want ErrNotFound", err)
	}
}

func TestOutboxMessagesCommitWithTheWrite(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	createJobs(t, db, job("j1"))
	msg := []batch.Message{{Queue: "ready-q", ID: "j1", Body: "j1"}}

	stale := job("j1", func(j *batch.Job) { j.Internal.Version = 5 })
	if _, err := db.UpdateJob(ctx, stale, msg); !errors.Is(err, batch.ErrConflict) {
		t.Fatalf("UpdateJob at stale version error = %v; want ErrConflict", err)
	}
	if ds, err := db.Receive(ctx, "ready-q", 10, time.Minute, 0); err != nil || len(ds) != 0 {
		t.Fatalf("Receive after failed update = %+v, %v; want no message", ds, err)
	}

	current := job("j1", func(j *batch.Job) { j.Internal.Version = 1 })
	if _, err := db.UpdateJob(ctx, current, msg); err != nil {
		t.Fatalf("UpdateJob: %v", err)
	}
	ds, err := db.Receive(ctx, "ready-q", 10, time.Minute, 0)
	if err != nil || len(ds) != 1 || ds[0].ID != "j1" || ds[0].Body != "j1" {
		t.Fatalf("Receive after update = %+v, %v; want the message for j1", ds, err)
	}

	if err := db.CreateJobs(ctx, []batch.Job{job("j2")}, []batch.Message{{Queue: "submissions", ID: "j2"}}); err != nil {
		t.Fatalf("CreateJobs: %v", err)
	}
	ds, err = db.Receive(ctx, "submissions", 10, time.Minute, 0)
	if err != nil || len(ds) != 1 || ds[0].ID != "j2" {
		t.Fatalf("Receive after create = %+v, %v; want the message for j2", ds, err)
	}
}

func TestGetJobsReturnsTheExistingOnes(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	createJobs(t, db, job("a"), job("b"), job("c"))
	got, err := db.GetJobs(ctx, []string{"c", "x", "a", "c"})
	if err != nil {
		t.Fatalf("GetJobs: %v", err)
	}
	gotIDs := ids(got)
	slices.Sort(gotIDs)
	if want := []string{"a", "c"}; !slices.Equal(gotIDs, want) {
		t.Errorf("GetJobs = %q; want %q", gotIDs, want)
	}
	if got, err := db.GetJobs(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("GetJobs(nil) = %q, %v; want none", ids(got), err)
	}
}
