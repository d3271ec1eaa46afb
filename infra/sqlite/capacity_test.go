package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/capacity"
	"github.com/tanda-batch/tanda/infra/sqlite"
	"github.com/tanda-batch/tanda/provisioner"
)

// TestCapacityHistoryExpires records minutes in the store, reads a window
// back, and has the retention sweep delete the minutes a day old.
func TestCapacityHistoryExpires(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	start := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	clock := batchtest.NewClock(start)
	rec := capacity.NewRecorder(db, capacity.RecorderOptions{Clock: clock})
	for i := range 4 {
		rec.Pass(provisioner.PassReport{ComputeEnvironment: "ce", DemandvCpus: float64(i)})
		clock.Advance(time.Minute)
	}
	if err := rec.Close(ctx); err != nil {
		t.Fatalf("writing the samples: %v", err)
	}
	h := capacity.NewHistory(db, nil, clock)
	window := func() int {
		t.Helper()
		got, err := h.Samples(ctx, "ce", start, start.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	if n := window(); n != 4 {
		t.Fatalf("%d samples stored, want 4", n)
	}
	// The second minute ends at 20:02; a day later it has expired.
	if _, err := db.DeleteExpired(ctx, start.Add(2*time.Minute+capacity.DefaultRetention+time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n := window(); n != 2 {
		t.Errorf("%d samples left a day after the second minute, want 2", n)
	}
}
