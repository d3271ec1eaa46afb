package ec2agent

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/bootstrap/imds"
)

// patience bounds every wait for the watch to act.
const patience = 2 * time.Second

// givenNotices reports its events, then waits for the end.
type givenNotices struct {
	events    []imds.Event
	delivered chan struct{} // closed once every event was passed on
}

func (n givenNotices) Run(ctx context.Context, on func(imds.Event)) {
	for _, e := range n.events {
		on(e)
	}
	close(n.delivered)
	<-ctx.Done()
}

// recordingEvacuator records the grace of each Evacuate.
type recordingEvacuator struct{ graces chan time.Duration }

func (r recordingEvacuator) Evacuate(_ context.Context, grace time.Duration) error {
	r.graces <- grace
	return nil
}

func (recordingEvacuator) Running() int { return 1 }

// manualAfter records each wait asked for; the test ends it.
type manualAfter struct {
	waits chan time.Duration
	fire  chan time.Time
}

func (m manualAfter) After(d time.Duration) <-chan time.Time {
	m.waits <- d
	return m.fire
}

func TestInterruptWatchEvacuatesAtTheDeadline(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	const killGrace = 30 * time.Second
	spot := func(at time.Time) imds.Event {
		return imds.Event{Kind: imds.KindSpotInterruption, Action: "terminate", Time: at, Seen: now}
	}
	tests := []struct {
		name      string
		events    []imds.Event
		wantWait  time.Duration // 0: evacuate at once
		wantGrace time.Duration // 0: no evacuation
	}{
		{"two minutes' notice", []imds.Event{spot(now.Add(2 * time.Minute))}, 90 * time.Second, killGrace},
		{"notice without a time gets two minutes", []imds.Event{spot(time.Time{})}, 90 * time.Second, killGrace},
		{"late notice: what is left", []imds.Event{spot(now.Add(10 * time.Second))}, 0, 10 * time.Second},
		{"overdue notice: a second", []imds.Event{spot(now.Add(-time.Minute))}, 0, minStopGrace},
		{"first notice counts", []imds.Event{spot(now.Add(2 * time.Minute)), spot(now.Add(time.Minute))}, 90 * time.Second, killGrace},
		{"rebalance only drains", []imds.Event{{Kind: imds.KindRebalance, Time: now, Seen: now}}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := batchtest.NewClock(now)
			after := manualAfter{waits: make(chan time.Duration, 1), fire: make(chan time.Time, 1)}
			ev := recordingEvacuator{graces: make(chan time.Duration, 1)}
			src := givenNotices{events: tt.events, delivered: make(chan struct{})}
			w := &interruptWatch{notices: src, agent: ev, killGrace: killGrace, clock: clock, after: after.After, log: slog.New(slog.DiscardHandler)}
			var passedOn []imds.Event
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				w.Run(ctx, func(e imds.Event) { passedOn = append(passedOn, e) })
			}()
			defer func() {
				cancel()
				<-done
			}()
			<-src.delivered
			if len(passedOn) != len(tt.events) {
				t.Errorf("notices passed on = %d, want all %d (the agent drains on them)", len(passedOn), len(tt.events))
			}

			if tt.wantWait > 0 {
				select {
				case got := <-after.waits:
					if got != tt.wantWait {
						t.Errorf("waited %v for the deadline, want %v", got, tt.wantWait)
					}
				case <-time.After(patience):
					t.Fatal("the watch never waited for the deadline")
				}
				select {
				case g := <-ev.graces:
					t.Fatalf("evacuated (grace %v) before the deadline", g)
				default:
				}
				clock.Advance(tt.wantWait)
				after.fire <- clock.Now()
			}
			if tt.wantGrace == 0 {
				cancel()
				<-done
				if len(ev.graces) > 0 || len(after.waits) > 0 {
					t.Errorf("evacuations %d, deadline waits %d; want none", len(ev.graces), len(after.waits))
				}
				return
			}
			select {
			case got := <-ev.graces:
				if got != tt.wantGrace {
					t.Errorf("Evacuate grace = %v, want %v", got, tt.wantGrace)
				}
			case <-time.After(patience):
				t.Fatal("the watch never evacuated the agent")
			}
		})
	}
}

func TestInterruptWatchStopsWithItsContext(t *testing.T) {
	now := time.Now()
	after := manualAfter{waits: make(chan time.Duration, 1), fire: make(chan time.Time)}
	ev := recordingEvacuator{graces: make(chan time.Duration, 1)}
	src := givenNotices{events: []imds.Event{{Kind: imds.KindSpotInterruption, Time: now.Add(2 * time.Minute)}}, delivered: make(chan struct{})}
	w := &interruptWatch{notices: src, agent: ev, killGrace: 30 * time.Second, clock: batchtest.NewClock(now), after: after.After, log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx, func(imds.Event) {})
	}()
	<-after.waits // waiting for the deadline
	cancel()
	select {
	case <-done:
	case <-time.After(patience):
		t.Fatal("Run did not return after its context ended")
	}
	if len(ev.graces) > 0 {
		t.Error("the agent was evacuated after the watch was stopped")
	}
}
