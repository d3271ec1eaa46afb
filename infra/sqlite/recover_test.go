package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

// After a crash, messages the dead consumers had received come back at
// once instead of after their visibility timeout.
func TestReleaseInFlightAfterRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tanda.db")
	db, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Send(ctx, []batch.Message{{Queue: "q", ID: "a"}, {Queue: "q", ID: "b"}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Receive(ctx, "q", 1, time.Hour, 0)
	if err != nil || len(got) != 1 {
		t.Fatalf("Receive = %v, %v", got, err)
	}
	stale := got[0]
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openAt(t, path, sqlite.Options{})
	n, err := db.ReleaseInFlight(ctx)
	if err != nil || n != 1 {
		t.Fatalf("ReleaseInFlight = %d, %v; want 1", n, err)
	}
	again, err := db.Receive(ctx, "q", 10, time.Hour, 0)
	if err != nil || len(again) != 2 {
		t.Fatalf("after release, Receive = %v, %v; want both messages", again, err)
	}
	// The old receipt no longer deletes anything.
	if err := db.Delete(ctx, "q", stale.Receipt); err != nil {
		t.Fatalf("Delete with a stale receipt: %v", err)
	}
	for _, d := range again {
		if err := db.Delete(ctx, "q", d.Receipt); err != nil {
			t.Fatal(err)
		}
	}
	if left, _ := db.Receive(ctx, "q", 10, time.Hour, 0); len(left) != 0 {
		t.Errorf("messages left after deleting both: %v", left)
	}
}
