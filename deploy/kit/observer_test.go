package kit_test

import (
	"context"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/infra/sqlite"
)

func TestObserverForgetsSilentInstances(t *testing.T) {
	tests := []struct {
		name        string
		forgetAfter time.Duration
		wantLoads   []string
		wantKept    []string
	}{
		{name: "kept without a limit", wantLoads: []string{"i-quiet", "i-talking"}, wantKept: []string{"i-quiet", "i-talking"}},
		{name: "silent one forgotten", forgetAfter: time.Minute, wantLoads: []string{"i-talking"}, wantKept: []string{"i-talking"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			clk := batchtest.NewClock(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
			db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), sqlite.Options{Clock: clk})
			if err != nil {
				t.Fatalf("opening store: %v", err)
			}
			t.Cleanup(func() { _ = db.Close() })
			ctl := control.New(db, control.Options{Clock: clk, Queues: db})
			report := func(id string) {
				rec := control.InstanceRecord{ID: id, ComputeEnvironment: "ce", VCPUs: 2, MemoryMiB: 4096}
				if err := ctl.ReportInstance(ctx, rec); err != nil {
					t.Fatalf("ReportInstance(%s): %v", id, err)
				}
			}
			report("i-quiet")
			clk.Advance(2 * time.Minute)
			report("i-talking")

			o := kit.Observer{Control: ctl, Clock: clk, ForgetSilentAfter: tt.forgetAfter}
			loads, err := o.Loads(ctx, "ce")
			if err != nil {
				t.Fatalf("Loads: %v", err)
			}
			if got := slices.Sorted(maps.Keys(loads)); !slices.Equal(got, tt.wantLoads) {
				t.Errorf("loads of %v, want %v", got, tt.wantLoads)
			}
			recs, err := ctl.Instances(ctx, "ce")
			if err != nil {
				t.Fatalf("Instances: %v", err)
			}
			var kept []string
			for _, r := range recs {
				kept = append(kept, r.ID)
			}
			slices.Sort(kept)
			if !slices.Equal(kept, tt.wantKept) {
				t.Errorf("records kept %v, want %v", kept, tt.wantKept)
			}
		})
	}
}
