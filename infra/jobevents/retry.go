package jobevents

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff says how failed entries and throttled requests are retried.
type backoff struct {
	attempts int           // calls in all, at least 1
	base     time.Duration // wait after the first failed call
	max      time.Duration // longest wait
	// sleep waits d or until ctx is done; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// defaultBackoff waits about 0.1, 0.2, 0.4 and 0.8 s between five calls,
// on top of the SDK's own retries of whole requests.
var defaultBackoff = backoff{attempts: 5, base: 100 * time.Millisecond, max: 2 * time.Second, sleep: sleepCtx}

// delay is the wait before the call after attempt (1-based): full jitter
// in the upper half of an exponentially growing wait.
func (b backoff) delay(attempt int) time.Duration {
	wait := b.base
	for i := 1; i < attempt && wait < b.max; i++ {
		wait *= 2
	}
	wait = min(wait, b.max)
	return wait/2 + rand.N(wait/2+1)
}

// sleepCtx waits d, or until ctx is done and returns its error.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
