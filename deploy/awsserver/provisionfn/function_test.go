package provisionfn

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// timeout is the function's Lambda timeout in these tests.
const timeout = 60 * time.Second

// rig is a function over fakes, invoked at the fake clock's time with
// timeout left.
type rig struct {
	clock *fakeTime
	store *memStore
	prov  *passCounter
	inst  *instanceCalls
	fn    *Function
}

func newRig(t *testing.T, deps Deps) *rig {
	t.Helper()
	r := &rig{clock: &fakeTime{now: time.UnixMilli(time.Now().UnixMilli())}, store: newMemStore(), inst: &instanceCalls{}}
	r.prov = &passCounter{clock: r.clock, passTime: 300 * time.Millisecond}
	deps.Store, deps.Provisioner, deps.Instances = r.store, r.prov, r.inst
	fn, err := New(deps, Options{Every: 2 * time.Second, Margin: 10 * time.Second, Holder: "me", Clock: r.clock, Sleep: r.clock.Sleep, Logger: quiet()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	r.fn = fn
	return r
}

// invoke runs the handler with the scheduled event and a deadline of
// timeout from the fake clock's now (real time is far from it, so the
// context is not cancelled while the fake clock runs).
func (r *rig) invoke(t *testing.T) error {
	t.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), r.clock.Now().Add(timeout))
	defer cancel()
	return r.fn.Handle(ctx, scheduledEvent(t))
}

// offsets are the pass start times relative to t0, in whole seconds.
func (r *rig) offsets(t0 time.Time) []int {
	var out []int
	for _, s := range r.prov.starts {
		out = append(out, int(s.Sub(t0)/time.Second))
	}
	return out
}

func seconds(from, to, step int) []int {
	var out []int
	for s := from; s <= to; s += step {
		out = append(out, s)
	}
	return out
}

func TestHandleLoopsUntilShortlyBeforeTheDeadline(t *testing.T) {
	tests := []struct {
		name       string
		other      *leaseDoc // the lease another invocation left, at offset seconds
		wantPasses []int     // pass starts, seconds after the invocation
	}{
		{name: "free lease", wantPasses: seconds(0, 48, 2)},
		{name: "lease released by the last invocation", other: &leaseDoc{Holder: "old", Until: -5}, wantPasses: seconds(0, 48, 2)},
		{name: "older invocation still running", other: &leaseDoc{Holder: "old", Until: 7}, wantPasses: seconds(7, 49, 2)},
		{name: "older invocation runs past our last pass", other: &leaseDoc{Holder: "old", Until: 49}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, Deps{})
			t0 := r.clock.Now()
			if tt.other != nil {
				r.store.setLease(t, leaseDoc{Holder: tt.other.Holder, Until: t0.Add(time.Duration(tt.other.Until) * time.Second).UnixMilli()})
			}
			if err := r.invoke(t); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if got := r.offsets(t0); !slices.Equal(got, tt.wantPasses) {
				t.Errorf("passes at %v s, want %v", got, tt.wantPasses)
			}
			if len(tt.wantPasses) == 0 {
				if got := r.store.lease(t); got.Holder != "old" {
					t.Errorf("lease holder = %q, want the older invocation's", got.Holder)
				}
				return
			}
			if got := r.store.lease(t); got.Holder != "me" || got.Until != r.clock.Now().UnixMilli() {
				t.Errorf("lease after the invocation = %+v, want mine, released at its end (%d)", got, r.clock.Now().UnixMilli())
			}
		})
	}
}

func TestHandleTakesOverALeaseReleasedEarly(t *testing.T) {
	r := newRig(t, Deps{})
	t0 := r.clock.Now()
	r.store.setLease(t, leaseDoc{Holder: "old", Until: t0.Add(30 * time.Second).UnixMilli()})
	// The older invocation's last pass ends 5s in, and it releases.
	r.clock.woke = func(now time.Time) {
		if l := r.store.lease(t); l.Holder == "old" && now.Sub(t0) >= 5*time.Second && l.Until > now.UnixMilli() {
			if err := releaseLease(context.Background(), r.store, "old", t0.Add(5*time.Second)); err != nil {
				t.Errorf("releasing the old lease: %v", err)
			}
		}
	}
	if err := r.invoke(t); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if got, want := r.offsets(t0), seconds(6, 48, 2); !slices.Equal(got, want) {
		t.Errorf("passes at %v s, want %v: the lease is taken at the first look after its release", got, want)
	}
}

