package metrics_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/internal/metrics"
	"github.com/tanda-batch/tanda/internal/metrics/metricstest"
	"github.com/tanda-batch/tanda/provisioner"
)

// emfDocs decodes the EMF lines a flush wrote, by metric name.
func emfDocs(t *testing.T, out string) map[string][]map[string]any {
	t.Helper()
	docs := map[string][]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var d map[string]any
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("EMF line is not JSON: %q", line)
		}
		aws := d["_aws"].(map[string]any)
		cw := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
		if cw["Namespace"] != "Tanda" {
			t.Errorf("namespace = %v", cw["Namespace"])
		}
		name := cw["Metrics"].([]any)[0].(map[string]any)["Name"].(string)
		if _, ok := d[name]; !ok {
			t.Errorf("EMF document of %s has no value member", name)
		}
		for _, dim := range cw["Dimensions"].([]any)[0].([]any) {
			if _, ok := d[dim.(string)]; !ok {
				t.Errorf("EMF document of %s lacks its dimension %s", name, dim)
			}
		}
		docs[name] = append(docs[name], d)
	}
	return docs
}

func TestEMFWritesWhatChangedSinceTheLastFlush(t *testing.T) {
	reg := metrics.New(metrics.Options{NoProcess: true})
	var out bytes.Buffer
	emf := metrics.NewEMF(reg, func(string) string { return "prod" }, &out)
	api := reg.API()
	api.Request("SubmitJob", 200, 3*time.Millisecond)
	api.Request("SubmitJob", 200, 40*time.Millisecond)
	if err := emf.Flush(); err != nil {
		t.Fatal(err)
	}
	docs := emfDocs(t, out.String())
	reqs := docs["tanda_api_requests_total"]
	if len(reqs) != 1 || reqs[0]["tanda_api_requests_total"] != 2.0 || reqs[0]["operation"] != "SubmitJob" || reqs[0]["code"] != "200" || reqs[0]["Stack"] != "prod" {
		t.Fatalf("requests = %v, want one document of 2 SubmitJob 200 in stack prod", reqs)
	}
	lat := docs["tanda_api_request_duration_seconds"]
	if len(lat) != 1 {
		t.Fatalf("latency documents = %v", lat)
	}
	vals := lat[0]["tanda_api_request_duration_seconds"].([]any)
	if len(vals) != 2 || vals[0].(float64) < 0.003 || vals[1].(float64) < 0.04 || vals[1].(float64) > 0.08 {
		t.Errorf("latency values = %v, want the two observations at their buckets' upper bounds", vals)
	}

	// A second flush writes only what changed: one more request.
	out.Reset()
	api.Request("SubmitJob", 200, time.Millisecond)
	if err := emf.Flush(); err != nil {
		t.Fatal(err)
	}
	docs = emfDocs(t, out.String())
	if reqs := docs["tanda_api_requests_total"]; len(reqs) != 1 || reqs[0]["tanda_api_requests_total"] != 1.0 {
		t.Errorf("second flush: requests = %v, want a rise of 1", reqs)
	}
	if lat := docs["tanda_api_request_duration_seconds"]; len(lat) != 1 || len(lat[0]["tanda_api_request_duration_seconds"].([]any)) != 1 {
		t.Errorf("second flush: latency = %v, want one value", lat)
	}
	out.Reset()
	if err := emf.Flush(); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 0 {
		t.Errorf("a flush with nothing new wrote %q", out.String())
	}
}

func TestEMFCapsHistogramValues(t *testing.T) {
	reg := metrics.New(metrics.Options{NoProcess: true})
	var out bytes.Buffer
	emf := metrics.NewEMF(reg, func(string) string { return "s" }, &out)
	for i := range 1000 {
		reg.API().Request("ListJobs", 200, time.Duration(i)*time.Microsecond)
	}
	if err := emf.Flush(); err != nil {
		t.Fatal(err)
	}
	lat := emfDocs(t, out.String())["tanda_api_request_duration_seconds"]
	if n := len(lat[0]["tanda_api_request_duration_seconds"].([]any)); n == 0 || n > 100 {
		t.Errorf("%d values, want 1 to 100", n)
	}
}

