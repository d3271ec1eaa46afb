package sqlite

import "sync"

// notifier wakes the long polls of a queue when it may have a message. A
// waiter takes the queue's channel before it looks for messages, so a signal
// that comes between the look and the wait is not missed.
type notifier struct {
	mu    sync.Mutex
	chans map[string]chan struct{}
}

func newNotifier() *notifier {
	return &notifier{chans: make(map[string]chan struct{})}
}

// watch returns a channel that is closed at the queue's next signal.
func (n *notifier) watch(queue string) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	ch, ok := n.chans[queue]
	if !ok {
		ch = make(chan struct{})
		n.chans[queue] = ch
	}
	return ch
}

// signal wakes every waiter of the queues. Only queues with waiters hold a
// channel, so the map stays as small as the set of watched queues.
func (n *notifier) signal(queues ...string) {
	if len(queues) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, q := range queues {
		if ch, ok := n.chans[q]; ok {
			close(ch)
			delete(n.chans, q)
		}
	}
}
