package cwlogs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/internal/backoff"
)

func TestBackoff(t *testing.T) {
	throttled := &types.ThrottlingException{Message: new("Rate exceeded")}
	unavailable := &types.ServiceUnavailableException{Message: new("try later")}
	other := &types.InvalidParameterException{Message: new("bad")}
	tests := []struct {
		name      string
		errs      []error // what each call returns; nil past the end
		wantCalls int
		wantErr   error
	}{
		{"first call succeeds", nil, 1, nil},
		{"throttled then succeeds", []error{throttled, unavailable, throttled}, 4, nil},
		{"other errors are not retried", []error{other}, 1, other},
		{"throttled throughout", []error{throttled, throttled, throttled, throttled}, 4, batch.ErrThrottled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var waits []time.Duration
			b := retrier{attempts: 4, base: 100 * time.Millisecond, max: 300 * time.Millisecond,
				sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
			calls := 0
			err := b.do(t.Context(), func(context.Context) error {
				calls++
				if calls <= len(tt.errs) {
					return tt.errs[calls-1]
				}
				return nil
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("error = %v, want %v", err, tt.wantErr)
			}
			if calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tt.wantCalls)
			}
			if len(waits) != calls-1 {
				t.Errorf("waited %d times for %d calls, want %d", len(waits), calls, calls-1)
			}
			ceilings := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
			for i, d := range waits {
				if d < ceilings[i]/2 || d > ceilings[i] {
					t.Errorf("wait %d = %v, want between %v and %v", i, d, ceilings[i]/2, ceilings[i])
				}
			}
		})
	}
}

func TestBackoffStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	b := retrier{attempts: 10, base: time.Hour, max: time.Hour, sleep: backoff.Sleep}
	calls := 0
	err := b.do(ctx, func(context.Context) error {
		calls++
		cancel()
		return &types.ThrottlingException{}
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("after cancel: %d calls, error %v; want 1 call and context.Canceled", calls, err)
	}
}
