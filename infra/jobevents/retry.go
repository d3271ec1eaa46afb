package jobevents

import (
	"context"
	"time"

	"github.com/tanda-batch/tanda/internal/backoff"
)

// retrier says how failed entries and throttled requests are retried.
type retrier struct {
	attempts int           // calls in all, at least 1
	base     time.Duration // wait after the first failed call
	max      time.Duration // longest wait
	// sleep waits d or until ctx is done; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// defaultBackoff waits about 0.1, 0.2, 0.4 and 0.8 s between five calls,
// on top of the SDK's own retries of whole requests.
var defaultBackoff = retrier{attempts: 5, base: 100 * time.Millisecond, max: 2 * time.Second, sleep: backoff.Sleep}

// delay is the wait before the call after attempt (1-based): full jitter
// in the upper half of an exponentially growing wait.
func (b retrier) delay(attempt int) time.Duration {
	return backoff.Jitter(backoff.Exponential(b.base, b.max, attempt))
}
