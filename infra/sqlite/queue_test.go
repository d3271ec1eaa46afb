package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

const visibility = 30 * time.Second

// receive receives from q without waiting.
func receive(t *testing.T, db *sqlite.DB, q string, max int) []batch.Delivery {
	t.Helper()
	ds, err := db.Receive(context.Background(), q, max, visibility, 0)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return ds
}

// receiveOne receives from q and expects exactly the message id.
func receiveOne(t *testing.T, db *sqlite.DB, q, id string, count int) batch.Delivery {
	t.Helper()
	ds := receive(t, db, q, 10)
	if len(ds) != 1 || ds[0].ID != id || ds[0].ReceiveCount != count {
		t.Fatalf("Receive = %+v; want %s received %d times", ds, id, count)
	}
	return ds[0]
}

// receiveNone expects q to have no visible message.
func receiveNone(t *testing.T, db *sqlite.DB, q string) {
	t.Helper()
	if ds := receive(t, db, q, 10); len(ds) != 0 {
		t.Fatalf("Receive = %+v; want nothing", ds)
	}
}

func send(t *testing.T, db *sqlite.DB, msgs ...batch.Message) {
	t.Helper()
	if err := db.Send(context.Background(), msgs); err != nil {
		t.Fatalf("Send: %v", err)
	}
}

func TestVisibilityTimeoutRedelivers(t *testing.T) {
	clock := newFakeClock()
	db := openDB(t, sqlite.Options{Clock: clock})
	send(t, db, batch.Message{Queue: "q", ID: "m", Body: "hello"})

	first := receiveOne(t, db, "q", "m", 1)
	if first.Body != "hello" || first.Queue != "q" || first.Receipt == "" {
		t.Errorf("Receive = %+v; want body hello on q with a receipt", first)
	}
	receiveNone(t, db, "q")
	clock.Advance(visibility - time.Millisecond)
	receiveNone(t, db, "q")
	clock.Advance(time.Millisecond)
	second := receiveOne(t, db, "q", "m", 2)
	if second.Receipt == first.Receipt {
		t.Errorf("second receipt = first receipt %q; want a new one", first.Receipt)
	}
}

func TestStaleReceiptIsNoop(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	db := openDB(t, sqlite.Options{Clock: clock})
	send(t, db, batch.Message{Queue: "q", ID: "m"})
	stale := receiveOne(t, db, "q", "m", 1)
	clock.Advance(visibility)
	current := receiveOne(t, db, "q", "m", 2)

	if err := db.Delete(ctx, "q", stale.Receipt); err != nil {
		t.Fatalf("Delete(stale receipt): %v", err)
	}
	if err := db.ChangeVisibility(ctx, "q", stale.Receipt, 0); err != nil {
		t.Fatalf("ChangeVisibility(stale receipt): %v", err)
	}
	receiveNone(t, db, "q") // still hidden by the current receipt
	if err := db.Delete(ctx, "q", current.Receipt); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	clock.Advance(time.Hour)
	receiveNone(t, db, "q")
	if err := db.Delete(ctx, "q", "garbage"); err == nil {
		t.Errorf("Delete(malformed receipt) = nil; want an error")
	}
}

func TestSendKeepsOneMessagePerID(t *testing.T) {
	clock := newFakeClock()
	db := openDB(t, sqlite.Options{Clock: clock})
	send(t, db, batch.Message{Queue: "q", ID: "a", Body: "1"})
	clock.Advance(time.Second)
	send(t, db, batch.Message{Queue: "q", ID: "b"}, batch.Message{Queue: "q", ID: "a", Body: "2"})
	send(t, db, batch.Message{Queue: "other", ID: "a"})

	ds := receive(t, db, "q", 10)
	if len(ds) != 2 || ds[0].ID != "a" || ds[0].Body != "2" || ds[1].ID != "b" {
		t.Errorf("Receive = %+v; want a (body 2, keeping its place) then b", ds)
	}
	receiveOne(t, db, "other", "a", 1)
}

func TestReceiveOldestFirstUpToMax(t *testing.T) {
	clock := newFakeClock()
	db := openDB(t, sqlite.Options{Clock: clock})
	for _, id := range []string{"c", "a", "b"} {
		send(t, db, batch.Message{Queue: "q", ID: id})
		clock.Advance(time.Millisecond)
	}
	for _, want := range [][]string{{"c", "a"}, {"b"}, nil} {
		ds := receive(t, db, "q", 2)
		var got []string
		for _, d := range ds {
			got = append(got, d.ID)
		}
		if len(got) != len(want) || (len(want) > 0 && (got[0] != want[0] || got[len(got)-1] != want[len(want)-1])) {
			t.Fatalf("Receive = %q; want %q", got, want)
		}
	}
}

