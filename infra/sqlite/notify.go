package sqlite

import "sync"

// notifier wakes the long polls of a queue when it may have a message: one
// waiting receiver per message sent, rather than all of them, so that a
// send to a queue with many idle consumers does not send them all to look
// at once. A receiver registers before it looks for messages, so a signal
// that comes between the look and the wait is not missed; one that
// stops watching with a wake-up it did not use passes it on.
type notifier struct {
	mu      sync.Mutex
	waiters map[string][]*waiter // per queue, oldest first
}

// waiter is one registered long poll. Its channel holds at most one wake-up.
type waiter struct {
	queue string
	ch    chan struct{}
}

func newNotifier() *notifier {
	return &notifier{waiters: make(map[string][]*waiter)}
}

// watch registers a long poll of queue. The channel receives a wake-up at
// a signal of the queue; stop must be called when the poll ends.
func (n *notifier) watch(queue string) (wake <-chan struct{}, stop func()) {
	w := &waiter{queue: queue, ch: make(chan struct{}, 1)}
	n.mu.Lock()
	n.waiters[queue] = append(n.waiters[queue], w)
	n.mu.Unlock()
	return w.ch, func() { n.stop(w) }
}

// stop unregisters a waiter. If it was woken and did not take the wake-up,
// the wake-up goes to the next waiter of the queue.
func (n *notifier) stop(w *waiter) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ws := n.waiters[w.queue]
	for i, x := range ws {
		if x == w {
			n.setWaiters(w.queue, append(ws[:i:i], ws[i+1:]...))
			return
		}
	}
	select {
	case <-w.ch: // woken, but it is leaving: pass it on
		n.wakeOne(w.queue)
	default:
	}
}

// signal wakes one waiter of a queue per time the queue is named.
func (n *notifier) signal(queues ...string) {
	if len(queues) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, q := range queues {
		n.wakeOne(q)
	}
}

// wakeOne wakes the oldest waiter of a queue, if any. n.mu is held.
func (n *notifier) wakeOne(queue string) {
	ws := n.waiters[queue]
	if len(ws) == 0 {
		return
	}
	w := ws[0]
	n.setWaiters(queue, ws[1:])
	w.ch <- struct{}{} // a waiter is woken once: room is certain
}

func (n *notifier) setWaiters(queue string, ws []*waiter) {
	if len(ws) == 0 {
		delete(n.waiters, queue)
		return
	}
	n.waiters[queue] = ws
}
