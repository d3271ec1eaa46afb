package local

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/scheduler"
)

func TestRetentionSweepFollowsRetention(t *testing.T) {
	for _, tt := range []struct {
		retention, every, want time.Duration
	}{
		{0, 0, 10 * time.Minute}, // 7 days
		{time.Hour, 0, 6 * time.Minute},
		{10 * time.Minute, 0, time.Minute},
		{10 * time.Second, 0, 5 * time.Second},
		{time.Hour, time.Second, time.Second}, // set explicitly
	} {
		c := Config{Retention: tt.retention, Scheduler: schedulerEvery(tt.every)}
		c.defaults()
		if c.Scheduler.RetentionEvery != tt.want {
			t.Errorf("retention %v (sweep %v): sweep every %v, want %v", tt.retention, tt.every, c.Scheduler.RetentionEvery, tt.want)
		}
		if tt.retention == 0 && c.Retention != control.DefaultRetention {
			t.Errorf("default retention %v, want %v", c.Retention, control.DefaultRetention)
		}
	}
}

// TestFinishedJobsExpire runs a job under a short retention: it is
// described while it is kept, then gone, and its queue lists it no more;
// its log goes with it.
func TestFinishedJobsExpire(t *testing.T) {
	td := startTanda(t, func(c *Config) {
		c.Retention = 2 * time.Second
		c.Scheduler.RetentionEvery = 200 * time.Millisecond
	})
	id := td.submit(t, &awsbatch.SubmitJobInput{ContainerOverrides: command("echo", "kept a while")})
	j := td.waitDone(t, id, 30*time.Second)
	if j.Status != types.JobStatusSucceeded {
		t.Fatalf("job %s: %s (%s)", id, j.Status, aws.ToString(j.StatusReason))
	}
	ctx := context.Background()
	stream := aws.ToString(j.Container.LogStreamName)
	if _, _, err := td.logs.Read(ctx, stream, "", 0); err != nil {
		t.Fatalf("reading the finished job's log %q: %v", stream, err)
	}
	waitFor(t, 15*time.Second, "the finished job to expire", func() bool {
		res, err := td.client.DescribeJobs(ctx, &awsbatch.DescribeJobsInput{Jobs: []string{id}})
		if err != nil {
			t.Fatalf("DescribeJobs: %v", err)
		}
		return len(res.Jobs) == 0
	})
	res, err := td.client.ListJobs(ctx, &awsbatch.ListJobsInput{JobQueue: aws.String(DefaultJobQueue), JobStatus: types.JobStatusSucceeded})
	if err != nil {
		t.Fatalf("ListJobs: %v", err)
	}
	if len(res.JobSummaryList) != 0 {
		t.Errorf("ListJobs lists %d expired jobs", len(res.JobSummaryList))
	}
	if _, err := td.Control().Job(ctx, id); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("reading the expired job: err = %v, want ErrNotFound", err)
	}
	waitFor(t, 15*time.Second, "the expired job's log to be deleted", func() bool {
		_, _, err := td.logs.Read(ctx, stream, "", 0)
		return errors.Is(err, batch.ErrNotFound)
	})
}

func schedulerEvery(d time.Duration) scheduler.Options { return scheduler.Options{RetentionEvery: d} }
