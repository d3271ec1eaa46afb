package control_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// listIDs lists job ids with ListJobs, failing the test on error.
func (h *harness) listIDs(in *batch.ListJobsInput) ([]string, *string) {
	h.t.Helper()
	out, err := h.svc.ListJobs(h.ctx, in)
	if err != nil {
		h.t.Fatalf("ListJobs(%+v): %v", *in, err)
	}
	ids := make([]string, 0, len(out.JobSummaryList))
	for _, s := range out.JobSummaryList {
		ids = append(ids, s.JobID)
	}
	return ids, out.NextToken
}

func TestListJobsByStatusAndName(t *testing.T) {
	h := newHarness(t)
	// One second apart, so newest-first order is by submission.
	submit := func(name string) string {
		h.clk.Advance(time.Second)
		return h.submit(&batch.SubmitJobInput{JobName: name})
	}
	alpha1 := submit("alpha-1")
	alpha2 := submit("Alpha-2")
	beta := submit("beta")
	h.drain()
	h.start(beta, "i-1")
	failed := submit("alpha-3")
	h.drain()
	h.run(failed, 1)

	tests := []struct {
		name string
		in   batch.ListJobsInput
		want []string
	}{
		{"default status is RUNNING", batch.ListJobsInput{JobQueue: queueName}, []string{beta}},
		{"status filter", batch.ListJobsInput{JobQueue: queueName, JobStatus: "RUNNABLE"}, []string{alpha2, alpha1}},
		{"status with no jobs", batch.ListJobsInput{JobQueue: queueName, JobStatus: "SUCCEEDED"}, []string{}},
		{"queue by ARN", batch.ListJobsInput{JobQueue: testPartition.JobQueueARN(queueName), JobStatus: "FAILED"}, []string{failed}},
		{"JOB_NAME prefix, any status, newest first", batch.ListJobsInput{JobQueue: queueName, JobStatus: "RUNNING",
			Filters: []batch.KeyValuesPair{{Name: batch.FilterJobName, Values: []string{"alpha*"}}}}, []string{failed, alpha2, alpha1}},
		{"JOB_NAME exact", batch.ListJobsInput{JobQueue: queueName,
			Filters: []batch.KeyValuesPair{{Name: batch.FilterJobName, Values: []string{"beta"}}}}, []string{beta}},
		{"JOB_DEFINITION", batch.ListJobsInput{JobQueue: queueName,
			Filters: []batch.KeyValuesPair{{Name: batch.FilterJobDefinition, Values: []string{defName}}}}, []string{failed, beta, alpha2, alpha1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := h.with(t)
			got, next := h.listIDs(&tt.in)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
			if next != nil {
				t.Errorf("nextToken = %q, want none", *next)
			}
		})
	}
}

func TestListJobsRejectsBadInput(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		name    string
		in      batch.ListJobsInput
		wantMsg string
	}{
		{"unknown queue", batch.ListJobsInput{JobQueue: "nope"}, "nope"},
		{"unknown status", batch.ListJobsInput{JobQueue: queueName, JobStatus: "DONE"}, "DONE"},
		{"filter with two values", batch.ListJobsInput{JobQueue: queueName,
			Filters: []batch.KeyValuesPair{{Name: batch.FilterJobName, Values: []string{"a", "b"}}}}, "exactly one value"},
		{"bad time filter", batch.ListJobsInput{JobQueue: queueName,
			Filters: []batch.KeyValuesPair{{Name: batch.FilterAfterCreatedAt, Values: []string{"yesterday"}}}}, "epoch milliseconds"},
		{"multi-node", batch.ListJobsInput{MultiNodeJobID: "x"}, "multi-node"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.svc.ListJobs(h.ctx, &tt.in)
			wantClientError(t, err, tt.wantMsg)
		})
	}
}

func TestListJobsPaginates(t *testing.T) {
	h := newHarness(t)
	var all []string
	for range 7 {
		all = append(all, h.submit(&batch.SubmitJobInput{}))
	}
	h.drain()

	for _, size := range []int{1, 3, 7, 10} {
		var got []string
		pages := 0
		in := &batch.ListJobsInput{JobQueue: queueName, JobStatus: "RUNNABLE", MaxResults: ptr(size)}
		for {
			ids, next := h.listIDs(in)
			if len(ids) > size {
				t.Fatalf("maxResults %d: page of %d", size, len(ids))
			}
			got = append(got, ids...)
			pages++
			if next == nil {
				break
			}
			if pages > len(all) {
				t.Fatalf("maxResults %d: more than %d pages", size, len(all))
			}
			in.NextToken = *next
		}
		slices.Sort(got)
		if !slices.Equal(got, all) {
			t.Errorf("maxResults %d: walked %v, want each of %v once", size, got, all)
		}
		if want := (len(all) + size - 1) / size; pages != want {
			t.Errorf("maxResults %d: %d pages, want %d", size, pages, want)
		}
	}
}

func TestListJobsArrayChildren(t *testing.T) {
	h := newHarness(t)
	p := h.submit(&batch.SubmitJobInput{ArrayProperties: &batch.ArrayProperties{Size: ptr(3)}})
	h.drain()
	kids := children(p, 3)
	h.start(kids[1], "i-1")

	tests := []struct {
		name string
		in   batch.ListJobsInput
		want []string
	}{
		{"children by status", batch.ListJobsInput{ArrayJobID: p, JobStatus: "RUNNABLE"}, []string{kids[0], kids[2]}},
		{"children default to RUNNING", batch.ListJobsInput{ArrayJobID: p}, []string{kids[1]}},
		{"the queue lists the parent only", batch.ListJobsInput{JobQueue: queueName, JobStatus: "PENDING"}, []string{p}},
		{"the queue leaves children out", batch.ListJobsInput{JobQueue: queueName, JobStatus: "RUNNABLE"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := h.with(t)
			if got, _ := h.listIDs(&tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
		})
	}

	out, err := h.svc.ListJobs(h.ctx, &batch.ListJobsInput{JobQueue: queueName, JobStatus: "PENDING"})
	if err != nil {
		t.Fatalf("ListJobs: %v", err)
	}
	ap := out.JobSummaryList[0].ArrayProperties
	if ap == nil || ap.Size == nil || *ap.Size != 3 || ap.StatusSummary["RUNNABLE"] != 2 || ap.StatusSummary["RUNNING"] != 1 {
		t.Errorf("parent summary arrayProperties = %+v, want size 3 with 2 RUNNABLE and 1 RUNNING", ap)
	}
}

func TestDescribeJobs(t *testing.T) {
	h := newHarness(t)
	a := h.submit(&batch.SubmitJobInput{})
	b := h.submit(&batch.SubmitJobInput{})
	out, err := h.svc.DescribeJobs(h.ctx, &batch.DescribeJobsInput{Jobs: []string{b, "ghost", a, b}})
	if err != nil {
		t.Fatalf("DescribeJobs: %v", err)
	}
	var got []string
	for _, j := range out.Jobs {
		got = append(got, j.JobID)
		if j.Attempts == nil || j.DependsOn == nil {
			t.Errorf("job %s: attempts %v, dependsOn %v; want empty lists, not null", j.JobID, j.Attempts, j.DependsOn)
		}
	}
	if want := []string{b, a}; !slices.Equal(got, want) {
		t.Errorf("described %v, want %v (request order, unknown and repeated ids left out)", got, want)
	}
	_, err = h.svc.DescribeJobs(h.ctx, &batch.DescribeJobsInput{})
	wantClientError(t, err, "jobs")
}
