package provisioner

import (
	"testing"
	"time"
)

func TestClientToken(t *testing.T) {
	cat := DefaultCatalog()
	c6i, _ := cat.Lookup("c6i.large")
	m6i, _ := cat.Lookup("m6i.large")
	items := []LaunchItem{{Type: c6i, Count: 2}, {Type: m6i, Count: 1}}
	base := ClientToken("ce", items, t0)

	tests := []struct {
		name  string
		ce    string
		items []LaunchItem
		at    time.Time
		same  bool
	}{
		{"same decision later in the window", "ce", items, t0.Add(30 * time.Second), true},
		{"items in another order", "ce", []LaunchItem{items[1], items[0]}, t0, true},
		{"next window", "ce", items, t0.Add(TokenWindow), false},
		{"other compute environment", "ce2", items, t0, false},
		{"other count", "ce", []LaunchItem{{Type: c6i, Count: 3}, items[1]}, t0, false},
	}
	for _, tc := range tests {
		got := ClientToken(tc.ce, tc.items, tc.at)
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
