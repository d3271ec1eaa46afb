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

func TestObserverShowsInstancesAsTheirAgentsReportThem(t *testing.T) {
	ctx := context.Background()
	clk := batchtest.NewClock(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), sqlite.Options{Clock: clk})
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	ctl := control.New(db, control.Options{Clock: clk, Queues: db})
	report := func(id string) time.Time {
		rec := control.InstanceRecord{ID: id, ComputeEnvironment: "ce", VCPUs: 2, MemoryMiB: 4096}
		if err := ctl.ReportInstance(ctx, rec); err != nil {
			t.Fatalf("ReportInstance(%s): %v", id, err)
		}
		return clk.Now()
	}
	quietAt := report("i-quiet")
	clk.Advance(2 * time.Minute)
	talkingAt := report("i-talking")

	o := kit.Observer{Control: ctl, Clock: clk}
	loads, err := o.Loads(ctx, "ce")
	if err != nil {
		t.Fatalf("Loads: %v", err)
	}
	if got := slices.Sorted(maps.Keys(loads)); !slices.Equal(got, []string{"i-quiet", "i-talking"}) {
		t.Fatalf("loads of %v, want both instances: forgetting is the provisioner's decision", got)
	}
	if !loads["i-quiet"].LastSeenAt.Equal(quietAt) || !loads["i-talking"].LastSeenAt.Equal(talkingAt) {
		t.Errorf("last seen %v and %v, want %v and %v", loads["i-quiet"].LastSeenAt, loads["i-talking"].LastSeenAt, quietAt, talkingAt)
	}

	if err := o.ForgetInstance(ctx, "ce", "i-quiet"); err != nil {
		t.Fatalf("ForgetInstance: %v", err)
	}
	recs, err := ctl.Instances(ctx, "ce")
	if err != nil || len(recs) != 1 || recs[0].ID != "i-talking" {
		t.Errorf("records after forgetting i-quiet: %+v (%v), want only i-talking", recs, err)
	}
}
