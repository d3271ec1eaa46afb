package logfiles

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// follower runs Follow in the background and collects what it is given.
type follower struct {
	events chan batch.LogEvent
	done   chan error
}

func follow(t *testing.T, ctx context.Context, s *Store, stream, from string) *follower {
	t.Helper()
	f := &follower{events: make(chan batch.LogEvent, 100), done: make(chan error, 1)}
	go func() {
		f.done <- s.Follow(ctx, stream, from, func(events []batch.LogEvent) error {
			for _, e := range events {
				f.events <- e
			}
			return nil
		})
	}()
	return f
}

// expect waits for the next events and checks them.
func (f *follower) expect(t *testing.T, want ...batch.LogEvent) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-f.events:
			if got != w {
				t.Fatalf("followed event = %+v, want %+v", got, w)
			}
		case err := <-f.done:
			t.Fatalf("Follow ended early: %v", err)
		case <-time.After(5 * time.Second):
			t.Fatalf("no event; want %+v", w)
		}
	}
}

// result waits for Follow to return.
func (f *follower) result(t *testing.T) error {
	t.Helper()
	select {
	case err := <-f.done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Follow did not return")
		return nil
	}
}

func appendOK(t *testing.T, s *Store, stream string, events ...batch.LogEvent) {
	t.Helper()
	if err := s.Append(t.Context(), stream, events); err != nil {
		t.Fatalf("Append: %v", err)
	}
}

func TestFollowSeesLaterAppends(t *testing.T) {
	s := openStore(t)
	s.pollEvery = time.Hour // only the append's notification can wake it
	appendOK(t, s, testStream, batch.LogEvent{Timestamp: 1, Message: "before"})

	ctx, cancel := context.WithCancel(t.Context())
	f := follow(t, ctx, s, testStream, "")
	f.expect(t, batch.LogEvent{Timestamp: 1, Message: "before"})
	appendOK(t, s, testStream, batch.LogEvent{Timestamp: 2, Message: "after"}, batch.LogEvent{Timestamp: 3, Message: "and more"})
	f.expect(t, batch.LogEvent{Timestamp: 2, Message: "after"}, batch.LogEvent{Timestamp: 3, Message: "and more"})
	appendOK(t, s, "another/default/stream", batch.LogEvent{Timestamp: 4, Message: "elsewhere"})
	appendOK(t, s, testStream, batch.LogEvent{Timestamp: 5, Message: "last"})
	f.expect(t, batch.LogEvent{Timestamp: 5, Message: "last"})

	cancel()
	if err := f.result(t); !errors.Is(err, context.Canceled) {
		t.Errorf("Follow returned %v, want context.Canceled", err)
	}
	if n := len(s.appended.waiting); n != 0 {
		t.Errorf("%d watches left behind", n)
	}
}

func TestFollowWaitsForStream(t *testing.T) {
	s := openStore(t)
	s.pollEvery = time.Hour
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f := follow(t, ctx, s, testStream, "")
	appendOK(t, s, testStream, batch.LogEvent{Timestamp: 1, Message: "first"})
	f.expect(t, batch.LogEvent{Timestamp: 1, Message: "first"})
}

func TestFollowFromToken(t *testing.T) {
	s := openStore(t)
	appendOK(t, s, testStream, batch.LogEvent{Timestamp: 1, Message: "seen"}, batch.LogEvent{Timestamp: 2, Message: "seen too"})
	_, token, err := s.Read(t.Context(), testStream, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	appendOK(t, s, testStream, batch.LogEvent{Timestamp: 3, Message: "new"})

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f := follow(t, ctx, s, testStream, token)
	f.expect(t, batch.LogEvent{Timestamp: 3, Message: "new"})
}

func TestFollowPollsForOtherWriters(t *testing.T) {
	reader := openStore(t)
	reader.pollEvery = 5 * time.Millisecond
	writer, err := Open(reader.dir) // as another process would
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	f := follow(t, ctx, reader, testStream, "")
	appendOK(t, writer, testStream, batch.LogEvent{Timestamp: 1, Message: "from elsewhere"})
	f.expect(t, batch.LogEvent{Timestamp: 1, Message: "from elsewhere"})
}

func TestFollowEnds(t *testing.T) {
	errStop := errors.New("enough")
	tests := []struct {
		name    string
		end     func(s *Store, cancel context.CancelFunc)
		fn      func([]batch.LogEvent) error
		wantErr error
	}{
		{"cancel", func(_ *Store, cancel context.CancelFunc) { cancel() }, nil, context.Canceled},
		{"close", func(s *Store, _ context.CancelFunc) { s.Close() }, nil, ErrClosed},
		{"callback error", func(s *Store, _ context.CancelFunc) {
			s.Append(context.Background(), testStream, []batch.LogEvent{{Timestamp: 1, Message: "x"}})
		}, func([]batch.LogEvent) error { return errStop }, errStop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			s.pollEvery = time.Hour
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			fn := tt.fn
			if fn == nil {
				fn = func([]batch.LogEvent) error { return nil }
			}
			done := make(chan error, 1)
			go func() { done <- s.Follow(ctx, testStream, "", fn) }()
			tt.end(s, cancel)
			select {
			case err := <-done:
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("Follow returned %v, want %v", err, tt.wantErr)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Follow did not return")
			}
		})
	}
}

func TestNotifier(t *testing.T) {
	var n notifier
	a1, unwatchA1 := n.watch("a")
	a2, unwatchA2 := n.watch("a")
	b, unwatchB := n.watch("b")
	n.notify("a")
	for name, ch := range map[string]<-chan struct{}{"a1": a1, "a2": a2} {
		select {
		case <-ch:
		default:
			t.Errorf("watch %s not woken by its stream's append", name)
		}
	}
	select {
	case <-b:
		t.Error("watch b woken by another stream's append")
	default:
	}
	unwatchA1()
	unwatchA2()
	unwatchB()
	if len(n.waiting) != 0 {
		t.Errorf("watches left = %v, want none", n.waiting)
	}
	n.notify("nobody") // no watch: nothing to do
}
