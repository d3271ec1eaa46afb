package local

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/internal/metrics/metricstest"
)

// scrape reads the metrics endpoint as Prometheus does.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("scraping %s: status %d", url, res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parsing the scrape of %s: %v", url, err)
	}
	return families
}

// TestMetricsMoveWithTheJobs runs jobs on a real one-machine Tanda and
// scrapes its /metrics endpoint before and after: the counts, gauges and
// histograms must have moved by what the jobs did.
func TestMetricsMoveWithTheJobs(t *testing.T) {
	t.Parallel()
	td := startTanda(t, func(c *Config) {
		c.MetricsListen = kit.MetricsOptions{Listen: "127.0.0.1:0"}
	})
	url, ok := td.MetricsURL()
	if !ok {
		t.Fatal("no metrics endpoint")
	}
	before := scrape(t, url)
	if n, _ := metricstest.Sample(before, "tanda_jobs", map[string]string{"queue": DefaultJobQueue, "status": "SUCCEEDED"}); n != 0 {
		t.Fatalf("tanda_jobs{SUCCEEDED} = %v before any job, want 0", n)
	}

	const ok3 = 3
	var ids []string
	for i := range ok3 {
		ids = append(ids, td.submit(t, &awsbatch.SubmitJobInput{
			JobName:            aws.String(fmt.Sprintf("ok-%d", i)),
			ContainerOverrides: command("sh", "-c", "sleep 0.6"),
		}))
	}
	failed := td.submit(t, &awsbatch.SubmitJobInput{JobName: aws.String("fails"), ContainerOverrides: command("sh", "-c", "exit 3")})
	for _, id := range append(ids, failed) {
		td.waitDone(t, id, 30*time.Second)
	}
	// A refused call: an unknown job queue.
	_, err := td.client.SubmitJob(context.Background(), &awsbatch.SubmitJobInput{
		JobName: aws.String("nowhere"), JobQueue: aws.String("no-such-queue"), JobDefinition: aws.String(ExampleJobDefinition),
	})
	if err == nil {
		t.Fatal("SubmitJob to a missing queue succeeded")
	}
	// The agents' gauges settle once the attempts have ended.
	var after map[string]*dto.MetricFamily
	waitFor(t, 10*time.Second, "no running attempt in the metrics", func() bool {
		after = scrape(t, url)
		n, _ := metricstest.Sample(after, "tanda_agent_running_attempts", map[string]string{"compute_environment": DefaultComputeEnvironment})
		return n == 0
	})

	q := DefaultJobQueue
	ce := DefaultComputeEnvironment
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"tanda_jobs", map[string]string{"queue": q, "status": "SUCCEEDED"}, ok3},
		{"tanda_jobs", map[string]string{"queue": q, "status": "FAILED"}, 1},
		{"tanda_jobs", map[string]string{"queue": q, "status": "RUNNABLE"}, 0},
		{"tanda_jobs_created_total", map[string]string{"queue": q, "kind": "job"}, ok3 + 1},
		{"tanda_job_transitions_total", map[string]string{"queue": q, "from": "RUNNING", "to": "SUCCEEDED"}, ok3},
		{"tanda_job_transitions_total", map[string]string{"queue": q, "from": "RUNNING", "to": "FAILED"}, 1},
		{"tanda_job_transitions_total", map[string]string{"queue": q, "from": "RUNNABLE", "to": "STARTING"}, ok3 + 1},
		{"tanda_job_submit_to_runnable_seconds", map[string]string{"queue": q}, ok3 + 1},
		{"tanda_job_runnable_to_running_seconds", map[string]string{"queue": q}, ok3 + 1},
		{"tanda_job_run_seconds", map[string]string{"queue": q}, ok3 + 1},
		{"tanda_api_requests_total", map[string]string{"operation": "SubmitJob", "code": "200"}, ok3 + 1},
		{"tanda_api_requests_total", map[string]string{"operation": "SubmitJob", "code": "400"}, 1},
		{"tanda_agent_running_attempts", map[string]string{"compute_environment": ce}, 0},
	} {
		got, found := metricstest.Sample(after, c.name, c.labels)
		if !found || got != c.want {
			t.Errorf("%s%v = %v (found %v), want %v", c.name, c.labels, got, found, c.want)
		}
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"tanda_api_request_duration_seconds", map[string]string{"operation": "SubmitJob"}},
		{"tanda_api_requests_total", map[string]string{"operation": "DescribeJobs", "code": "200"}},
		{"tanda_provisioner_passes_total", map[string]string{"result": "ok"}},
		{"tanda_provisioner_launched_instances_total", map[string]string{"compute_environment": ce, "lifecycle": "on-demand"}},
		{"tanda_provisioner_decisions_total", map[string]string{"compute_environment": ce, "action": "launch"}},
		{"tanda_agent_lease_renewals_total", map[string]string{"compute_environment": ce}},
		{"tanda_store_operation_duration_seconds", map[string]string{"operation": "UpdateJob"}},
		{"tanda_queue_operation_duration_seconds", map[string]string{"operation": "Receive"}},
		{"tanda_compute_environment_max_vcpus", map[string]string{"compute_environment": ce}},
	} {
		if got := metricstest.Sum(after, c.name, c.labels); got <= 0 {
			t.Errorf("%s%v = %v, want more than 0", c.name, c.labels, got)
		}
	}
	// The run-time histogram saw each attempt's run as DescribeJobs dates
	// it (startedAt to stoppedAt, in milliseconds). How much of each 0.6 s
	// sleep falls after startedAt depends on how soon the RUNNING report
	// lands, so the sum is compared with the jobs' own dates, not a floor.
	var want float64
	for _, id := range append(ids, failed) {
		d := td.describe(t, id)
		want += float64(aws.ToInt64(d.StoppedAt)-aws.ToInt64(d.StartedAt)) / 1000
	}
	if want <= 0 {
		t.Errorf("DescribeJobs dates the four runs at %.3f s in all, want more than 0", want)
	}
	if h := metricstest.Histogram(after, "tanda_job_run_seconds", map[string]string{"queue": q}); h == nil || math.Abs(h.GetSampleSum()-want) > 0.005*4 {
		t.Errorf("tanda_job_run_seconds sum = %v, want %.3f s (the runs' startedAt to stoppedAt)", h.GetSampleSum(), want)
	}
	// Nothing is labelled with a job id.
	for name, f := range after {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				for _, id := range append(ids, failed) {
					if l.GetValue() == id {
						t.Errorf("%s has a job id as label %s", name, l.GetName())
					}
				}
			}
		}
	}
}
