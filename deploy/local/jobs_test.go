package local

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
)

func TestJobRunsToSuccessWithItsOutputInItsLog(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	id := td.submit(t, &awsbatch.SubmitJobInput{
		ContainerOverrides: &types.ContainerOverrides{
			Command:     []string{"sh", "-c", `echo "hello $GREETING from $AWS_BATCH_JOB_ID attempt $AWS_BATCH_JOB_ATTEMPT in $AWS_BATCH_JQ_NAME on $AWS_BATCH_CE_NAME"; echo oops >&2`},
			Environment: []types.KeyValuePair{{Name: aws.String("GREETING"), Value: aws.String("world")}},
		},
	})
	j := td.waitDone(t, id, 30*time.Second)
	if j.Status != types.JobStatusSucceeded {
		t.Fatalf("status = %s (%s), want SUCCEEDED", j.Status, aws.ToString(j.StatusReason))
	}
	if got := aws.ToString(j.StatusReason); got != "Essential container in task exited" {
		t.Errorf("statusReason = %q", got)
	}
	if len(j.Attempts) != 1 || j.Container == nil || aws.ToInt32(j.Container.ExitCode) != 0 {
		t.Fatalf("attempts = %d, container = %+v; want one attempt with exit code 0", len(j.Attempts), j.Container)
	}
	if j.StartedAt == nil || j.StoppedAt == nil || *j.StoppedAt < *j.StartedAt {
		t.Errorf("startedAt %v, stoppedAt %v: want both, in order", j.StartedAt, j.StoppedAt)
	}
	stream := aws.ToString(j.Container.LogStreamName)
	if !strings.HasPrefix(stream, ExampleJobDefinition+"/default/") {
		t.Errorf("logStreamName = %q, want %s/default/<task>", stream, ExampleJobDefinition)
	}
	lines := td.logLines(t, id)
	want := "hello world from " + id + " attempt 1 in default on default"
	if !contains(lines, want) || !contains(lines, "oops") {
		t.Errorf("log = %q, want the lines %q and %q", lines, want, "oops")
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

func TestArrayJobOfHundredChildrenSucceeds(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	out := t.TempDir()
	id := td.submit(t, &awsbatch.SubmitJobInput{
		ArrayProperties:    &types.ArrayProperties{Size: aws.Int32(100)},
		ContainerOverrides: command("sh", "-c", `touch "`+out+`/$AWS_BATCH_JOB_ARRAY_INDEX-of-$AWS_BATCH_JOB_ARRAY_SIZE"`),
	})
	j := td.waitDone(t, id, 60*time.Second)
	if j.Status != types.JobStatusSucceeded {
		t.Fatalf("array status = %s (%s), want SUCCEEDED", j.Status, aws.ToString(j.StatusReason))
	}
	if got := j.ArrayProperties.StatusSummary["SUCCEEDED"]; got != 100 {
		t.Errorf("statusSummary = %v, want SUCCEEDED=100", j.ArrayProperties.StatusSummary)
	}
	for i := range 100 {
		if _, err := os.Stat(filepath.Join(out, strconv.Itoa(i)+"-of-100")); err != nil {
			t.Fatalf("child %d did not run with its index and size: %v", i, err)
		}
	}
	child := td.describe(t, id+":7")
	if child.ArrayProperties == nil || aws.ToInt32(child.ArrayProperties.Index) != 7 {
		t.Errorf("child arrayProperties = %+v, want index 7", child.ArrayProperties)
	}
	res, err := td.client.ListJobs(context.Background(), &awsbatch.ListJobsInput{ArrayJobId: &id, JobStatus: types.JobStatusSucceeded})
	if err != nil {
		t.Fatalf("ListJobs(arrayJobId): %v", err)
	}
	if len(res.JobSummaryList) != 100 {
		t.Errorf("ListJobs(arrayJobId) listed %d children, want 100", len(res.JobSummaryList))
	}
}

func TestDependenciesRunInOrder(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	dir := t.TempDir()
	seq := filepath.Join(dir, "sequence")
	// SEQUENTIAL: child i starts after child i-1 succeeded, so the
	// indexes land in the file in order.
	sequential := td.submit(t, &awsbatch.SubmitJobInput{
		ArrayProperties:    &types.ArrayProperties{Size: aws.Int32(5)},
		DependsOn:          []types.JobDependency{{Type: types.ArrayJobDependencySequential}},
		ContainerOverrides: command("sh", "-c", `echo $AWS_BATCH_JOB_ARRAY_INDEX >> `+seq),
	})
	// N_TO_N: child i of B runs only once child i of A made its file.
	a := td.submit(t, &awsbatch.SubmitJobInput{
		ArrayProperties:    &types.ArrayProperties{Size: aws.Int32(4)},
		ContainerOverrides: command("sh", "-c", `sleep 0.$AWS_BATCH_JOB_ARRAY_INDEX; touch `+dir+`/a-$AWS_BATCH_JOB_ARRAY_INDEX`),
	})
	b := td.submit(t, &awsbatch.SubmitJobInput{
		ArrayProperties:    &types.ArrayProperties{Size: aws.Int32(4)},
		DependsOn:          []types.JobDependency{{JobId: &a, Type: types.ArrayJobDependencyNToN}},
		ContainerOverrides: command("sh", "-c", `test -f `+dir+`/a-$AWS_BATCH_JOB_ARRAY_INDEX`),
	})
	// A plain dependency waits for the whole array; a failed dependency
	// fails its dependents.
	after := td.submit(t, &awsbatch.SubmitJobInput{
		DependsOn:          []types.JobDependency{{JobId: &b}},
		ContainerOverrides: command("sh", "-c", `ls `+dir+` | grep -c '^a-' | grep -qx 4`),
	})
	failing := td.submit(t, &awsbatch.SubmitJobInput{ContainerOverrides: command("false")})
	dependent := td.submit(t, &awsbatch.SubmitJobInput{DependsOn: []types.JobDependency{{JobId: &failing}}, ContainerOverrides: command("true")})
	grandchild := td.submit(t, &awsbatch.SubmitJobInput{DependsOn: []types.JobDependency{{JobId: &dependent}}, ContainerOverrides: command("true")})

	for _, id := range []string{sequential, a, b, after} {
		if j := td.waitDone(t, id, 60*time.Second); j.Status != types.JobStatusSucceeded {
			t.Fatalf("job %s = %s (%s), want SUCCEEDED", id, j.Status, aws.ToString(j.StatusReason))
		}
	}
	data, err := os.ReadFile(seq)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(data)); strings.Join(got, ",") != "0,1,2,3,4" {
		t.Errorf("SEQUENTIAL children ran in order %v, want 0..4", got)
	}
	for _, id := range []string{dependent, grandchild} {
		j := td.waitDone(t, id, 30*time.Second)
		if j.Status != types.JobStatusFailed || aws.ToString(j.StatusReason) != "Dependent Job failed" {
			t.Errorf("job %s = %s (%s), want FAILED (Dependent Job failed)", id, j.Status, aws.ToString(j.StatusReason))
		}
		if len(j.Attempts) != 0 {
			t.Errorf("job %s made %d attempts, want none", id, len(j.Attempts))
		}
	}
}

func TestRetryStrategy(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	three := td.submit(t, &awsbatch.SubmitJobInput{
		RetryStrategy:      &types.RetryStrategy{Attempts: aws.Int32(3)},
		ContainerOverrides: command("sh", "-c", `echo attempt $AWS_BATCH_JOB_ATTEMPT; exit 3`),
	})
	exit := td.submit(t, &awsbatch.SubmitJobInput{
		RetryStrategy: &types.RetryStrategy{Attempts: aws.Int32(5), EvaluateOnExit: []types.EvaluateOnExit{
			{OnExitCode: aws.String("3"), Action: types.RetryActionExit},
			{OnReason: aws.String("*"), Action: types.RetryActionRetry},
		}},
		ContainerOverrides: command("sh", "-c", "exit 3"),
	})
	recovers := td.submit(t, &awsbatch.SubmitJobInput{
		RetryStrategy:      &types.RetryStrategy{Attempts: aws.Int32(3)},
		ContainerOverrides: command("sh", "-c", `test $AWS_BATCH_JOB_ATTEMPT -ge 2`),
	})

	j := td.waitDone(t, three, 30*time.Second)
	if j.Status != types.JobStatusFailed || len(j.Attempts) != 3 {
		t.Fatalf("exit-3 job: %s with %d attempts, want FAILED with 3", j.Status, len(j.Attempts))
	}
	for i, a := range j.Attempts {
		if a.Container == nil || aws.ToInt32(a.Container.ExitCode) != 3 || aws.ToString(a.StatusReason) != "Essential container in task exited" {
			t.Errorf("attempt %d = %+v, want exit code 3", i+1, a.Container)
		}
	}
	if lines := td.logLines(t, three); !contains(lines, "attempt 3") {
		t.Errorf("latest log = %q, want the third attempt's output", lines)
	}
	if j := td.waitDone(t, exit, 30*time.Second); j.Status != types.JobStatusFailed || len(j.Attempts) != 1 {
		t.Errorf("EXIT rule: %s with %d attempts, want FAILED after 1", j.Status, len(j.Attempts))
	}
	if j := td.waitDone(t, recovers, 30*time.Second); j.Status != types.JobStatusSucceeded || len(j.Attempts) != 2 {
		t.Errorf("retried job: %s with %d attempts, want SUCCEEDED on the 2nd", j.Status, len(j.Attempts))
	}
}

func TestTerminateRunningJob(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	id := td.submit(t, &awsbatch.SubmitJobInput{
		RetryStrategy:      &types.RetryStrategy{Attempts: aws.Int32(3)},
		ContainerOverrides: command("sleep", "300"),
	})
	waitFor(t, 30*time.Second, "job to run", func() bool { return td.describe(t, id).Status == types.JobStatusRunning })
	// CancelJob does nothing to a RUNNING job.
	if _, err := td.client.CancelJob(context.Background(), &awsbatch.CancelJobInput{JobId: &id, Reason: aws.String("not now")}); err != nil {
		t.Fatalf("CancelJob: %v", err)
	}
	if _, err := td.client.TerminateJob(context.Background(), &awsbatch.TerminateJobInput{JobId: &id, Reason: aws.String("stopped by test")}); err != nil {
		t.Fatalf("TerminateJob: %v", err)
	}
	j := td.waitDone(t, id, 30*time.Second)
	if j.Status != types.JobStatusFailed || !aws.ToBool(j.IsTerminated) || aws.ToString(j.StatusReason) != "stopped by test" {
		t.Fatalf("job = %s terminated=%v (%s), want FAILED, isTerminated, reason 'stopped by test'", j.Status, aws.ToBool(j.IsTerminated), aws.ToString(j.StatusReason))
	}
	if len(j.Attempts) != 1 {
		t.Errorf("a terminated job made %d attempts, want 1 (no retry)", len(j.Attempts))
	}
	if code := aws.ToInt32(j.Container.ExitCode); code != 143 {
		t.Errorf("exit code = %d, want 143 (SIGTERM)", code)
	}
}

func TestCancelRunnableJob(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	blocker := td.submit(t, &awsbatch.SubmitJobInput{ContainerOverrides: command("sleep", "300")})
	waiting := td.submit(t, &awsbatch.SubmitJobInput{DependsOn: []types.JobDependency{{JobId: &blocker}}, ContainerOverrides: command("true")})
	waitFor(t, 10*time.Second, "dependent to be PENDING", func() bool { return td.describe(t, waiting).Status == types.JobStatusPending })
	if _, err := td.client.CancelJob(context.Background(), &awsbatch.CancelJobInput{JobId: &waiting, Reason: aws.String("changed my mind")}); err != nil {
		t.Fatalf("CancelJob: %v", err)
	}
	j := td.waitDone(t, waiting, 10*time.Second)
	if j.Status != types.JobStatusFailed || !aws.ToBool(j.IsCancelled) || aws.ToString(j.StatusReason) != "changed my mind" {
		t.Errorf("cancelled job = %s cancelled=%v (%s)", j.Status, aws.ToBool(j.IsCancelled), aws.ToString(j.StatusReason))
	}
	if _, err := td.client.TerminateJob(context.Background(), &awsbatch.TerminateJobInput{JobId: &blocker, Reason: aws.String("cleanup")}); err != nil {
		t.Fatal(err)
	}
}

func TestAttemptTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a minute: the shortest timeout AWS Batch allows is 60 s")
	}
	t.Parallel()
	td := startTanda(t)
	id := td.submit(t, &awsbatch.SubmitJobInput{
		Timeout:            &types.JobTimeout{AttemptDurationSeconds: aws.Int32(60)},
		RetryStrategy:      &types.RetryStrategy{Attempts: aws.Int32(2)},
		ContainerOverrides: command("sleep", "600"),
	})
	j := td.waitDone(t, id, 100*time.Second)
	if j.Status != types.JobStatusFailed || aws.ToString(j.StatusReason) != "Job attempt duration exceeded timeout" {
		t.Fatalf("job = %s (%s), want FAILED (Job attempt duration exceeded timeout)", j.Status, aws.ToString(j.StatusReason))
	}
	if len(j.Attempts) != 1 {
		t.Errorf("timed-out job made %d attempts, want 1 (timeouts are not retried)", len(j.Attempts))
	}
	a := j.Attempts[0]
	if d := aws.ToInt64(a.StoppedAt) - aws.ToInt64(a.StartedAt); d < 60_000 || d > 75_000 {
		t.Errorf("attempt lasted %d ms, want about 60 s", d)
	}
}
