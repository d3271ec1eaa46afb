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
// (StaleJobs), where it once listed the jobs and read each one's
// document, about 1 read unit a job (docs/BENCHMARKS.md: 1,015 for
// 1,000). It measures 200 jobs in
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

	t.Logf("a sweep of %d stale PENDING jobs: %.1f read units, %d requests", n, sweep.ReadUnits(), sweep.Requests)
	if perJob := sweep.ReadUnits() / float64(n); perJob > 0.1 {
		t.Errorf("the sweep read %.1f read units, %.3f a job: want under 0.1 a job, read from the index alone (documents cost about 1)",
			sweep.ReadUnits(), perJob)
	}
}
