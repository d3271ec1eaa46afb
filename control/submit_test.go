package control_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

func TestSubmitJobWithNothingToWaitForIsRunnableAtOnce(t *testing.T) {
	h := newHarness(t)
	out, err := h.svc.SubmitJob(h.ctx, &batch.SubmitJobInput{JobName: "hello", JobQueue: queueName, JobDefinition: defName})
	if err != nil {
		t.Fatalf("SubmitJob: %v", err)
	}
	if want := testPartition.JobARN(out.JobID); out.JobArn != want {
		t.Errorf("jobArn = %q, want %q", out.JobArn, want)
	}
	if out.JobName != "hello" {
		t.Errorf("jobName = %q, want hello", out.JobName)
	}

	// No dependencies and no array: nothing for the scheduler to decide.
	j := h.wantStatus(out.JobID, batch.Runnable)
	if want := testPartition.JobQueueARN(queueName); j.JobQueue != want {
		t.Errorf("jobQueue = %q, want %q", j.JobQueue, want)
	}
	if want := testPartition.JobDefinitionARN(defName, 1); j.JobDefinition != want {
		t.Errorf("jobDefinition = %q, want %q", j.JobDefinition, want)
	}
	if want := batch.Millis(h.clk.Now()); j.CreatedAt != want {
		t.Errorf("createdAt = %d, want %d", j.CreatedAt, want)
	}
	if got, want := h.ready(), []string{out.JobID}; !slices.Equal(got, want) {
		t.Errorf("ready doorbells = %v, want %v", got, want)
	}
}

func TestSubmitJobThatWaitsIsSubmittedUntilTheSchedulerRuns(t *testing.T) {
	h := newHarness(t)
	first := h.submit(&batch.SubmitJobInput{})
	h.ready()
	out, err := h.svc.SubmitJob(h.ctx, &batch.SubmitJobInput{JobName: "after", JobQueue: queueName, JobDefinition: defName,
		DependsOn: []batch.JobDependency{{JobID: first}}})
	if err != nil {
		t.Fatalf("SubmitJob: %v", err)
	}
	h.wantStatus(out.JobID, batch.Submitted)
	h.drain()
	h.wantStatus(out.JobID, batch.Pending)
}

func TestSubmitJobMergesContainer(t *testing.T) {
	tests := []struct {
		name        string
		overrides   *batch.ContainerOverrides
		params      map[string]string
		wantCommand []string
		wantEnv     []batch.KeyValuePair
		wantParams  map[string]string
		wantVCPUs   float64
	}{
		{
			name:        "definition as is",
			wantCommand: []string{"echo", "hello", "--out=s3://b/world.csv"},
			wantEnv:     []batch.KeyValuePair{{Name: "A", Value: "def-a"}, {Name: "B", Value: "def-b"}},
			wantParams:  map[string]string{"msg": "hello", "key": "world"},
			wantVCPUs:   1,
		},
		{
			name:        "submitted parameters beat defaults",
			params:      map[string]string{"msg": "bye", "extra": "x"},
			wantCommand: []string{"echo", "bye", "--out=s3://b/world.csv"},
			wantEnv:     []batch.KeyValuePair{{Name: "A", Value: "def-a"}, {Name: "B", Value: "def-b"}},
			wantParams:  map[string]string{"msg": "bye", "key": "world", "extra": "x"},
			wantVCPUs:   1,
		},
		{
			name: "overrides replace the command and merge the environment by name",
			overrides: &batch.ContainerOverrides{
				Command:              []string{"run", "Ref::msg", "Ref::missing"},
				Environment:          []batch.KeyValuePair{{Name: "B", Value: "over-b"}, {Name: "C", Value: "over-c"}},
				ResourceRequirements: []batch.ResourceRequirement{{Type: batch.ResourceVCPU, Value: "2"}},
			},
			params:      map[string]string{"msg": "sub"},
			wantCommand: []string{"run", "sub", "Ref::missing"},
			wantEnv:     []batch.KeyValuePair{{Name: "A", Value: "def-a"}, {Name: "B", Value: "over-b"}, {Name: "C", Value: "over-c"}},
			wantParams:  map[string]string{"msg": "sub", "key": "world"},
			wantVCPUs:   2,
		},
	}
	h := newHarness(t)
	h.registerDef("merged", func(in *batch.RegisterJobDefinitionInput) {
		in.Parameters = map[string]string{"msg": "hello", "key": "world"}
		in.ContainerProperties.Command = []string{"echo", "Ref::msg", "--out=s3://b/Ref::key.csv"}
		in.ContainerProperties.Environment = []batch.KeyValuePair{{Name: "A", Value: "def-a"}, {Name: "B", Value: "def-b"}}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := h.with(t)
			id := h.submit(&batch.SubmitJobInput{JobDefinition: "merged", ContainerOverrides: tt.overrides, Parameters: tt.params})
			j := h.job(id)
			if j.Container == nil {
				t.Fatal("container = nil")
			}
			if !slices.Equal(j.Container.Command, tt.wantCommand) {
				t.Errorf("command = %q, want %q", j.Container.Command, tt.wantCommand)
			}
			if !slices.Equal(j.Container.Environment, tt.wantEnv) {
				t.Errorf("environment = %v, want %v", j.Container.Environment, tt.wantEnv)
			}
			if !reflect.DeepEqual(j.Parameters, tt.wantParams) {
				t.Errorf("parameters = %v, want %v", j.Parameters, tt.wantParams)
			}
			if j.Container.Image != "busybox" {
				t.Errorf("image = %q, want busybox", j.Container.Image)
			}
			if j.Internal.VCPUs != tt.wantVCPUs || j.Internal.MemoryMiB != 128 {
				t.Errorf("resources = %g vCPU, %d MiB; want %g vCPU, 128 MiB", j.Internal.VCPUs, j.Internal.MemoryMiB, tt.wantVCPUs)
			}
		})
	}
}

