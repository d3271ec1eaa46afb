package sigv4

import (
	"sync"
	"time"
)

// ReplayCache remembers the signatures of accepted requests for a window
// (the verifier's skew window: a captured request is refused by Verify once
// it is older than that), so that a replayed request is recognised. Memory is
// bounded: past capacity the oldest entry is forgotten first, which only
// verified requests can cause, since only they are recorded. It is safe for
// concurrent use; time is passed in by the caller.
type ReplayCache struct {
	window   time.Duration
	capacity int

	mu      sync.Mutex
	entries map[string]replayEntry
	// order holds signatures in the order recorded, oldest at head.
	order []string
	head  int
}

type replayEntry struct {
	invocationID string
	expires      time.Time
}

// NewReplayCache makes a cache that remembers a signature for window and at
// most capacity signatures at once. The window should be at least twice the
// verifier's MaxSkew, since a request may be signed MaxSkew ahead of the
// server's clock and replayed until MaxSkew after it.
func NewReplayCache(window time.Duration, capacity int) *ReplayCache {
	capacity = max(capacity, 1)
	return &ReplayCache{
		window:   window,
		capacity: capacity,
		entries:  make(map[string]replayEntry),
	}
}

// Check records a verified request's signature and says whether it was seen
// before within the window. The first sight returns (false, false). A repeat
// with the same non-empty invocation id (amz-sdk-invocation-id: an SDK retry
// re-signed within the same second) is a retry; a repeat with another or no
// invocation id is a replay.
func (c *ReplayCache) Check(sig, invocationID string, now time.Time) (retry bool, replay bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if e, ok := c.entries[sig]; ok && now.Before(e.expires) {
		if invocationID != "" && invocationID == e.invocationID {
			return true, false
		}
		return false, true
	}
	if len(c.entries) >= c.capacity {
		c.evictOldest()
	}
	if _, ok := c.entries[sig]; !ok {
		c.order = append(c.order, sig)
	}
	c.entries[sig] = replayEntry{invocationID: invocationID, expires: now.Add(c.window)}
	return false, false
}

// Len is the number of signatures remembered.
func (c *ReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// expire forgets entries from the oldest while they have expired.
func (c *ReplayCache) expire(now time.Time) {
	for c.head < len(c.order) {
		e := c.entries[c.order[c.head]]
		if now.Before(e.expires) {
			break
		}
		c.evictOldest()
	}
}

// evictOldest forgets the oldest entry and compacts the order queue once
// half of it is spent.
func (c *ReplayCache) evictOldest() {
	if c.head == len(c.order) {
		return
	}
	delete(c.entries, c.order[c.head])
	c.order[c.head] = ""
	c.head++
	if c.head > len(c.order)/2 {
		c.order = append(c.order[:0], c.order[c.head:]...)
		c.head = 0
	}
}
