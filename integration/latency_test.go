//go:build unix

package integration

import (
	"context"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/integration/instances"
)

const (
	// warmvCpus is both bounds of the warm compute environment: two
	// m6i.large that stay up, whatever the demand.
	warmvCpus = 4
	// warmInstances is how many instances warmvCpus keeps.
	warmInstances = warmvCpus / 2
	// warmupJobs run before the measured ones, so that every agent has
	// found the job queue and the first jobs' one-off costs are not
	// counted.
	warmupJobs = 4
	// warmTimeout bounds the wait for the warm instances' agents.
	warmTimeout = 2 * time.Minute
	// latencyPoll is how often a measured job is described; the figures
	// come from the job's own timestamps, so it paces the loop only.
	latencyPoll = 50 * time.Millisecond
)

// jobTimes are one job's timestamps as DescribeJobs shows them (epoch
// ms): createdAt is taken when SubmitJob is handled, startedAt when the
// agent marks the job RUNNING, stoppedAt when it reports the end.
type jobTimes struct {
	created, started, stopped int64
}

// BenchmarkSubmitToRunningOnMoto measures how long a job takes from
// SubmitJob to RUNNING (and to SUCCEEDED) on warm capacity: a stack on
// moto served in process, a compute environment that keeps two m6i.large
// up, a real `tanda agent` process for each (the instance harness), and
// one job at a time, each submitted once the last has ended, so that
// capacity is always free. Each iteration is one job; the percentiles are
// reported as metrics (ns/op is the loop's pace, polls included, not a
// latency). Run it with a fixed count, since the default -benchtime of 1s
// makes only about ten jobs:
//
//	scripts/moto.sh go test -run '^$' -bench SubmitToRunningOnMoto -benchtime 200x ./integration/
func BenchmarkSubmitToRunningOnMoto(b *testing.B) {
	p := startInProcess(b)
	bin := tandaBinary(b)
	h := instances.Run(b, instances.Options{
		EC2: p.ec2, Stack: p.stack.Stack, Region: mototest.Region, Credentials: mototest.Credentials(), Session: agentSessions(p.moto, p.stack.Stack),
		Command: []string{bin, "agent", "--work-root", filepath.Join(instances.InstanceDir, "work")},
	})
	queue := p.createQueue(b, "warm", warmvCpus, warmvCpus)
	p.registerDefinition(b, "noop", "true")
	within(b, warmTimeout, fmt.Sprintf("%d agents have registered their instances", warmInstances), func() (bool, string) {
		recs, err := p.srv.Control().Instances(context.Background(), "warm")
		if err != nil {
			return false, err.Error()
		}
		return len(recs) == warmInstances && len(h.Agents()) == warmInstances,
			fmt.Sprintf("%d registered, agents %v", len(recs), h.Agents())
	})
	for range warmupJobs {
		p.runJob(b, queue, "noop")
	}

	var samples []jobTimes
	reqs0, sts0, ec20 := p.srv.Backend().AgentAPICounts()
	start := time.Now()
	for b.Loop() {
		samples = append(samples, p.runJob(b, queue, "noop"))
	}
	elapsed := time.Since(start)
	reqs1, sts1, ec21 := p.srv.Backend().AgentAPICounts()
	reportLatencies(b, samples)
	reportAgentAPI(b, len(samples), elapsed, reqs0, reqs1, sts1-sts0, ec21-ec20)
}

// reportAgentAPI reports what the agents asked of the agent API while the
// jobs ran (each request is a Lambda invocation on AWS): requests per job,
// and the identities sent to STS and instances looked up in EC2, per job
// and per instance-minute. Between before and after, the jobs ran one at
// a time on warmInstances instances.
func reportAgentAPI(b *testing.B, jobs int, elapsed time.Duration, before, after map[string]int64, stsCalls, ec2Calls int64) {
	if jobs == 0 {
		return
	}
	var total int64
	var parts []string
	for _, op := range slices.Sorted(maps.Keys(after)) {
		n := after[op] - before[op]
		total += n
		parts = append(parts, fmt.Sprintf("%s %.2f", op, float64(n)/float64(jobs)))
	}
	instanceMinutes := elapsed.Minutes() * warmInstances
	b.ReportMetric(float64(total)/float64(jobs), "agentapi-requests/job")
	b.ReportMetric(float64(stsCalls)/instanceMinutes, "sts-calls/instance-min")
	b.Logf("agent API over %d jobs in %v on %d instances: %.2f requests a job (%s); %d STS calls (%.2f an instance-minute), %d EC2 lookups",
		jobs, elapsed.Round(time.Millisecond), warmInstances, float64(total)/float64(jobs), strings.Join(parts, ", "),
		stsCalls, float64(stsCalls)/instanceMinutes, ec2Calls)
}

