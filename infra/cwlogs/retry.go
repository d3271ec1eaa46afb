package cwlogs

import (
	"context"
	"fmt"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/internal/backoff"
)

// retrier is how calls that CloudWatch throttles are retried.
type retrier struct {
	attempts int           // calls in all, at least 1
	base     time.Duration // wait after the first throttled call
	max      time.Duration // longest wait
	// sleep waits d or until ctx is done; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// defaultBackoff waits about 0.2, 0.4, 0.8, 1.6 and 3.2 s between six calls,
// on top of the SDK's own retries.
var defaultBackoff = retrier{attempts: 6, base: 200 * time.Millisecond, max: 5 * time.Second, sleep: backoff.Sleep}

// do calls op until it succeeds, fails other than by throttling, or the
// attempts run out; the last error then also wraps batch.ErrThrottled.
func (b retrier) do(ctx context.Context, op func(context.Context) error) error {
	wait := b.base
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil || !hasCode(err, codeThrottling, codeServiceUnavailable) {
			return err
		}
		if attempt >= b.attempts {
			return fmt.Errorf("%w after %d attempts: %w", batch.ErrThrottled, attempt, err)
		}
		d := backoff.Jitter(wait)
		if err := b.sleep(ctx, d); err != nil {
			return fmt.Errorf("waiting to retry a throttled call: %w", err)
		}
		wait = min(2*wait, b.max)
	}
}
