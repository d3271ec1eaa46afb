package httpapi

import (
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// maxIdleBuckets bounds the limiter's memory: beyond it, buckets that have
// refilled completely (their callers went quiet) are dropped.
const maxIdleBuckets = 4096

// rateLimiter is a token bucket per access key: each bucket holds up to
// burst tokens, refills at rate per second, and a request takes one.
type rateLimiter struct {
	rate  float64
	burst float64
	clock batch.Clock

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// newRateLimiter allows rate requests per second per key, in bursts of up
// to rate (at least one).
func newRateLimiter(rate float64, clock batch.Clock) *rateLimiter {
	return &rateLimiter{
		rate:    rate,
		burst:   max(rate, 1),
		clock:   clock,
		buckets: make(map[string]*bucket),
	}
}

// allow takes a token from key's bucket, reporting false if it is empty.
func (l *rateLimiter) allow(key string) bool {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxIdleBuckets {
			l.dropFull(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// refill adds the tokens earned since the bucket was last seen.
func (l *rateLimiter) refill(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed*l.rate)
		b.last = now
	}
}

// dropFull forgets the buckets that are full again: a new bucket starts
// full, so forgetting them changes nothing.
func (l *rateLimiter) dropFull(now time.Time) {
	for key, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= l.burst {
			delete(l.buckets, key)
		}
	}
}
