package imds_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/bootstrap/imds"
)

// runMonitor runs a monitor on f until cancelAfter(path, n) says so from the
// server, and returns the events it reported.
func runMonitor(t *testing.T, f *fakeIMDS, every time.Duration, cancelAfter func(path string, n int) bool) []imds.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f.setOnGet(func(path string, n int) {
		if cancelAfter(path, n) {
			cancel()
		}
	})
	m := imds.NewMonitor(newClient(f, 0), imds.MonitorOptions{
		Every: every, Clock: f.clock, Logger: slog.New(slog.DiscardHandler),
	})
	var events []imds.Event
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx, func(e imds.Event) { events = append(events, e) })
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was canceled")
	}
	return events
}

func TestMonitorReportsEachNoticeOnce(t *testing.T) {
	t1 := time.Date(2026, 11, 29, 12, 2, 0, 0, time.UTC)
	t2 := t1.Add(time.Minute)
	const (
		spot1 = `{"action":"terminate","time":"2026-11-29T12:02:00Z"}`
		spot2 = `{"action":"stop","time":"2026-11-29T12:03:00Z"}`
		reb1  = `{"noticeTime":"2026-11-29T12:02:00Z"}`
	)
	// from answers 404 for the first k polls and body afterwards.
	from := func(k int, body string) route {
		return func(n int) (int, string) {
			if n <= k {
				return 404, ""
			}
			return 200, body
		}
	}
	tests := []struct {
		name   string
		routes map[string]route
		want   []imds.Event
	}{
		{"nothing", nil, nil},
		{
			"spot notice appears and stays",
			map[string]route{spotPath: from(3, spot1)},
			[]imds.Event{{Kind: imds.KindSpotInterruption, Time: t1, Action: "terminate"}},
		},
		{
			"rebalance appears and stays",
			map[string]route{rebalancePath: from(2, reb1)},
			[]imds.Event{{Kind: imds.KindRebalance, Time: t1}},
		},
		{
			"rebalance then spot",
			map[string]route{rebalancePath: from(1, reb1), spotPath: from(4, spot1)},
			[]imds.Event{{Kind: imds.KindRebalance, Time: t1}, {Kind: imds.KindSpotInterruption, Time: t1, Action: "terminate"}},
		},
		{
			"changed notice is a new event",
			map[string]route{spotPath: func(n int) (int, string) {
				if n <= 4 {
					return 200, spot1
				}
				return 200, spot2
			}},
			[]imds.Event{
				{Kind: imds.KindSpotInterruption, Time: t1, Action: "terminate"},
				{Kind: imds.KindSpotInterruption, Time: t2, Action: "stop"},
			},
		},
		{
			"failed polls retried on the next tick",
			map[string]route{spotPath: func(n int) (int, string) {
				if n <= 6 { // two polls of three tries each
					return 500, ""
				}
				return 200, spot1
			}},
			[]imds.Event{{Kind: imds.KindSpotInterruption, Time: t1, Action: "terminate"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeIMDS(t, newFakeClock(), tt.routes)
			const polls = 10
			got := runMonitor(t, f, 10*time.Millisecond, func(path string, n int) bool {
				return path == rebalancePath && n == polls
			})
			if len(got) != len(tt.want) {
				t.Fatalf("got %d events %+v, want %d %+v", len(got), got, len(tt.want), tt.want)
			}
			ids := map[string]bool{}
			for i, e := range got {
				w := tt.want[i]
				if e.Kind != w.Kind || !e.Time.Equal(w.Time) || e.Action != w.Action {
					t.Errorf("event %d = %+v, want kind %s time %v action %q", i, e, w.Kind, w.Time, w.Action)
				}
				if !e.Seen.Equal(f.clock.Now()) {
					t.Errorf("event %d seen at %v, want the clock's %v", i, e.Seen, f.clock.Now())
				}
				if e.ID == "" || ids[e.ID] {
					t.Errorf("event %d ID %q empty or repeated", i, e.ID)
				}
				ids[e.ID] = true
			}
		})
	}
}

func TestMonitorEventIDStableAcrossMonitors(t *testing.T) {
	routes := map[string]route{spotPath: always(200, `{"action":"terminate","time":"2026-11-29T12:02:00Z"}`)}
	var ids []string
	for range 2 {
		f := newFakeIMDS(t, newFakeClock(), routes)
		events := runMonitor(t, f, time.Hour, func(path string, _ int) bool { return path == rebalancePath })
		if len(events) != 1 {
			t.Fatalf("got %d events, want 1", len(events))
		}
		ids = append(ids, events[0].ID)
	}
	if ids[0] != ids[1] {
		t.Errorf("same notice got IDs %q and %q, want one stable ID", ids[0], ids[1])
	}
}

func TestMonitorRunReturnsOnCancel(t *testing.T) {
	f := newFakeIMDS(t, newFakeClock(), nil)
	// A one-hour period: Run must return from its wait, not after a tick.
	runMonitor(t, f, time.Hour, func(path string, _ int) bool { return path == rebalancePath })
	if got := f.getsOf(spotPath); got != 1 {
		t.Errorf("spot polls = %d, want 1", got)
	}
}