// runJob submits one job, waits until it has ended, and returns its
// timestamps; it fails the benchmark unless the job SUCCEEDED.
func (p *inProcess) runJob(b *testing.B, queue, definition string) jobTimes {
	b.Helper()
	ctx := context.Background()
	id, err := p.submit(ctx, "latency", queue, definition)
	if err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(jobTimeout)
	for {
		out, err := p.batch.DescribeJobs(ctx, &awsbatch.DescribeJobsInput{Jobs: []string{id}})
		if err != nil || len(out.Jobs) != 1 {
			b.Fatalf("DescribeJobs %s: %d jobs, %v", id, len(out.Jobs), err)
		}
		job := out.Jobs[0]
		switch job.Status {
		case batchtypes.JobStatusSucceeded:
			return jobTimes{created: aws.ToInt64(job.CreatedAt), started: aws.ToInt64(job.StartedAt), stopped: aws.ToInt64(job.StoppedAt)}
		case batchtypes.JobStatusFailed:
			b.Fatalf("job %s FAILED: %s", id, aws.ToString(job.StatusReason))
		}
		if time.Now().After(deadline) {
			b.Fatalf("job %s is %s after %v", id, job.Status, jobTimeout)
		}
		time.Sleep(latencyPoll)
	}
}

// latencyStages are the spans reported, each as p50 and p99 in ms.
var latencyStages = []struct {
	name     string // the metric's prefix
	from, to func(jobTimes) int64
}{
	{"submit-running", func(j jobTimes) int64 { return j.created }, func(j jobTimes) int64 { return j.started }},
	{"running-succeeded", func(j jobTimes) int64 { return j.started }, func(j jobTimes) int64 { return j.stopped }},
	{"submit-succeeded", func(j jobTimes) int64 { return j.created }, func(j jobTimes) int64 { return j.stopped }},
}

// reportLatencies reports each stage's p50 and p99 as metrics and logs
// them with the minimum and maximum.
func reportLatencies(b *testing.B, samples []jobTimes) {
	if len(samples) == 0 {
		return
	}
	for _, s := range latencyStages {
		ms := make([]float64, len(samples))
		for i, j := range samples {
			ms[i] = float64(s.to(j) - s.from(j))
		}
		p50, p99 := percentile(ms, 50), percentile(ms, 99)
		b.ReportMetric(p50, s.name+"-p50-ms")
		b.ReportMetric(p99, s.name+"-p99-ms")
		b.Logf("%-17s over %d jobs: p50 %4.0f ms, p99 %4.0f ms, min %4.0f ms, max %4.0f ms",
			s.name, len(ms), p50, p99, slices.Min(ms), slices.Max(ms))
	}
}

// percentile is the nearest-rank p-th percentile of values (0 < p <=
// 100): the smallest value at least p% of them do not exceed. It is NaN
// for no values.
func percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	sorted := slices.Sorted(slices.Values(values))
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

func TestPercentile(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(100 - i) // 100 down to 1
	}
	for _, c := range []struct {
		name   string
		values []float64
		p      float64
		want   float64
	}{
		{"one value", []float64{7}, 50, 7},
		{"median of odd count", []float64{3, 1, 2}, 50, 2},
		{"median of even count is the lower", []float64{4, 1, 3, 2}, 50, 2},
		{"p99 of 100", hundred, 99, 99},
		{"p100 is the maximum", hundred, 100, 100},
		{"p99 of 50 is the maximum", hundred[50:], 99, 50},
		{"tiny p is the minimum", []float64{5, 9}, 0.1, 5},
	} {
		if got := percentile(c.values, c.p); got != c.want {
			t.Errorf("%s: percentile(%v, %v) = %v, want %v", c.name, c.values, c.p, got, c.want)
		}
	}
	if got := percentile(nil, 50); !math.IsNaN(got) {
		t.Errorf("percentile(nil, 50) = %v, want NaN", got)
	}
}
