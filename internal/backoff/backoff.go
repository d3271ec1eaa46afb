// Package backoff holds the waiting that Tanda's clients share when
// they retry throttled or partly failed calls: exponential waits with
// jitter, cut short by the caller's context.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Exponential is the wait before the call after attempt (1-based): base,
// doubling with each attempt, at most max.
func Exponential(base, max time.Duration, attempt int) time.Duration {
	wait := base
	for i := 1; i < attempt && wait < max; i++ {
		wait *= 2
	}
	return min(wait, max)
}

// Jitter spreads a wait over its upper half, [wait/2, wait], so that
// callers throttled together do not retry together.
func Jitter(wait time.Duration) time.Duration {
	if wait <= 0 {
		return 0
	}
	return wait/2 + rand.N(wait/2+1)
}

// Sleep waits d, or until ctx is done and returns its error.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
