package sigv4

import (
	"strconv"
	"testing"
	"time"
)

func TestReplayCacheCheck(t *testing.T) {
	t0 := signTime
	type check struct {
		sig, invocation string
		at              time.Duration // after t0
		retry, replay   bool
	}
	tests := []struct {
		name   string
		checks []check
	}{
		{"first sight", []check{{"s1", "inv-1", 0, false, false}}},
		{"retry with same invocation id", []check{
			{"s1", "inv-1", 0, false, false},
			{"s1", "inv-1", time.Second, true, false},
			{"s1", "inv-1", 2 * time.Second, true, false},
		}},
		{"replay with other invocation id", []check{
			{"s1", "inv-1", 0, false, false},
			{"s1", "inv-2", time.Second, false, true},
		}},
		{"replay without invocation id", []check{
			{"s1", "inv-1", 0, false, false},
			{"s1", "", time.Second, false, true},
		}},
		{"empty invocation id is never a retry", []check{
			{"s1", "", 0, false, false},
			{"s1", "", time.Second, false, true},
		}},
		{"other signatures are independent", []check{
			{"s1", "inv-1", 0, false, false},
			{"s2", "inv-1", 0, false, false},
		}},
		{"forgotten after the window", []check{
			{"s1", "inv-1", 0, false, false},
			{"s1", "inv-2", 10*time.Minute - time.Nanosecond, false, true},
			{"s1", "inv-2", 10 * time.Minute, false, false},
			{"s1", "inv-3", 11 * time.Minute, false, true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewReplayCache(10*time.Minute, 100)
			for i, ch := range tc.checks {
				retry, replay := c.Check(ch.sig, ch.invocation, t0.Add(ch.at))
				if retry != ch.retry || replay != ch.replay {
					t.Errorf("check %d Check(%q, %q, +%v) = (retry %v, replay %v), want (%v, %v)",
						i, ch.sig, ch.invocation, ch.at, retry, replay, ch.retry, ch.replay)
				}
			}
		})
	}
}

func TestReplayCacheExpiresOldEntries(t *testing.T) {
	c := NewReplayCache(time.Minute, 1000)
	for i := range 100 {
		c.Check("old"+strconv.Itoa(i), "", signTime)
	}
	c.Check("new", "", signTime.Add(time.Minute))
	if got := c.Len(); got != 1 {
		t.Errorf("Len after the window = %d, want 1", got)
	}
}

func TestReplayCacheBounded(t *testing.T) {
	const capacity = 10
	c := NewReplayCache(time.Hour, capacity)
	for i := range 5 * capacity {
		c.Check("s"+strconv.Itoa(i), "", signTime.Add(time.Duration(i)*time.Millisecond))
		if got := c.Len(); got > capacity {
			t.Fatalf("Len = %d after %d signatures, want at most %d", got, i+1, capacity)
		}
	}
	if _, replay := c.Check("s49", "", signTime.Add(time.Second)); !replay {
		t.Errorf("newest signature forgotten, want it remembered")
	}
	if _, replay := c.Check("s0", "", signTime.Add(time.Second)); replay {
		t.Errorf("oldest signature remembered past capacity, want it evicted")
	}
	if got := len(c.order) - c.head; got != c.Len() {
		t.Errorf("order queue holds %d live entries, map holds %d", got, c.Len())
	}
}
