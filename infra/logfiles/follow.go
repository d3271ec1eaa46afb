package logfiles

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// followLimit is the most events one call of a Follow callback gets.
const followLimit = 1000

// Follow hands fn the events of stream from fromToken on, as tail -f does:
// it reads what there is, then waits for more, until ctx is done (it then
// returns ctx.Err()), the store is closed (ErrClosed), or fn fails (its
// error is returned as it is). A stream that does not exist yet is waited
// for. Appends through this Store wake it at once; appends by other
// processes are noticed by polling.
func (s *Store) Follow(ctx context.Context, stream, fromToken string, fn func([]batch.LogEvent) error) error {
	if _, err := s.path(ctx, stream); err != nil {
		return fmt.Errorf("following log stream: %w", err)
	}
	if _, err := parseToken(fromToken); err != nil {
		return fmt.Errorf("following log stream %s: %w", stream, err)
	}
	poll := time.NewTicker(s.pollEvery)
	defer poll.Stop()
	token := fromToken
	for {
		// Watch before reading, so an append right after the read is not
		// missed.
		appended, unwatch := s.appended.watch(stream)
		events, next, err := s.Read(ctx, stream, token, followLimit)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			unwatch()
			return err
		case len(events) > 0:
			unwatch()
			if err := fn(events); err != nil {
				return err
			}
			token = next
			continue
		}
		select {
		case <-ctx.Done():
			unwatch()
			return ctx.Err()
		case <-s.closed:
			unwatch()
			return ErrClosed
		case <-appended:
		case <-poll.C:
		}
		unwatch()
	}
}

// notifier tells followers of a stream that it was appended to. It holds
// an entry only for streams that someone is waiting on.
type notifier struct {
	mu      sync.Mutex
	waiting map[string]*watch
}

// watch is the waiters on one stream until its next append.
type watch struct {
	appended chan struct{} // closed on the next append
	waiters  int
}

// watch returns a channel that the next append to stream closes, and a
// function to call once no longer waiting on it.
func (n *notifier) watch(stream string) (<-chan struct{}, func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.waiting == nil {
		n.waiting = make(map[string]*watch)
	}
	w := n.waiting[stream]
	if w == nil {
		w = &watch{appended: make(chan struct{})}
		n.waiting[stream] = w
	}
	w.waiters++
	return w.appended, func() { n.unwatch(stream, w) }
}

// unwatch drops one waiter of w, and w itself with its last waiter.
func (n *notifier) unwatch(stream string, w *watch) {
	n.mu.Lock()
	defer n.mu.Unlock()
	w.waiters--
	if w.waiters == 0 && n.waiting[stream] == w {
		delete(n.waiting, stream)
	}
}

// notify wakes the waiters on stream, if any.
func (n *notifier) notify(stream string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if w := n.waiting[stream]; w != nil {
		close(w.appended)
		delete(n.waiting, stream)
	}
}