// TestReceiveLimitChangesBetweenCalls checks that each receive honours its
// own limit, as agents ask for as many messages as they have room for.
func TestReceiveLimitChangesBetweenCalls(t *testing.T) {
	db := openDB(t, sqlite.Options{})
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		send(t, db, batch.Message{Queue: "q", ID: id})
	}
	for _, tt := range []struct{ max, want int }{{1, 1}, {3, 3}, {2, 2}, {10, 1}, {4, 0}} {
		if got := len(receive(t, db, "q", tt.max)); got != tt.want {
			t.Fatalf("Receive(max %d) = %d messages; want %d", tt.max, got, tt.want)
		}
	}
}

func TestSendWhileInFlightRedeliversAfterDelete(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	db := openDB(t, sqlite.Options{Clock: clock})
	send(t, db, batch.Message{Queue: "q", ID: "m", Body: "1"})
	d := receiveOne(t, db, "q", "m", 1)

	send(t, db, batch.Message{Queue: "q", ID: "m", Body: "2"}) // the doorbell rings while d is worked on
	receiveNone(t, db, "q")                                    // d keeps its visibility
	if err := db.Delete(ctx, "q", d.Receipt); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	again := receiveOne(t, db, "q", "m", 1)
	if again.Body != "2" {
		t.Errorf("re-armed body = %q; want 2", again.Body)
	}
	if err := db.Delete(ctx, "q", again.Receipt); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	clock.Advance(time.Hour)
	receiveNone(t, db, "q")
}

func TestReceiveClearsRedeliverMark(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	db := openDB(t, sqlite.Options{Clock: clock})
	send(t, db, batch.Message{Queue: "q", ID: "m"})
	first := receiveOne(t, db, "q", "m", 1)
	send(t, db, batch.Message{Queue: "q", ID: "m"})
	clock.Advance(visibility)
	second := receiveOne(t, db, "q", "m", 2) // sees the state the doorbell announced

	if err := db.Delete(ctx, "q", first.Receipt); err != nil {
		t.Fatalf("Delete(stale receipt): %v", err)
	}
	if err := db.Delete(ctx, "q", second.Receipt); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	clock.Advance(time.Hour)
	receiveNone(t, db, "q")
}

func TestChangeVisibility(t *testing.T) {
	ctx := context.Background()
	clock := newFakeClock()
	db := openDB(t, sqlite.Options{Clock: clock})
	send(t, db, batch.Message{Queue: "q", ID: "m"})
	d := receiveOne(t, db, "q", "m", 1)

	if err := db.ChangeVisibility(ctx, "q", d.Receipt, 0); err != nil {
		t.Fatalf("ChangeVisibility(0): %v", err)
	}
	d = receiveOne(t, db, "q", "m", 2)
	if err := db.ChangeVisibility(ctx, "q", d.Receipt, 2*visibility); err != nil {
		t.Fatalf("ChangeVisibility: %v", err)
	}
	clock.Advance(2*visibility - time.Millisecond)
	receiveNone(t, db, "q")
	clock.Advance(time.Millisecond)
	receiveOne(t, db, "q", "m", 3)
}

func TestDeleteQueue(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, sqlite.Options{})
	send(t, db, batch.Message{Queue: "q", ID: "a"}, batch.Message{Queue: "q", ID: "b"}, batch.Message{Queue: "keep", ID: "a"})
	if err := db.DeleteQueue(ctx, "q"); err != nil {
		t.Fatalf("DeleteQueue: %v", err)
	}
	receiveNone(t, db, "q")
	receiveOne(t, db, "keep", "a", 1)
}

func TestSendRejectsIncompleteMessages(t *testing.T) {
	db := openDB(t, sqlite.Options{})
	for _, m := range []batch.Message{{Queue: "q"}, {ID: "a"}} {
		if err := db.Send(context.Background(), []batch.Message{m}); err == nil {
			t.Errorf("Send(%+v) = nil; want an error", m)
		}
	}
}

// longPoll runs Receive with a long wait in the background.
func longPoll(ctx context.Context, db *sqlite.DB, q string, visibility, wait time.Duration) <-chan pollResult {
	out := make(chan pollResult, 1)
	go func() {
		start := time.Now()
		ds, err := db.Receive(ctx, q, 10, visibility, wait)
		out <- pollResult{ds, err, time.Since(start)}
	}()
	return out
}

type pollResult struct {
	ds      []batch.Delivery
	err     error
	elapsed time.Duration
}

