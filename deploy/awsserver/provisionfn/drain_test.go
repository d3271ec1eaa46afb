package provisionfn

import (
	"slices"
	"testing"
)

func TestHandleDrainsTheInterruptionQueue(t *testing.T) {
	tests := []struct {
		name        string
		files       []string
		locator     mapLocator
		failing     map[string]bool // instances whose record cannot be changed
		wantCalls   []string
		wantDeleted []string // receipts: the files' indexes
	}{
		{
			name:        "interruption warning, then terminated",
			files:       []string{"spot-interruption-warning.json", "state-change-terminated.json"},
			locator:     mapLocator{"i-0b662ef9931388ba0": "spot"},
			wantCalls:   []string{"drain spot/i-0b662ef9931388ba0", "forget spot/i-0b662ef9931388ba0"},
			wantDeleted: []string{"r0", "r1"},
		},
		{
			name:        "rebalance and shutting down drain",
			files:       []string{"rebalance-recommendation.json", "state-change-shutting-down.json"},
			locator:     mapLocator{"i-0a1b2c3d4e5f60718": "spot", "i-0c9d8e7f6a5b40312": "ondemand"},
			wantCalls:   []string{"drain spot/i-0a1b2c3d4e5f60718", "drain ondemand/i-0c9d8e7f6a5b40312"},
			wantDeleted: []string{"r0", "r1"},
		},
		{
			name:        "other stacks' instances and other events are dropped",
			files:       []string{"spot-interruption-warning.json", "state-change-running.json", "batch-job-state-change.json"},
			locator:     mapLocator{},
			wantDeleted: []string{"r1", "r2", "r0"},
		},
		{
			name:        "a failed drain stays in the queue",
			files:       []string{"spot-interruption-warning.json", "rebalance-recommendation.json"},
			locator:     mapLocator{"i-0b662ef9931388ba0": "spot", "i-0a1b2c3d4e5f60718": "spot"},
			failing:     map[string]bool{"i-0b662ef9931388ba0": true},
			wantCalls:   []string{"drain spot/i-0a1b2c3d4e5f60718"},
			wantDeleted: []string{"r1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &fakeNotices{}
			for i, f := range tt.files {
				q.waiting = append(q.waiting, Message{Receipt: "r" + string(rune('0'+i)), Body: readEvent(t, f)})
			}
			r := newRig(t, Deps{Notices: q, Locator: tt.locator})
			r.inst.fail = tt.failing
			if err := r.invoke(t); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if !slices.Equal(r.inst.calls, tt.wantCalls) {
				t.Errorf("control calls = %q, want %q", r.inst.calls, tt.wantCalls)
			}
			if !slices.Equal(q.deleted, tt.wantDeleted) {
				t.Errorf("deleted = %q, want %q", q.deleted, tt.wantDeleted)
			}
		})
	}
}

func TestHandleDropsMessagesThatAreNotEvents(t *testing.T) {
	q := &fakeNotices{waiting: []Message{{Receipt: "junk", Body: []byte("hello")}}}
	r := newRig(t, Deps{Notices: q, Locator: mapLocator{}})
	if err := r.invoke(t); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	if !slices.Equal(q.deleted, []string{"junk"}) {
		t.Errorf("deleted = %q, want the unreadable message", q.deleted)
	}
}
