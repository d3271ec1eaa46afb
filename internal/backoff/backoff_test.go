package backoff

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestExponential(t *testing.T) {
	tests := []struct {
		attempt int
		want    time.Duration
	}{{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {3, 400 * time.Millisecond}, {5, time.Second}, {50, time.Second}}
	for _, tt := range tests {
		if got := Exponential(100*time.Millisecond, time.Second, tt.attempt); got != tt.want {
			t.Errorf("Exponential(attempt %d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
}

func TestJitterStaysInTheUpperHalf(t *testing.T) {
	for range 1000 {
		if d := Jitter(time.Second); d < 500*time.Millisecond || d > time.Second {
			t.Fatalf("Jitter(1s) = %v, want within [500ms, 1s]", d)
		}
	}
	if d := Jitter(0); d != 0 {
		t.Errorf("Jitter(0) = %v, want 0", d)
	}
}

func TestSleepEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep with a cancelled context = %v, want context.Canceled", err)
	}
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep(1ms) = %v", err)
	}
}