// settle gives a just-started long poll a moment to start waiting; the
// tests pass either way, but only exercise waking if it did.
func settle() { time.Sleep(20 * time.Millisecond) }

func TestLongPollWakes(t *testing.T) {
	const wait = 10 * time.Second
	ctx := context.Background()
	// received sends m to q and receives it, hiding it for longer than the wait.
	received := func(t *testing.T, db *sqlite.DB) batch.Delivery {
		send(t, db, batch.Message{Queue: "q", ID: "m"})
		ds, err := db.Receive(ctx, "q", 1, time.Hour, 0)
		if err != nil || len(ds) != 1 {
			t.Fatalf("Receive = %+v, %v; want m", ds, err)
		}
		return ds[0]
	}
	tests := []struct {
		name string
		// setup runs before the poll starts; wake makes m visible while it waits.
		setup func(t *testing.T, db *sqlite.DB) batch.Delivery
		wake  func(t *testing.T, db *sqlite.DB, d batch.Delivery)
	}{
		{"on send", nil, func(t *testing.T, db *sqlite.DB, _ batch.Delivery) {
			send(t, db, batch.Message{Queue: "q", ID: "m"})
		}},
		{"on outbox write", nil, func(t *testing.T, db *sqlite.DB, _ batch.Delivery) {
			if err := db.CreateJobs(ctx, []batch.Job{job("m")}, []batch.Message{{Queue: "q", ID: "m"}}); err != nil {
				t.Fatalf("CreateJobs: %v", err)
			}
		}},
		{"on release", received, func(t *testing.T, db *sqlite.DB, d batch.Delivery) {
			if err := db.ChangeVisibility(ctx, "q", d.Receipt, 0); err != nil {
				t.Fatalf("ChangeVisibility: %v", err)
			}
		}},
		{"on re-arm", func(t *testing.T, db *sqlite.DB) batch.Delivery {
			d := received(t, db)
			send(t, db, batch.Message{Queue: "q", ID: "m"})
			return d
		}, func(t *testing.T, db *sqlite.DB, d batch.Delivery) {
			if err := db.Delete(ctx, "q", d.Receipt); err != nil {
				t.Fatalf("Delete: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t, sqlite.Options{})
			var d batch.Delivery
			if tt.setup != nil {
				d = tt.setup(t, db)
			}
			res := longPoll(ctx, db, "q", visibility, wait)
			settle()
			tt.wake(t, db, d)
			r := <-res
			if r.err != nil || len(r.ds) != 1 || r.ds[0].ID != "m" {
				t.Fatalf("Receive = %+v, %v; want m", r.ds, r.err)
			}
			if r.elapsed > wait/2 {
				t.Errorf("Receive took %v; want it to wake before the wait ends", r.elapsed)
			}
		})
	}
}

func TestLongPollWakesWhenVisibilityExpires(t *testing.T) {
	db := openDB(t, sqlite.Options{})
	send(t, db, batch.Message{Queue: "q", ID: "m"})
	if ds, err := db.Receive(context.Background(), "q", 1, 50*time.Millisecond, 0); err != nil || len(ds) != 1 {
		t.Fatalf("Receive = %+v, %v; want m", ds, err)
	}
	r := <-longPoll(context.Background(), db, "q", visibility, 10*time.Second)
	if r.err != nil || len(r.ds) != 1 || r.ds[0].ReceiveCount != 2 {
		t.Fatalf("Receive = %+v, %v; want m again", r.ds, r.err)
	}
	if r.elapsed > 5*time.Second {
		t.Errorf("Receive took %v; want it to wake when m became visible", r.elapsed)
	}
}

func TestLongPollEnds(t *testing.T) {
	tests := []struct {
		name    string
		wait    time.Duration
		ctx     func() (context.Context, context.CancelFunc)
		close   bool
		wantErr error
	}{
		{"wait over", 30 * time.Millisecond, func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, false, nil},
		{"context done", time.Minute, func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 30*time.Millisecond)
		}, false, context.DeadlineExceeded},
		{"store closed", time.Minute, func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, true, sqlite.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t, sqlite.Options{})
			ctx, cancel := tt.ctx()
			defer cancel()
			res := longPoll(ctx, db, "q", visibility, tt.wait)
			if tt.close {
				settle()
				if err := db.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
			}
			r := <-res
			if !errors.Is(r.err, tt.wantErr) || len(r.ds) != 0 {
				t.Errorf("Receive = %+v, %v; want nothing and %v", r.ds, r.err, tt.wantErr)
			}
			if r.elapsed > 10*time.Second {
				t.Errorf("Receive took %v; want it to end promptly", r.elapsed)
			}
		})
	}
}
