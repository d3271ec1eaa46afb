package sqlite

import "testing"

func woken(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestNotifierWakesOneWaiterPerSignal(t *testing.T) {
	n := newNotifier()
	a, stopA := n.watch("q")
	b, stopB := n.watch("q")
	other, stopOther := n.watch("other")
	defer stopA()
	defer stopB()
	defer stopOther()

	n.signal("q")
	if !woken(a) {
		t.Fatal("the oldest waiter was not woken")
	}
	if woken(b) || woken(other) {
		t.Fatal("one signal woke more than one waiter, or another queue's")
	}
	n.signal("q", "q") // two messages, one waiter left
	if !woken(b) {
		t.Fatal("the second waiter was not woken")
	}
}

func TestNotifierPassesOnAnUnusedWakeUp(t *testing.T) {
	n := newNotifier()
	_, stopA := n.watch("q")
	b, stopB := n.watch("q")
	defer stopB()

	n.signal("q")
	stopA() // A was woken but leaves without waiting: B gets the wake-up
	if !woken(b) {
		t.Fatal("the unused wake-up was not passed on")
	}
}

func TestNotifierForgetsStoppedWaiters(t *testing.T) {
	n := newNotifier()
	a, stopA := n.watch("q")
	stopA()
	n.signal("q")
	if woken(a) {
		t.Fatal("a stopped waiter was woken")
	}
	if len(n.waiters) != 0 {
		t.Fatalf("waiters left: %v", n.waiters)
	}
}