func TestSubmitJobRejectsBadReferencesAndWritesNothing(t *testing.T) {
	tests := []struct {
		name    string
		in      batch.SubmitJobInput
		wantMsg string
	}{
		{"unknown queue", batch.SubmitJobInput{JobQueue: "nope", JobDefinition: defName}, "JobQueue nope not found"},
		{"unknown definition", batch.SubmitJobInput{JobQueue: queueName, JobDefinition: "nope"}, "nope"},
		{"unknown definition revision", batch.SubmitJobInput{JobQueue: queueName, JobDefinition: defName + ":7"}, "not found"},
		{"disabled queue", batch.SubmitJobInput{JobQueue: "off", JobDefinition: defName}, "DISABLED"},
		{"inactive revision", batch.SubmitJobInput{JobQueue: queueName, JobDefinition: "gone:1"}, "INACTIVE"},
		{"share identifier on a FIFO queue", batch.SubmitJobInput{JobQueue: queueName, JobDefinition: defName, ShareIdentifier: "A"}, "shareIdentifier"},
		{"unknown dependency", batch.SubmitJobInput{JobQueue: queueName, JobDefinition: defName, DependsOn: []batch.JobDependency{{JobID: "ghost"}}}, "job ghost not found"},
		{"too big for EC2 rules", batch.SubmitJobInput{JobQueue: queueName, JobDefinition: defName, ContainerOverrides: &batch.ContainerOverrides{
			ResourceRequirements: []batch.ResourceRequirement{{Type: batch.ResourceVCPU, Value: "0.5"}},
		}}, "whole number"},
	}
	h := newHarness(t)
	h.createQueue(&batch.CreateJobQueueInput{JobQueueName: "off", State: batch.StateDisabled})
	h.registerDef("gone", nil)
	if err := h.svc.DeregisterJobDefinition(h.ctx, &batch.DeregisterJobDefinitionInput{JobDefinition: "gone:1"}); err != nil {
		t.Fatalf("DeregisterJobDefinition: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := h.with(t)
			in := tt.in
			in.JobName = "bad"
			_, err := h.svc.SubmitJob(h.ctx, &in)
			wantClientError(t, err, tt.wantMsg)
			if n := h.countJobs(); n != 0 {
				t.Errorf("jobs written = %d, want 0", n)
			}
			if got := h.takeAll(control.SubmissionsQueue); len(got) != 0 {
				t.Errorf("doorbells rung = %v, want none", got)
			}
		})
	}
}

