package ec2agent_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/infra/cwlogs"
)

// TestAwslogsOptionsOnMoto runs jobs whose definitions set awslogs
// options, on OpenAWS's backend on moto: each job's output lands in the
// group, region and stream its options name, read back with the SDK's own
// GetLogEvents; DescribeJobs reports that stream, and the API's log reader
// (what `tanda logs` reads) finds it there. A group that does not exist is
// created with awslogs-create-group, and without it the attempt fails
// before it starts, as the awslogs driver fails a container on ECS.
func TestAwslogsOptionsOnMoto(t *testing.T) {
	m := startMotoAgent(t)
	ctx := t.Context()
	home := cloudwatchlogs.NewFromConfig(m.cfg)
	other := cloudwatchlogs.NewFromConfig(m.cfg, func(o *cloudwatchlogs.Options) { o.Region = "eu-west-1" })
	base := "/tanda-test/" + m.settings.Stack
	existing, created, missing := base+"/app", base+"/created", base+"/missing"
	if _, err := home.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(existing)}); err != nil {
		t.Fatalf("CreateLogGroup: %v", err)
	}
	register := func(name string, opts map[string]string) {
		t.Helper()
		if _, err := m.ctl.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
			JobDefinitionName: name, Type: batch.DefinitionTypeContainer,
			ContainerProperties: &batch.ContainerProperties{
				Image: "busybox", Command: []string{"echo", "output of " + name},
				ResourceRequirements: []batch.ResourceRequirement{{Type: batch.ResourceVCPU, Value: "1"}, {Type: batch.ResourceMemory, Value: "128"}},
				LogConfiguration:     &batch.LogConfiguration{LogDriver: batch.LogDriverAWSLogs, Options: opts},
			},
		}); err != nil {
			t.Fatalf("RegisterJobDefinition(%s): %v", name, err)
		}
	}
	register("prefixed", map[string]string{"awslogs-group": existing, "awslogs-stream-prefix": "nightly/etl"})
	register("elsewhere", map[string]string{"awslogs-group": created, "awslogs-region": "eu-west-1", "awslogs-create-group": "true"})
	register("nogroup", map[string]string{"awslogs-group": missing})
	submit := func(def string) string {
		t.Helper()
		out, err := m.ctl.SubmitJob(ctx, &batch.SubmitJobInput{JobName: def, JobQueue: queueName, JobDefinition: def})
		if err != nil {
			t.Fatalf("SubmitJob(%s): %v", def, err)
		}
		return out.JobID
	}
	describe := func(id string) batch.Job {
		t.Helper()
		out, err := m.ctl.DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: []string{id}})
		if err != nil || len(out.Jobs) != 1 {
			t.Fatalf("DescribeJobs(%s) = %v, %v", id, out, err)
		}
		return out.Jobs[0]
	}
	// sdkLines reads a stream with the SDK, as a user would, until it
	// holds want.
	sdkLines := func(client *cloudwatchlogs.Client, group, stream, want string) {
		t.Helper()
		var got []string
		waitFor(t, "\""+want+"\" in "+group+" "+stream, func() bool {
			out, err := client.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
				LogGroupName: aws.String(group), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true),
			})
			if err != nil {
				return false
			}
			got = got[:0]
			for _, e := range out.Events {
				got = append(got, aws.ToString(e.Message))
			}
			return slices.Contains(got, want)
		})
	}

	id := submit("prefixed")
	m.w.waitStatus(id, batch.Succeeded)
	j := describe(id)
	stream := "nightly/etl/default/" + id + "-1"
	if got := j.Container.LogStreamName; got != stream {
		t.Errorf("DescribeJobs container.logStreamName = %q, want %q", got, stream)
	}
	if got := j.Attempts[0].Container.LogStreamName; got != stream {
		t.Errorf("DescribeJobs attempts[0].container.logStreamName = %q, want %q", got, stream)
	}
	sdkLines(home, existing, stream, "output of prefixed")
	var notFound *cwtypes.ResourceNotFoundException
	if _, err := home.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String(m.settings.LogGroup), LogStreamName: aws.String(stream),
	}); !errors.As(err, &notFound) {
		t.Errorf("the stack's own group has the stream too (GetLogEvents: %v), want ResourceNotFoundException", err)
	}
	reader := kit.LogReader{Control: m.ctl, Logs: cwlogs.NewRouter(m.cfg, cwlogs.Options{Group: m.settings.LogGroup})}
	page, err := reader.ReadJobLog(ctx, id, 0, "", 0)
	if err != nil {
		t.Fatalf("ReadJobLog: %v", err)
	}
	if page.LogStreamName != stream || !slices.ContainsFunc(page.Events, func(e batch.LogEvent) bool { return e.Message == "output of prefixed" }) {
		t.Errorf("the API's log reader read %s: %+v; want the job's output from %s", page.LogStreamName, page.Events, stream)
	}

	id = submit("elsewhere")
	m.w.waitStatus(id, batch.Succeeded)
	stream = "elsewhere/default/" + id + "-1"
	if got := describe(id).Container.LogStreamName; got != stream {
		t.Errorf("DescribeJobs container.logStreamName = %q, want %q", got, stream)
	}
	sdkLines(other, created, stream, "output of elsewhere")

	id = submit("nogroup")
	m.w.waitStatus(id, batch.Failed)
	j = describe(id)
	if got := j.Attempts[0].StatusReason; got != control.ReasonStartFailed {
		t.Errorf("attempt statusReason = %q, want %q", got, control.ReasonStartFailed)
	}
	wantReason := "CannotStartContainerError: failed to initialize logging driver: failed to create CloudWatch log stream nogroup/default/" + id + "-1 in log group " + missing + ": ResourceNotFoundException: "
	if got := j.Attempts[0].Container.Reason; !strings.HasPrefix(got, wantReason) {
		t.Errorf("attempt reason = %q, want it to start with %q", got, wantReason)
	}
	groups, err := home.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(missing)})
	if err != nil {
		t.Fatalf("DescribeLogGroups: %v", err)
	}
	if len(groups.LogGroups) != 0 {
		t.Errorf("the agent created %s without awslogs-create-group", missing)
	}
}
