package httpapi

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch/batchtest"
)

func TestRateLimiter(t *testing.T) {
	clock := batchtest.NewClock(testEpoch)
	l := newRateLimiter(2, clock)
	steps := []struct {
		advance time.Duration
		key     string
		want    bool
	}{
		{0, "a", true},
		{0, "a", true},
		{0, "a", false}, // burst of 2 spent
		{0, "b", true},  // other keys have their own bucket
		{400 * time.Millisecond, "a", false},
		{100 * time.Millisecond, "a", true}, // 0.5 s at 2/s earns one token
		{0, "a", false},
		{time.Hour, "a", true}, // refills only up to the burst
		{0, "a", true},
		{0, "a", false},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		if got := l.allow(s.key); got != s.want {
			t.Errorf("step %d: allow(%q) = %v, want %v", i, s.key, got, s.want)
		}
	}
}

func TestRateLimiterFractionalRate(t *testing.T) {
	clock := batchtest.NewClock(testEpoch)
	l := newRateLimiter(0.5, clock)
	if !l.allow("k") || l.allow("k") {
		t.Fatal("want one request, then a refusal")
	}
	clock.Advance(2 * time.Second)
	if !l.allow("k") {
		t.Error("want a token after 2 s at 0.5/s")
	}
}

func TestRateLimiterForgetsIdleKeys(t *testing.T) {
	clock := batchtest.NewClock(testEpoch)
	l := newRateLimiter(1, clock)
	for i := range maxIdleBuckets {
		l.allow(fmt.Sprint(i))
	}
	clock.Advance(time.Second)
	l.allow("new")
	if got := len(l.buckets); got != 1 {
		t.Errorf("buckets = %d, want 1 after the idle ones are dropped", got)
	}
}

func TestRateLimitAnswer(t *testing.T) {
	fb := &fakeBackend{}
	opts := testOptions()
	opts.RateLimit = 1
	h := New(fb, opts)
	if rec := do(t, h, "POST", "/v1/listjobs", ""); rec.Code != http.StatusOK {
		t.Fatalf("first request: status = %d, want 200", rec.Code)
	}
	rec := do(t, h, "POST", "/v1/listjobs", "")
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("second request: status = %d, want 429", rec.Code)
	}
	if e := decodeErrorBody(t, rec); e.Type != "TooManyRequestsException" || e.Message != "Too Many Requests" {
		t.Errorf("error = %s %q, want TooManyRequestsException \"Too Many Requests\"", e.Type, e.Message)
	}
	if n := len(fb.recordedCalls()); n != 1 {
		t.Errorf("backend called %d times, want 1", n)
	}
}