func TestSubmitJobDeduplicatesSDKRetries(t *testing.T) {
	h := newHarness(t)
	ctx := batch.WithRequestInfo(h.ctx, batch.RequestInfo{AccessKeyID: "AKID1", InvocationID: "inv-1"})
	in := func(name string) *batch.SubmitJobInput {
		return &batch.SubmitJobInput{JobName: name, JobQueue: queueName, JobDefinition: defName}
	}

	first, err := h.svc.SubmitJob(ctx, in("a"))
	if err != nil {
		t.Fatalf("first SubmitJob: %v", err)
	}
	again, err := h.svc.SubmitJob(ctx, in("a"))
	if err != nil {
		t.Fatalf("retried SubmitJob: %v", err)
	}
	if *again != *first {
		t.Errorf("retried SubmitJob = %+v, want the first answer %+v", *again, *first)
	}
	if n := h.countJobs(); n != 1 {
		t.Errorf("jobs after a retried call = %d, want 1", n)
	}
	if got := h.job(first.JobID).Internal.InvocationID; got != "inv-1" {
		t.Errorf("job's invocation id = %q, want inv-1", got)
	}

	_, err = h.svc.SubmitJob(ctx, in("b"))
	wantClientError(t, err, "inv-1")
	if n := h.countJobs(); n != 1 {
		t.Errorf("jobs after reusing an invocation id for another body = %d, want 1", n)
	}

	other := batch.WithRequestInfo(h.ctx, batch.RequestInfo{AccessKeyID: "AKID2", InvocationID: "inv-1"})
	third, err := h.svc.SubmitJob(other, in("a"))
	if err != nil {
		t.Fatalf("SubmitJob by another key: %v", err)
	}
	if third.JobID == first.JobID {
		t.Errorf("another access key's call got job %s, want a new job", third.JobID)
	}

	// The job itself is the record: a retry long after the call still
	// finds it, for as long as the job is kept.
	h.clk.Advance(6 * time.Hour)
	later, err := h.svc.SubmitJob(ctx, in("a"))
	if err != nil {
		t.Fatalf("SubmitJob six hours later: %v", err)
	}
	if later.JobID != first.JobID {
		t.Errorf("SubmitJob six hours later made job %s, want the first, %s", later.JobID, first.JobID)
	}
}

func TestSubmitJobCarriesSettingsFromDefinitionAndRequest(t *testing.T) {
	h := newHarness(t)
	h.registerDef("settings", func(in *batch.RegisterJobDefinitionInput) {
		in.RetryStrategy = &batch.RetryStrategy{Attempts: ptr(2)}
		in.Timeout = &batch.JobTimeout{AttemptDurationSeconds: ptr(int64(120))}
		in.SchedulingPriority = ptr(5)
	})
	tests := []struct {
		name         string
		in           batch.SubmitJobInput
		wantAttempts int
		wantTimeout  int64
		wantPriority int
	}{
		{"from the definition", batch.SubmitJobInput{}, 2, 120, 5},
		{"request overrides", batch.SubmitJobInput{
			RetryStrategy:              &batch.RetryStrategy{Attempts: ptr(4)},
			Timeout:                    &batch.JobTimeout{AttemptDurationSeconds: ptr(int64(300))},
			SchedulingPriorityOverride: ptr(9),
		}, 4, 300, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := h.with(t)
			in := tt.in
			in.JobDefinition = "settings"
			j := h.job(h.submit(&in))
			if got := batch.RetryAttempts(j.RetryStrategy); got != tt.wantAttempts {
				t.Errorf("retry attempts = %d, want %d", got, tt.wantAttempts)
			}
			if j.Timeout == nil || j.Timeout.AttemptDurationSeconds == nil || *j.Timeout.AttemptDurationSeconds != tt.wantTimeout {
				t.Errorf("timeout = %+v, want %d s", j.Timeout, tt.wantTimeout)
			}
			if j.SchedulingPriority == nil || *j.SchedulingPriority != tt.wantPriority {
				t.Errorf("schedulingPriority = %v, want %d", j.SchedulingPriority, tt.wantPriority)
			}
		})
	}
}

func TestSubmitJobRetryAfterFailedWrite(t *testing.T) {
	h := newHarness(t)
	ctx := batch.WithRequestInfo(h.ctx, batch.RequestInfo{AccessKeyID: "AKID1", InvocationID: "inv-1"})
	in := &batch.SubmitJobInput{JobName: "a", JobQueue: queueName, JobDefinition: defName}

	// The first call fails to write: no job is there.
	h.store.beforeCreate = func([]batch.Job) error { return errors.New("disk on fire") }
	if _, err := h.svc.SubmitJob(ctx, in); err == nil || batch.IsClientError(err) {
		t.Fatalf("SubmitJob with a failing store err = %v, want a server error", err)
	}
	h.store.beforeCreate = nil
	if n := h.countJobs(); n != 0 {
		t.Fatalf("jobs after a failed write = %d, want 0", n)
	}

	// The SDK's retry writes the job once; a further retry finds it.
	out, err := h.svc.SubmitJob(ctx, in)
	if err != nil {
		t.Fatalf("retried SubmitJob: %v", err)
	}
	again, err := h.svc.SubmitJob(ctx, in)
	if err != nil || again.JobID != out.JobID {
		t.Fatalf("second retry = %+v, %v; want job %s", again, err, out.JobID)
	}
	if n := h.countJobs(); n != 1 {
		t.Errorf("jobs = %d, want 1", n)
	}
	h.wantStatus(out.JobID, batch.Runnable)
}
