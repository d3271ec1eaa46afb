//go:build unix

package integration

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/docker/dockertest"
	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/ec2agent"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
	"github.com/tanda-batch/tanda/integration/instances"
	"github.com/tanda-batch/tanda/internal/awsclient"
	"github.com/tanda-batch/tanda/triggers"
)

// dockerAgentEnv, set, makes the test binary play `tanda agent` with jobs
// on Docker's host network (see TestMain and runDockerAgent).
const dockerAgentEnv = "TANDA_DOCKER_AGENT"

// runDockerAgent is `tanda agent` (cmd/tanda's runAgent) with one
// difference: its jobs run on the Docker daemon DOCKER_HOST names, on the
// host's network, because the daemon `make test` starts has no bridge
// (scripts/dockerd.sh) and moto listens on 127.0.0.1. Its job role
// credentials are then served on 127.0.0.1 too, as for the process
// runtime. It runs until SIGTERM or SIGKILL (the harness's, when the
// instance is terminated).
func runDockerAgent() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := dockerAgent(ctx, logger); err != nil {
		logger.Error("agent", "err", err)
		return 1
	}
	return 0
}

func dockerAgent(ctx context.Context, logger *slog.Logger) error {
	md := imds.New(os.Getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT"), imds.Options{})
	inst, be, err := ec2agent.Connect(ctx, md, logger)
	if err != nil {
		return err
	}
	rt, err := docker.New(docker.Options{Network: "host", Allow: docker.Allow{HostNetwork: true}, Auth: be.Registry, Logger: logger})
	if err != nil {
		return fmt.Errorf("connecting to Docker: %w", err)
	}
	agent, err := ec2agent.New(ctx, inst, be, ec2agent.Config{
		WorkRoot: filepath.Join(os.TempDir(), "work"), Runtime: rt, Logger: logger, KeepCredentialsAddress: true,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, agent.Banner())
	return agent.Run(ctx)
}

// TestS3UploadRunsItsJobWithItsRoleUnderServe is the S3 trigger end to end
// on moto, under the code `tanda serve --backend aws` runs (awsserver, in
// process): an upload to a bucket whose ObjectCreated notifications go to
// the submissions queue starts the trigger rule's job; the provisioner
// launches an instance in moto, and an agent process plays it (the
// harness), running the job on a real Docker Engine. The job, a static AWS
// SDK program, has a jobRoleArn: it reads the uploaded object with the
// role's credentials, which it finds only at the agent's endpoint, and
// writes a result object. Its log goes to the awslogs group and stream
// prefix of its definition. Every notification is delivered twice (S3's,
// then the same body again, as SQS may), and a second version of the same
// key starts exactly one more job: one job per object version.
func TestS3UploadRunsItsJobWithItsRoleUnderServe(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	// The job role tests' program; it also takes an S3 trigger's arguments.
	image := dockertest.AWSProg(t)
	ctx := t.Context()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}

	tap := &notificationTap{}
	p := startInProcess(t, tap.register)
	motoCfg := aws.Config{Region: mototest.Region, Credentials: mototest.Credentials(), BaseEndpoint: aws.String(endpoint), HTTPClient: awsclient.HTTPClient()}
	instances.Run(t, instances.Options{
		EC2: p.ec2, Stack: p.stack.Stack, Region: mototest.Region, Credentials: mototest.Credentials(), Session: agentSessions(endpoint, p.stack.Stack),
		Command: []string{self}, Env: []string{dockerAgentEnv + "=1"},
	})
	queue := p.createQueue(t, "uploads", 0, 2)

	const role = "arn:aws:iam::123456789012:role/uploads-reader"
	group := "/aws/batch/" + p.stack.Stack + "-uploads"
	if _, err := p.batch.RegisterJobDefinition(ctx, &awsbatch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String("process-upload"), Type: batchtypes.JobDefinitionTypeContainer,
		ContainerProperties: &batchtypes.ContainerProperties{
			Image: aws.String(image), Command: []string{"/awsprog", "Ref::bucket", "Ref::key", "Ref::versionId"},
			JobRoleArn: aws.String(role),
			Environment: []batchtypes.KeyValuePair{
				{Name: aws.String("AWS_REGION"), Value: aws.String(mototest.Region)},
				{Name: aws.String("AWS_ENDPOINT_URL"), Value: aws.String(endpoint)},
				// No IMDS here; on EC2 the hop limit of 1 keeps containers from it.
				{Name: aws.String("AWS_EC2_METADATA_DISABLED"), Value: aws.String("true")},
			},
			ResourceRequirements: []batchtypes.ResourceRequirement{
				{Type: batchtypes.ResourceTypeVcpu, Value: aws.String("1")},
				{Type: batchtypes.ResourceTypeMemory, Value: aws.String("128")},
			},
			LogConfiguration: &batchtypes.LogConfiguration{LogDriver: batchtypes.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": group, "awslogs-stream-prefix": "uploads", "awslogs-create-group": "true",
			}},
		},
	}); err != nil {
		t.Fatalf("RegisterJobDefinition: %v", err)
	}

	s3c := s3.NewFromConfig(motoCfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := strings.ToLower(p.stack.Stack) + "-uploads"
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if _, err := s3c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(bucket),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatalf("PutBucketVersioning: %v", err)
	}
	if _, err := p.srv.Control().CreateTriggerRule(ctx, triggers.Rule{
		Name: "uploads", Bucket: bucket, Prefix: "in/", JobQueue: queue, JobDefinition: "process-upload",
	}); err != nil {
		t.Fatalf("CreateTriggerRule: %v", err)
	}

	// The bucket notifies the stack's submissions queue, as the template
	// wires its trigger bucket. The server's scheduler takes each
	// notification from there; the tap records what it received, and the
	// test delivers those very bodies once more, as SQS may.
	sqsc := sqs.NewFromConfig(motoCfg)
	submissions := sqsqueue.SQSName(p.stack.QueuePrefix, control.SubmissionsQueue)
	subURL, err := sqsc.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(submissions)})
	if err != nil {
		t.Fatalf("GetQueueUrl(%s): %v", submissions, err)
	}
	if _, err := s3c.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{QueueConfigurations: []s3types.QueueConfiguration{{
			QueueArn: aws.String("arn:aws:sqs:" + mototest.Region + ":123456789012:" + submissions),
			Events:   []s3types.Event{s3types.EventS3ObjectCreated},
		}}},
	}); err != nil {
		t.Fatalf("PutBucketNotificationConfiguration: %v", err)
	}
	// redeliver sends the uploads' ObjectCreated notifications the
	// scheduler has received since the last call to the submissions queue
	// again, and returns how many it sent.
	var delivered []string
	redeliver := func() int {
		t.Helper()
		// The uploads' notifications, not those of the jobs' results.
		bodies := slices.DeleteFunc(tap.take(), func(b string) bool { return !strings.Contains(b, `"key": "in%2F`) })
		delivered = append(delivered, bodies...)
		for _, b := range bodies {
			if _, err := sqsc.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: subURL.QueueUrl, MessageBody: aws.String(b)}); err != nil {
				t.Fatalf("delivering the notification again: %v", err)
			}
		}
		return len(bodies)
	}
	// settled waits until the scheduler has taken every message off the
	// submissions queue.
	settled := func() {
		t.Helper()
		within(t, time.Minute, "the submissions queue to empty", func() (bool, string) {
			out, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: subURL.QueueUrl,
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
			if err != nil {
				return false, err.Error()
			}
			a := out.Attributes
			visible, hidden := a[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)], a[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)]
			return visible == "0" && hidden == "0", visible + " visible, " + hidden + " in flight"
		})
	}
	// jobs lists the queue's jobs in every status, oldest first, each once:
	// a job that moves on while the statuses are listed one by one shows up
	// under two of them.
	jobs := func() []batchtypes.JobSummary {
		t.Helper()
		var all []batchtypes.JobSummary
		seen := map[string]bool{}
		for _, st := range batchtypes.JobStatus("").Values() {
			pages := awsbatch.NewListJobsPaginator(p.batch, &awsbatch.ListJobsInput{JobQueue: aws.String(queue), JobStatus: st})
			for pages.HasMorePages() {
				pg, err := pages.NextPage(ctx)
				if err != nil {
					t.Fatalf("ListJobs(%s): %v", st, err)
				}
				for _, j := range pg.JobSummaryList {
					if id := aws.ToString(j.JobId); !seen[id] {
						seen[id] = true
						all = append(all, j)
					}
				}
			}
		}
		slices.SortFunc(all, func(a, b batchtypes.JobSummary) int { return int(aws.ToInt64(a.CreatedAt) - aws.ToInt64(b.CreatedAt)) })
		return all
	}
	logs := cloudwatchlogs.NewFromConfig(motoCfg)
	const key = "in/photo 1.txt"

	// versions counts the key's versions in the bucket: what "one job per
	// object version" counts. (A PutObject the SDK retries after a lost
	// answer makes two; the test expects a job for each.)
	versions := func() int {
		t.Helper()
		out, err := s3c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
		if err != nil {
			t.Fatalf("ListObjectVersions: %v", err)
		}
		return len(out.Versions)
	}

	// upload puts a version of the key, delivers its notification twice,
	// and checks that it made exactly one job per version, the last of
	// which reads the object through its role and writes its result.
	notified := 0
	upload := func(body string) {
		t.Helper()
		if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		want := versions()
		within(t, 30*time.Second, "the scheduler to receive the upload's notification", func() (bool, string) {
			notified += redeliver()
			return notified >= want, fmt.Sprintf("%d notifications of %d versions", notified, want)
		})
		if notified != want {
			t.Fatalf("the scheduler received %d ObjectCreated notifications of %s, which has %d versions:\n%s", notified, key, want, strings.Join(delivered, "\n"))
		}
		settled()
		all := jobs()
		if len(all) != want {
			t.Fatalf("%d versions of %s, each notified twice: %d jobs %v, want %d: one per object version", want, key, len(all), jobIDs(all), want)
		}
		id := aws.ToString(all[want-1].JobId)
		var j batchtypes.JobDetail
		within(t, 2*time.Minute, "job "+id+" to end", func() (bool, string) {
			out, err := p.batch.DescribeJobs(ctx, &awsbatch.DescribeJobsInput{Jobs: []string{id}})
			if err != nil || len(out.Jobs) != 1 {
				return false, fmt.Sprintf("DescribeJobs: %v", err)
			}
			j = out.Jobs[0]
			return j.Status == batchtypes.JobStatusSucceeded || j.Status == batchtypes.JobStatusFailed, string(j.Status)
		})
		stream := aws.ToString(j.Container.LogStreamName)
		var lines []string
		if out, err := logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true)}); err == nil {
			for _, e := range out.Events {
				lines = append(lines, aws.ToString(e.Message))
			}
		} else {
			t.Errorf("reading the job's log %s %s: %v", group, stream, err)
		}
		log := strings.Join(lines, "\n")
		if j.Status != batchtypes.JobStatusSucceeded {
			t.Fatalf("job %s: %s (%s, %s); its log:\n%s", id, j.Status, aws.ToString(j.StatusReason), aws.ToString(j.Container.Reason), log)
		}
		if want := "uploads/default/" + id + "-1"; stream != want {
			t.Errorf("job %s's logStreamName = %q, want %q (its awslogs-stream-prefix)", id, stream, want)
		}
		if want := []string{"/awsprog", bucket, key, ""}; !slices.Equal(j.Container.Command, want) {
			t.Errorf("job %s's command = %q, want %q (moto's notifications carry no versionId)", id, j.Container.Command, want)
		}
		for _, want := range []string{
			"credentials from CredentialsEndpointProvider",
			"caller arn:aws:sts::123456789012:assumed-role/uploads-reader/tanda-" + id + "-1",
			"read s3://" + bucket + "/" + key + ": " + fmt.Sprint(len(body)) + " bytes",
		} {
			if !strings.Contains(log, want) {
				t.Errorf("job %s's log lacks %q:\n%s", id, want, log)
			}
		}
		obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("results/" + key + "@" + id)})
		if err != nil {
			t.Fatalf("job %s's result object: %v", id, err)
		}
		got, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		if want := "processed: " + body; string(got) != want {
			t.Errorf("job %s's result = %q, want %q", id, got, want)
		}
	}
	upload("first version")
	upload("the second version, longer")
	if n := versions(); n < 2 {
		t.Errorf("the bucket keeps %d versions of %s, want 2 or more", n, key)
	}
}

