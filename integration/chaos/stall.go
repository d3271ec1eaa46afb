package chaos

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
)

// Diagnoser is a Backend that can say what its own parts hold (queues,
// agents) when jobs do not settle: what the Batch API cannot show.
type Diagnoser interface {
	Diagnose(ctx context.Context) []string
}

// stallShown is the most open jobs, and open children of each array, a
// stall report describes.
const stallShown = 12

// stallReport logs what a post-mortem of a run that did not settle needs,
// since CI keeps only the test's output: each job still open as
// DescribeJobs shows it (an array's open children too), the compute
// environments as the provisioner left them, the instances alive, and
// what the backend itself can tell.
func stallReport(ctx context.Context, c *awsbatch.Client, b Backend, led *Ledger, logf func(string, ...any)) {
	now := time.Now()
	var ids []string
	for _, a := range led.Acks() {
		ids = append(ids, a.JobID)
	}
	jobs, err := describe(ctx, c, ids)
	if err != nil {
		logf("chaos: stall: %v", err)
		return
	}
	var open []types.JobDetail
	for _, id := range ids {
		if j, ok := jobs[id]; ok && !terminal(j.Status) {
			open = append(open, j)
		}
	}
	logf("chaos: stall: %d acknowledged jobs open", len(open))
	for i, j := range open {
		if i == stallShown {
			logf("chaos: stall: ... and %d more", len(open)-i)
			break
		}
		logf("chaos: stall: %s", jobLine(j, now))
		if j.ArrayProperties == nil || j.ArrayProperties.Size == nil {
			continue
		}
		logf("chaos: stall:   children %v", j.ArrayProperties.StatusSummary)
		children, err := openChildren(ctx, c, aws.ToString(j.JobId))
		if err != nil {
			logf("chaos: stall:   %v", err)
			continue
		}
		for k, ch := range children {
			if k == stallShown {
				logf("chaos: stall:   ... and %d more children", len(children)-k)
				break
			}
			logf("chaos: stall:   %s", jobLine(ch, now))
		}
	}
	ces, err := c.DescribeComputeEnvironments(ctx, &awsbatch.DescribeComputeEnvironmentsInput{})
	if err != nil {
		logf("chaos: stall: %v", err)
	} else {
		for _, ce := range ces.ComputeEnvironments {
			r := ce.ComputeResources
			if r == nil {
				r = &types.ComputeResource{}
			}
			logf("chaos: stall: compute environment %s %s %s: min %d desired %d max %d vCPUs; %s",
				aws.ToString(ce.ComputeEnvironmentName), ce.State, ce.Status,
				aws.ToInt32(r.MinvCpus), aws.ToInt32(r.DesiredvCpus), aws.ToInt32(r.MaxvCpus), aws.ToString(ce.StatusReason))
		}
	}
	if insts, err := b.Instances(ctx); err != nil {
		logf("chaos: stall: %v", err)
	} else {
		logf("chaos: stall: instances alive: %v", insts)
	}
	if d, ok := b.(Diagnoser); ok {
		for _, line := range d.Diagnose(ctx) {
			logf("chaos: stall: %s", line)
		}
	}
}

// openChildren describes an array's children that have not ended.
func openChildren(ctx context.Context, c *awsbatch.Client, parent string) ([]types.JobDetail, error) {
	var ids []string
	for _, st := range []types.JobStatus{types.JobStatusSubmitted, types.JobStatusPending, types.JobStatusRunnable, types.JobStatusStarting, types.JobStatusRunning} {
		pages := awsbatch.NewListJobsPaginator(c, &awsbatch.ListJobsInput{ArrayJobId: aws.String(parent), JobStatus: st})
		for pages.HasMorePages() {
			out, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("listing %s children of %s: %w", st, parent, err)
			}
			for _, s := range out.JobSummaryList {
				ids = append(ids, aws.ToString(s.JobId))
			}
		}
	}
	jobs, err := describe(ctx, c, ids)
	if err != nil {
		return nil, err
	}
	out := make([]types.JobDetail, 0, len(jobs))
	for _, id := range ids {
		if j, ok := jobs[id]; ok {
			out = append(out, j)
		}
	}
	return out, nil
}

// jobLine is one job in a stall report: status and reason, how long ago it
// was created and started, and its attempts.
func jobLine(j types.JobDetail, now time.Time) string {
	ago := func(ms *int64) string {
		if ms == nil || *ms == 0 {
			return "-"
		}
		return now.Sub(time.UnixMilli(*ms)).Round(100*time.Millisecond).String() + " ago"
	}
	var attempts []string
	for _, a := range j.Attempts {
		inst := ""
		if a.Container != nil {
			inst = aws.ToString(a.Container.ContainerInstanceArn)
		}
		attempts = append(attempts, fmt.Sprintf("[%s %s, stopped %s: %s]", inst, ago(a.StartedAt), ago(a.StoppedAt), aws.ToString(a.StatusReason)))
	}
	return fmt.Sprintf("%s %s %q created %s, started %s, attempts %s",
		aws.ToString(j.JobId), j.Status, aws.ToString(j.StatusReason), ago(j.CreatedAt), ago(j.StartedAt),
		strings.Join(attempts, " "))
}