func TestHandleHoldsTheLeaseUntilTheDeadline(t *testing.T) {
	r := newRig(t, Deps{})
	t0 := r.clock.Now()
	var during leaseDoc
	r.fn.deps.Provisioner = reconcileFunc(func(context.Context) error {
		during = r.store.lease(t)
		return nil
	})
	if err := r.invoke(t); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if want := t0.Add(timeout).UnixMilli(); during.Holder != "me" || during.Until != want {
		t.Errorf("lease during a pass = %+v, want mine until the deadline %d", during, want)
	}
}

// reconcileFunc is a Reconciler from a function.
type reconcileFunc func(ctx context.Context) error

func (f reconcileFunc) Reconcile(ctx context.Context) error { return f(ctx) }

func TestHandleKeepsGoingAfterAFailedPass(t *testing.T) {
	r := newRig(t, Deps{})
	r.prov.err = errors.New("throttled")
	if err := r.invoke(t); err != nil {
		t.Fatalf("Handle = %v, want nil: a failed pass is retried by the next", err)
	}
	if got := len(r.prov.starts); got != 25 {
		t.Errorf("passes = %d, want 25", got)
	}
}

func TestHandleFailsWhenTheLeaseCannotBeRead(t *testing.T) {
	r := newRig(t, Deps{})
	down := errors.New("dynamodb down")
	r.store.Fail(down)
	if err := r.invoke(t); !errors.Is(err, down) {
		t.Errorf("Handle = %v, want the store's error", err)
	}
	if len(r.prov.starts) != 0 {
		t.Errorf("ran %d passes without the lease", len(r.prov.starts))
	}
}

func TestHandleStopsWhenIdle(t *testing.T) {
	idle := true
	r := newRig(t, Deps{Idle: func(context.Context) (bool, error) { return idle, nil }})
	if err := r.invoke(t); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if got := len(r.prov.starts); got != 1 {
		t.Errorf("passes on an idle stack = %d, want 1", got)
	}
}

func TestHandleWithoutDeadlineRunsOnePass(t *testing.T) {
	r := newRig(t, Deps{})
	if err := r.fn.Handle(context.Background(), scheduledEvent(t)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if got := len(r.prov.starts); got != 1 {
		t.Errorf("passes = %d, want 1", got)
	}
}

func TestNewNeedsItsDependencies(t *testing.T) {
	full := Deps{Store: newMemStore(), Provisioner: &passCounter{}, Instances: &instanceCalls{}}
	tests := []struct {
		name string
		deps Deps
	}{
		{"no store", Deps{Provisioner: full.Provisioner, Instances: full.Instances}},
		{"no provisioner", Deps{Store: full.Store, Instances: full.Instances}},
		{"notices without a locator", Deps{Store: full.Store, Provisioner: full.Provisioner, Instances: full.Instances, Notices: &fakeNotices{}}},
	}
	for _, tt := range tests {
		if _, err := New(tt.deps, Options{}); err == nil {
			t.Errorf("%s: New succeeded, want an error", tt.name)
		}
	}
	if _, err := New(full, Options{}); err != nil {
		t.Errorf("New with what it needs: %v", err)
	}
}

// recorderCalls records a Recorder's calls, and whether the lease was
// still held at each Close.
type recorderCalls struct {
	t          *testing.T
	store      *memStore
	clock      *fakeTime
	flushes    int
	closesHeld []bool
}

func (r *recorderCalls) Flush(context.Context) error { r.flushes++; return nil }

func (r *recorderCalls) Close(context.Context) error {
	l := r.store.lease(r.t)
	r.closesHeld = append(r.closesHeld, l.Holder == "me" && l.Until > r.clock.Now().UnixMilli())
	return nil
}

func TestHandleWritesTheCapacityHistoryBeforeHandingOver(t *testing.T) {
	rec := &recorderCalls{t: t}
	r := newRig(t, Deps{Capacity: rec})
	rec.store, rec.clock = r.store, r.clock
	if err := r.invoke(t); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if passes := len(r.prov.starts); rec.flushes != passes || passes == 0 {
		t.Errorf("%d flushes after %d passes, want one after each", rec.flushes, passes)
	}
	if !slices.Equal(rec.closesHeld, []bool{true}) {
		t.Errorf("closes with the lease held: %v, want one, before the lease is released", rec.closesHeld)
	}
}