// notificationTap records the S3 ObjectCreated notifications that SQS
// ReceiveMessage calls return: installed in the server's APIOptions, it
// sees what the scheduler takes from the submissions queue.
type notificationTap struct {
	mu     sync.Mutex
	bodies []string
	seen   map[string]bool // bodies: a copy (the test's own redelivery) is not recorded again
}

func (tp *notificationTap) register(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("TandaTapNotifications",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			if r, ok := out.Result.(*sqs.ReceiveMessageOutput); ok && err == nil {
				tp.record(r.Messages)
			}
			return out, md, err
		}), middleware.Before)
}

func (tp *notificationTap) record(msgs []sqstypes.Message) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if tp.seen == nil {
		tp.seen = map[string]bool{}
	}
	for _, m := range msgs {
		body := aws.ToString(m.Body)
		if !strings.Contains(body, `"ObjectCreated:`) || tp.seen[body] {
			continue
		}
		tp.seen[body] = true
		tp.bodies = append(tp.bodies, body)
	}
}

// take returns the notifications recorded since the last take.
func (tp *notificationTap) take() []string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	out := tp.bodies
	tp.bodies = nil
	return out
}

func jobIDs(js []batchtypes.JobSummary) []string {
	ids := make([]string, len(js))
	for i, j := range js {
		ids[i] = aws.ToString(j.JobId) + " " + string(j.Status)
	}
	return ids
}