func TestProvisionerGaugesFollowThePasses(t *testing.T) {
	reg := metrics.New(metrics.Options{NoProcess: true})
	p := reg.Provisioner()
	insts := []provisioner.Instance{
		{ID: "i-1", Type: "c6i.large", VCPUs: 2, State: provisioner.InstanceRunning},
		{ID: "i-2", Type: "c6i.large", VCPUs: 2, Spot: true, State: provisioner.InstanceRunning},
		{ID: "i-3", Type: "c6i.xlarge", VCPUs: 4, State: provisioner.InstanceTerminating},
	}
	p.Pass(provisioner.PassReport{
		ComputeEnvironment: "ce", MinvCpus: 0, MaxvCpus: 16, DesiredvCpus: 4, DemandJobs: 3, DemandvCpus: 3,
		Launched: insts[1:2], Retired: 1, LaunchErrors: []string{"InsufficientInstanceCapacity"},
		Instances: insts, Loads: map[string]provisioner.Load{"i-1": {UsedVCPUs: 1.5}, "i-3": {UsedVCPUs: 4}},
	})
	p.Reconciled([]string{"ce"}, 10*time.Millisecond, nil)
	g := reg.Gatherer()
	families := metricstest.Gather(t, g)
	for _, c := range []struct {
		name string
		want float64
	}{
		{"tanda_compute_environment_provisioned_vcpus", 4}, // the terminating one left out
		{"tanda_compute_environment_used_vcpus", 1.5},
		{"tanda_compute_environment_desired_vcpus", 4},
		{"tanda_compute_environment_runnable_vcpus", 3},
		{"tanda_instances", 3},
		{"tanda_provisioner_launch_errors_total", 1},
		{"tanda_provisioner_retired_instances_total", 1},
		{"tanda_provisioner_decisions_total", 2}, // launch and retire
	} {
		if got := metricstest.Sum(families, c.name, nil); got != c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
	if n, err := testutil.GatherAndCount(g, "tanda_instances"); err != nil || n != 3 {
		t.Errorf("tanda_instances has %d series (%v), want 3: (c6i.large on-demand), (c6i.large spot), (c6i.xlarge terminating)", n, err)
	}
	// The compute environment is deleted: its gauges go.
	p.Reconciled(nil, time.Millisecond, errors.New("boom"))
	for _, name := range []string{"tanda_instances", "tanda_compute_environment_provisioned_vcpus", "tanda_compute_environment_max_vcpus"} {
		if n, _ := testutil.GatherAndCount(g, name); n != 0 {
			t.Errorf("%s keeps %d series of a compute environment that is gone", name, n)
		}
	}
	if got := metricstest.Sum(metricstest.Gather(t, g), "tanda_provisioner_passes_total", nil); got != 2 {
		t.Errorf("passes = %v, want 2", got)
	}
}

func TestStoreCountsFailuresByKind(t *testing.T) {
	reg := metrics.New(metrics.Options{NoProcess: true})
	s := reg.Store(failingStore{})
	ctx := context.Background()
	_, _ = s.GetJob(ctx, "a")                 // not found
	_, _ = s.UpdateJob(ctx, batch.Job{}, nil) // conflict
	_ = s.CreateJobs(ctx, nil, nil)           // other
	for op, kind := range map[string]string{"GetJob": "not_found", "UpdateJob": "conflict", "CreateJobs": "other"} {
		if got, _ := metricstest.Sample(metricstest.Gather(t, reg.Gatherer()), "tanda_store_operation_errors_total", map[string]string{"operation": op, "kind": kind}); got != 1 {
			t.Errorf("%s %s errors = %v, want 1", op, kind, got)
		}
	}
}

// failingStore fails the three operations the test calls; any other
// panics (the embedded nil interface).
type failingStore struct{ control.Store }

func (failingStore) GetJob(context.Context, string) (batch.Job, error) {
	return batch.Job{}, fmt.Errorf("reading: %w", batch.ErrNotFound)
}

func (failingStore) UpdateJob(context.Context, batch.Job, []batch.Message) (batch.Job, error) {
	return batch.Job{}, batch.ErrConflict
}

func (failingStore) CreateJobs(context.Context, []batch.Job, []batch.Message) error {
	return errors.New("disk full")
}

func TestControlMetrics(t *testing.T) {
	reg := metrics.New(metrics.Options{NoProcess: true})
	c := reg.Control()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) int64 { return base.Add(d).UnixMilli() }
	j := batch.Job{JobID: "j", Status: batch.Submitted, CreatedAt: at(0)}
	j.Internal.QueueName = "q"
	c.JobsCreated([]batch.Job{j})
	j.Status, j.Internal.RunnableAt = batch.Runnable, at(2*time.Second)
	c.JobChanged(batch.Submitted, j)
	j.Status, j.Internal.Attempt = batch.Starting, 1
	c.JobChanged(batch.Runnable, j)
	j.Status = batch.Running
	j.Attempts = []batch.AttemptDetail{{StartedAt: at(5 * time.Second)}}
	c.JobChanged(batch.Starting, j)
	j.Status = batch.Succeeded
	j.Attempts[0].StoppedAt = at(65 * time.Second)
	c.JobChanged(batch.Running, j)

	families := metricstest.Gather(t, reg.Gatherer())
	if got, _ := metricstest.Sample(families, "tanda_jobs_created_total", map[string]string{"queue": "q", "kind": "job"}); got != 1 {
		t.Errorf("created = %v", got)
	}
	if got, _ := metricstest.Sample(families, "tanda_job_transitions_total", map[string]string{"queue": "q", "from": "RUNNING", "to": "SUCCEEDED"}); got != 1 {
		t.Errorf("RUNNING→SUCCEEDED = %v", got)
	}
	for name, want := range map[string]float64{
		"tanda_job_submit_to_runnable_seconds":  2,
		"tanda_job_runnable_to_running_seconds": 3,
		"tanda_job_run_seconds":                 60,
	} {
		h := metricstest.Histogram(families, name, nil)
		if h == nil || h.GetSampleCount() != 1 || h.GetSampleSum() != want {
			t.Errorf("%s = %v, want one observation of %v s", name, h, want)
		}
	}
}
