package provisioner

import (
	"slices"
	"testing"
	"time"
)

func TestClientToken(t *testing.T) {
	cat := DefaultCatalog()
	c6i, _ := cat.Lookup("c6i.large")
	m6i, _ := cat.Lookup("m6i.large")
	items := []LaunchItem{{Type: c6i, Count: 2}, {Type: m6i, Count: 1}}
	seen := []Instance{{ID: "i-1"}, {ID: "i-2"}}
	base := ClientToken("ce", items, seen, t0)

	tests := []struct {
		name  string
		ce    string
		items []LaunchItem
		seen  []Instance
		at    time.Time
		same  bool
	}{
		{"same decision later in the window", "ce", items, seen, t0.Add(30 * time.Second), true},
		{"items in another order", "ce", []LaunchItem{items[1], items[0]}, seen, t0, true},
		{"instances listed in another order", "ce", items, []Instance{seen[1], seen[0]}, t0, true},
		{"next window", "ce", items, seen, t0.Add(TokenWindow), false},
		{"other compute environment", "ce2", items, seen, t0, false},
		{"other count", "ce", []LaunchItem{{Type: c6i, Count: 3}, items[1]}, seen, t0, false},
		// The earlier launch's instance is listed now: a new need of the
		// same shape is a new launch (TestCreateFleetCallsPerLaunchedInstance
		// waited out the window for its last 5 instances).
		{"decided over more instances", "ce", items, append(slices.Clone(seen), Instance{ID: "i-3"}), t0.Add(10 * time.Second), false},
	}
	for _, tc := range tests {
		got := ClientToken(tc.ce, tc.items, tc.seen, tc.at)
		if (got == base) != tc.same {
			t.Errorf("%s: token %s vs %s, want same=%v", tc.name, got, base, tc.same)
		}
	}
	if len(base) > 64 {
		t.Errorf("token %q is %d characters, CreateFleet allows 64", base, len(base))
	}
}

func TestUnavailableOfferingsExpire(t *testing.T) {
	u := newUnavailableOfferings(3 * time.Minute)
	u.mark("c6i.large", false, t0)
	tests := []struct {
		at   time.Time
		spot bool
		want bool
	}{
		{t0.Add(time.Minute), false, true},
		{t0.Add(time.Minute), true, false}, // Spot is another offering
		{t0.Add(3*time.Minute - time.Nanosecond), false, true},
		{t0.Add(3 * time.Minute), false, false},
	}
	for _, tc := range tests {
		if got := u.names(tc.spot, tc.at)["c6i.large"]; got != tc.want {
			t.Errorf("at +%v spot=%v: hidden = %v, want %v", tc.at.Sub(t0), tc.spot, got, tc.want)
		}
	}
}
