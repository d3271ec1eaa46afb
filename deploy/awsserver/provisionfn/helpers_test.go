package provisionfn

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
)

// readEvent reads a testdata file.
func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// scheduledEvent is the EventBridge schedule's invocation event.
func scheduledEvent(t *testing.T) events.EventBridgeEvent {
	t.Helper()
	var ev events.EventBridgeEvent
	if err := json.Unmarshal(readEvent(t, "scheduled-event.json"), &ev); err != nil {
		t.Fatalf("decoding the scheduled event: %v", err)
	}
	return ev
}

// fakeTime is a clock whose sleeps advance it at once.
type fakeTime struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
	// woke, when set, is called after each sleep with the new time.
	woke func(now time.Time)
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTime) Sleep(_ context.Context, d time.Duration) {
	f.mu.Lock()
	f.slept = append(f.slept, d)
	f.now = f.now.Add(d)
	now, woke := f.now, f.woke
	f.mu.Unlock()
	if woke != nil {
		woke(now)
	}
}

func (f *fakeTime) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// memStore is a LeaseStore in memory.
type memStore struct{ *batchtest.Items }

func newMemStore() *memStore { return &memStore{batchtest.NewItems()} }

// setLease stores the lease as another holder left it.
func (s *memStore) setLease(t *testing.T, doc leaseDoc) {
	t.Helper()
	raw, _ := json.Marshal(doc)
	if _, err := s.PutItem(context.Background(), batch.Item{Kind: batch.KindLease, Key: LeaseKey, Doc: raw}, 0); err != nil {
		t.Fatal(err)
	}
}

// lease reads the stored lease.
func (s *memStore) lease(t *testing.T) leaseDoc {
	t.Helper()
	l, err := readLease(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	return l.doc
}

// passCounter is a Reconciler whose passes take passTime of the clock.
type passCounter struct {
	clock    *fakeTime
	passTime time.Duration
	starts   []time.Time
	err      error
}

func (p *passCounter) Reconcile(context.Context) error {
	p.starts = append(p.starts, p.clock.Now())
	p.clock.advance(p.passTime)
	return p.err
}

// instanceCalls records what the function asks of the control plane.
type instanceCalls struct {
	calls []string // "drain ce/id", "forget ce/id"
	fail  map[string]bool
}

func (c *instanceCalls) DrainInstance(_ context.Context, ce, id string) error {
	return c.record("drain", ce, id)
}

func (c *instanceCalls) ForgetInstance(_ context.Context, ce, id string) error {
	return c.record("forget", ce, id)
}

func (c *instanceCalls) record(op, ce, id string) error {
	if c.fail[id] {
		return errors.New("store unavailable")
	}
	c.calls = append(c.calls, op+" "+ce+"/"+id)
	return nil
}

// fakeNotices is an interruption queue in memory.
type fakeNotices struct {
	waiting []Message
	deleted []string
}

func (q *fakeNotices) Receive(context.Context) ([]Message, error) {
	n := min(10, len(q.waiting))
	out := q.waiting[:n]
	q.waiting = q.waiting[n:]
	return out, nil
}

func (q *fakeNotices) Delete(_ context.Context, receipts []string) error {
	q.deleted = append(q.deleted, receipts...)
	return nil
}

// mapLocator places instances by a fixed map.
type mapLocator map[string]string

func (m mapLocator) Locate(_ context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range ids {
		if ce, ok := m[id]; ok {
			out[id] = ce
		}
	}
	return out, nil
}

// quiet is a logger that discards.
func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
