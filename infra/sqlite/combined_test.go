package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

// A job and its record go in together, or neither does.
func TestCreateJobsRecordingIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	rec := batch.Item{Kind: "record", Key: "AKID/inv-1", Doc: []byte(`{"jobId":"a"}`)}
	if err := db.CreateJobsRecording(ctx, []batch.Job{job("a")}, []batch.Item{rec}, nil); err != nil {
		t.Fatalf("first: %v", err)
	}
	err := db.CreateJobsRecording(ctx, []batch.Job{job("b")}, []batch.Item{rec}, []batch.Message{{Queue: "q", ID: "b"}})
	if !errors.Is(err, batch.ErrConflict) {
		t.Fatalf("same record again: %v, want a conflict", err)
	}
	if _, err := db.GetJob(ctx, "b"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("job b after the conflict: %v, want not written", err)
	}
	if ds, _ := db.Receive(ctx, "q", 10, time.Minute, 0); len(ds) != 0 {
		t.Errorf("doorbell of the refused job was sent: %v", ds)
	}
	if it, err := db.GetItem(ctx, rec.Kind, rec.Key); err != nil || string(it.Doc) != `{"jobId":"a"}` {
		t.Errorf("record = %s, %v; want the first one", it.Doc, err)
	}
}

// The doorbell that led to a write goes with the write, and only then.
func TestUpdateJobDeletingTakesTheDoorbell(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	if err := db.CreateJobs(ctx, []batch.Job{job("a")}, []batch.Message{{Queue: "q", ID: "a"}}); err != nil {
		t.Fatal(err)
	}
	ds, err := db.Receive(ctx, "q", 1, time.Minute, 0)
	if err != nil || len(ds) != 1 {
		t.Fatalf("Receive = %v, %v", ds, err)
	}
	stale, err := db.GetJob(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	j := stale
	j.StatusReason = "claimed"
	if _, err := db.UpdateJobDeleting(ctx, j, nil, ds[0]); err != nil {
		t.Fatalf("UpdateJobDeleting: %v", err)
	}
	if err := db.ChangeVisibility(ctx, "q", ds[0].Receipt, 0); err != nil {
		t.Fatal(err)
	}
	if left, _ := db.Receive(ctx, "q", 10, time.Minute, 0); len(left) != 0 {
		t.Errorf("the doorbell survived the write: %v", left)
	}

	// A write that loses its condition keeps the doorbell.
	if err := db.Send(ctx, []batch.Message{{Queue: "q", ID: "a"}}); err != nil {
		t.Fatal(err)
	}
	ds, _ = db.Receive(ctx, "q", 1, time.Minute, 0)
	if _, err := db.UpdateJobDeleting(ctx, stale, nil, ds[0]); !errors.Is(err, batch.ErrConflict) {
		t.Fatalf("stale UpdateJobDeleting: %v, want a conflict", err)
	}
	if err := db.ChangeVisibility(ctx, "q", ds[0].Receipt, 0); err != nil {
		t.Fatal(err)
	}
	if left, _ := db.Receive(ctx, "q", 10, time.Minute, 0); len(left) != 1 {
		t.Errorf("the doorbell of a lost write = %v, want it kept", left)
	}
}
