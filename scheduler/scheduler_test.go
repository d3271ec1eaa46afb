package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// fakeControl records what the scheduler asks of the control plane.
type fakeControl struct {
	mu        sync.Mutex
	evaluated []string
	failOn    string
	passes    int
	expired   int
	rerung    int
	deleted   int
	// reringHold, if set, holds every Rering until it is closed or the
	// context ends: a re-ring paging through a large backlog.
	reringHold chan struct{}
}

func (f *fakeControl) Evaluate(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.evaluated = append(f.evaluated, id)
	if id == f.failOn {
		return errors.New("store unavailable")
	}
	return nil
}

func (f *fakeControl) QueuePass(context.Context, control.QueuePassOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.passes++
	return nil
}

func (f *fakeControl) ExpireLeases(context.Context, int) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expired++
	return 0, nil
}

func (f *fakeControl) Rering(ctx context.Context, _ control.SweepOptions) (int, error) {
	f.mu.Lock()
	f.rerung++
	hold := f.reringHold
	f.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
		}
	}
	return 0, nil
}

func (f *fakeControl) DeleteExpired(context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted++
	return 0, nil
}

func (f *fakeControl) snapshot() fakeControl {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakeControl{evaluated: append([]string(nil), f.evaluated...), passes: f.passes, expired: f.expired, rerung: f.rerung, deleted: f.deleted}
}

// fakeQueue hands out its messages once and records deletions.
type fakeQueue struct {
	mu      sync.Mutex
	pending []batch.Delivery
	deleted []string
}

func (q *fakeQueue) Receive(ctx context.Context, queue string, max int, _, wait time.Duration) ([]batch.Delivery, error) {
	q.mu.Lock()
	if queue == control.SubmissionsQueue && len(q.pending) > 0 {
		n := min(max, len(q.pending))
		ds := q.pending[:n]
		q.pending = q.pending[n:]
		q.mu.Unlock()
		return ds, nil
	}
	q.mu.Unlock()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(min(wait, 10*time.Millisecond)):
		return nil, nil
	}
}

func (q *fakeQueue) Delete(_ context.Context, _, receipt string) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.deleted = append(q.deleted, receipt)
	return nil
}

func (q *fakeQueue) deletedReceipts() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.deleted...)
}

func delivery(id string) batch.Delivery {
	return batch.Delivery{Message: batch.Message{Queue: control.SubmissionsQueue, ID: id}, Receipt: "r-" + id}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// run starts s.Run; the function it returns stops it and fails the test if
// Run errs or does not return.
func run(t *testing.T, s *Scheduler) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	}
}

func TestRunEvaluatesDoorbellsAndKeepsFailuresForLater(t *testing.T) {
	ctl := &fakeControl{failOn: "bad"}
	q := &fakeQueue{pending: []batch.Delivery{delivery("a"), delivery("bad"), delivery("b")}}
	s := New(ctl, q, Options{Workers: 2, QueuePassEvery: 5 * time.Millisecond, SweepEvery: 5 * time.Millisecond, RetentionEvery: 5 * time.Millisecond, Logger: quiet()})
	stop := run(t, s)

	waitUntil(t, "the doorbells to be handled", func() bool { return len(ctl.snapshot().evaluated) == 3 })
	waitUntil(t, "the periodic passes to run", func() bool {
		c := ctl.snapshot()
		return c.passes > 0 && c.expired > 0 && c.rerung > 0 && c.deleted > 0
	})
	stop()

	got := map[string]bool{}
	for _, r := range q.deletedReceipts() {
		got[r] = true
	}
	if !got["r-a"] || !got["r-b"] {
		t.Errorf("deleted %v, want the doorbells of a and b", q.deletedReceipts())
	}
	if got["r-bad"] {
		t.Error("a doorbell whose evaluation failed was deleted; it must come back after its visibility timeout")
	}
}

// A re-ring that takes long (paging through thousands of stale children on
// a slow store) does not hold back lease expiry: an attempt whose instance
// was lost still ends within the lease plus the sweep interval.
func TestLeaseExpiryDoesNotWaitForTheReringBehindIt(t *testing.T) {
	ctl := &fakeControl{reringHold: make(chan struct{})}
	s := New(ctl, &fakeQueue{}, Options{Workers: 1, QueuePassEvery: time.Hour, SweepEvery: 5 * time.Millisecond, RetentionEvery: time.Hour, Logger: quiet()})
	stop := run(t, s)

	waitUntil(t, "a re-ring to begin", func() bool { return ctl.snapshot().rerung == 1 })
	before := ctl.snapshot().expired
	waitUntil(t, "leases to be expired while the re-ring is held", func() bool { return ctl.snapshot().expired >= before+3 })
	if got := ctl.snapshot().rerung; got != 1 {
		t.Errorf("%d re-rings began while the first was held; want 1 (one loop, one at a time)", got)
	}
	stop()
}

func TestPassesRunsTheTimedWorkOnce(t *testing.T) {
	ctl := &fakeControl{}
	s := New(ctl, &fakeQueue{}, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := s.Passes(context.Background()); err != nil {
		t.Fatalf("Passes: %v", err)
	}
	got := ctl.snapshot()
	if got.passes != 1 || got.expired != 1 || got.rerung != 1 || len(got.evaluated) != 0 || got.deleted != 0 {
		t.Errorf("Passes did %d queue passes, %d lease sweeps, %d re-rings, %d evaluations, %d deletions; want 1, 1, 1, 0, 0",
			got.passes, got.expired, got.rerung, len(got.evaluated), got.deleted)
	}
}

// A job's doorbells come in bunches (every child's end rings its array
// parent; SQS delivers twice): duplicates in one batch are evaluated once
// and all deleted, so a backlog of them drains at the speed of distinct
// jobs (chaos suite on moto: hundreds of doorbells queued behind them).
func TestDuplicateDoorbellsInABatchAreEvaluatedOnce(t *testing.T) {
	ctl := &fakeControl{}
	var pending []batch.Delivery
	for i, id := range []string{"p", "p", "c", "p"} {
		d := delivery(id)
		d.Receipt = fmt.Sprintf("r%d", i)
		pending = append(pending, d)
	}
	q := &fakeQueue{pending: pending}
	s := New(ctl, q, Options{Workers: 1, Batch: 10, QueuePassEvery: time.Hour, SweepEvery: time.Hour, RetentionEvery: time.Hour, Logger: quiet()})
	stop := run(t, s)
	waitUntil(t, "the doorbells to be deleted", func() bool { return len(q.deletedReceipts()) == 4 })
	stop()
	if got, want := ctl.snapshot().evaluated, []string{"p", "c"}; !slices.Equal(got, want) {
		t.Errorf("evaluated %v, want %v", got, want)
	}
}
