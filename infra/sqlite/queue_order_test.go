package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

// A batch sent in one call is received in the order it was sent, whatever
// the ids: the fair-share dispatcher relies on it.
func TestReceiveKeepsSendOrderWithinABatch(t *testing.T) {
	db := openDB(t, sqlite.Options{Clock: newFakeClock()})
	ctx := context.Background()
	var msgs []batch.Message
	var want []string
	for i := 50; i > 0; i-- {
		id := fmt.Sprintf("job-%02d", i) // descending: sorting by id would reverse them
		msgs = append(msgs, batch.Message{Queue: "q", ID: id})
		want = append(want, id)
	}
	if err := db.Send(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	got, err := db.Receive(ctx, "q", 50, time.Minute, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("received %d messages, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i] {
			t.Fatalf("message %d = %s, want %s (send order)", i, got[i].ID, want[i])
		}
	}
}
