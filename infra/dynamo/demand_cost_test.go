package dynamo_test

import (
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/provisioner"
)

// TestDemandReadCost measures what the provisioner's demand read costs per
// RUNNABLE job on DynamoDB (read units, priced by dynamotest.Meter as AWS
// bills them; moto does not), against a listing of the same jobs, which
// reads their documents as the demand read did before it was summarized
// from the index (docs/RELIABILITY.md, defect 4). docs/BENCHMARKS.md
// records the figures.
func TestDemandReadCost(t *testing.T) {
	const n = 100
	r := newCostRig(t)
	for range n {
		if _, err := r.svc.SubmitJob(r.ctx, &batch.SubmitJobInput{JobName: "j", JobQueue: "q", JobDefinition: "def"}); err != nil {
			t.Fatalf("SubmitJob: %v", err)
		}
	}
	r.scheduler()

	before := r.read()
	runs, err := r.svc.Demand(r.ctx, "ce", provisioner.DefaultDemandLimit, time.Now().Add(-provisioner.PackingPatience))
	if err != nil {
		t.Fatalf("Demand: %v", err)
	}
	summary := r.read().db.Sub(before.db)
	counted := 0
	for _, run := range runs {
		counted += run.Count
	}
	if counted != n || len(runs) != 1 {
		t.Fatalf("demand %+v: %d jobs in %d runs, want %d in 1", runs, counted, len(runs), n)
	}

	before = r.read()
	listed := 0
	in := &batch.ListJobsInput{JobQueue: "q", JobStatus: batch.Runnable.String(), MaxResults: new(100)}
	for {
		out, err := r.svc.ListJobs(r.ctx, in)
		if err != nil {
			t.Fatalf("ListJobs: %v", err)
		}
		listed += len(out.JobSummaryList)
		if out.NextToken == nil {
			break
		}
		in.NextToken = *out.NextToken
	}
	listing := r.read().db.Sub(before.db)
	if listed != n {
		t.Fatalf("listed %d RUNNABLE jobs, want %d", listed, n)
	}
	perJob := func(u float64) float64 { return u / n }
	t.Logf("demand of %d RUNNABLE jobs: %.3f read units per job, %d requests; a listing reading their documents: %.3f read units per job, %d requests",
		n, perJob(summary.ReadUnits()), summary.Requests, perJob(listing.ReadUnits()), listing.Requests)
	if summary.ReadUnits()*10 > listing.ReadUnits() {
		t.Errorf("the demand read cost %.1f read units, the listing %.1f: want the demand under a tenth, read from the index alone",
			summary.ReadUnits(), listing.ReadUnits())
	}
}
