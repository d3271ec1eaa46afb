package dynamo_test

import (
	"os"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// TestSweepReadCost measures what one sweep of stale PENDING jobs reads
// on DynamoDB (read units, priced by dynamotest.Meter as AWS bills them;
// moto does not): the sweep reads the sweep index's keys alone
// (StaleJobs), where it once listed the jobs, reading each one's
// document, as the listing below still does. It measures 200 jobs in
// `make test`, 1,000 with TANDA_COST_ARRAY set (moto is slow to expand a
// large array), the figure docs/BENCHMARKS.md records.
func TestSweepReadCost(t *testing.T) {
	n := 200
	if os.Getenv("TANDA_COST_ARRAY") != "" {
		n = 1000
	}
	r := newCostRig(t)
	// A sequential array: its first child is RUNNABLE, the others and
	// the parent wait, PENDING.
	size := n
	if _, err := r.svc.SubmitJob(r.ctx, &batch.SubmitJobInput{
		JobName: "chain", JobQueue: "q", JobDefinition: "def",
		ArrayProperties: &batch.ArrayProperties{Size: &size},
		DependsOn:       []batch.JobDependency{{Type: batch.DependencySequential}},
	}); err != nil {
		t.Fatalf("SubmitJob: %v", err)
	}
	r.scheduler()
	time.Sleep(2 * time.Millisecond) // every write is now in the past

	before := r.read()
	rung, err := r.svc.Rering(r.ctx, control.SweepOptions{Stale: time.Millisecond, StalePending: time.Millisecond})
	if err != nil {
		t.Fatalf("Rering: %v", err)
	}
	sweep := r.read().db.Sub(before.db)
	if rung != n {
		t.Fatalf("Rering rang %d doorbells, want %d (the PENDING children and parent)", rung, n)
	}

	before = r.read()
	pg, err := r.store.ListJobs(r.ctx, batch.JobQuery{
		Statuses: []batch.Status{batch.Pending}, UpdatedBefore: batch.Millis(time.Now()), Limit: n,
	})
	if err != nil {
		t.Fatalf("ListJobs: %v", err)
	}
	listing := r.read().db.Sub(before.db)
	if len(pg.Jobs) != n {
		t.Fatalf("listed %d stale PENDING jobs, want %d", len(pg.Jobs), n)
	}
	t.Logf("a sweep of %d stale PENDING jobs: %.1f read units, %d requests; a listing reading their documents (the sweep before): %.1f read units, %d requests",
		n, sweep.ReadUnits(), sweep.Requests, listing.ReadUnits(), listing.Requests)
	if sweep.ReadUnits()*10 > listing.ReadUnits() {
		t.Errorf("the sweep read %.1f read units, the listing %.1f: want the sweep under a tenth, read from the index alone",
			sweep.ReadUnits(), listing.ReadUnits())
	}
}
