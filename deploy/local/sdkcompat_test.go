package local

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/smithy-go"

	"github.com/tanda-batch/tanda/internal/awsclient"
)

// The aws-sdk-go-v2 side of compat_test.go.

// recordingClient sends requests through next and records their
// Authorization and invocation-id headers. If loseFirst names an
// operation's path, the first answer to it is lost after the server
// applied it: the SDK sees a reset connection and retries.
type recordingClient struct {
	next      awsclient.Doer
	loseFirst string

	mu    sync.Mutex
	auths []string
	ids   []string
	lost  bool
}

func (c *recordingClient) Do(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.auths = append(c.auths, r.Header.Get("Authorization"))
	c.ids = append(c.ids, r.Header.Get("Amz-Sdk-Invocation-Id"))
	lose := c.loseFirst != "" && r.URL.Path == c.loseFirst && !c.lost
	c.lost = c.lost || lose
	c.mu.Unlock()
	res, err := c.next.Do(r)
	if err != nil || !lose {
		return res, err
	}
	res.Body.Close()
	return nil, &url.Error{Op: "Post", URL: r.URL.String(), Err: errors.New("read: connection reset by peer")}
}

// sent returns and forgets the headers recorded so far.
func (c *recordingClient) sent() (auths, ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	auths, ids = c.auths, c.ids
	c.auths, c.ids = nil, nil
	return auths, ids
}

// sdkClient is a Go SDK client of td sending through rec, for region.
func (td *tanda) sdkClient(rec *recordingClient, region string) *awsbatch.Client {
	cfg := td.cfg.Copy()
	rec.next = awsclient.Wrap(nil)
	cfg.HTTPClient = rec
	if region != "" {
		cfg.Region = region
	}
	return awsbatch.NewFromConfig(cfg, func(o *awsbatch.Options) { o.BaseEndpoint = aws.String(td.Endpoint()) })
}

func TestIdenticalCallsThroughTheGoSDKAreEachANewCall(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	rec := &recordingClient{}
	client := td.sdkClient(rec, "")
	ctx := context.Background()

	// loop makes three identical calls. Unlike botocore, the Go SDK signs
	// its amz-sdk-invocation-id header, so its identical calls never carry
	// the same signature; TestSDKRetryOfSubmitJobReturnsTheFirstJob... sends
	// byte-identical requests by hand.
	loop := func(name string, call func() string) []string {
		t.Helper()
		var made []string
		for range 3 {
			made = append(made, call())
		}
		auths, ids := rec.sent()
		if len(auths) < 3 || uniq(anySlice(ids)) != len(ids) {
			t.Errorf("%s: the SDK sent %d calls with invocation ids %q, want a distinct id each", name, len(auths), ids)
		}
		return made
	}
	jobs := loop("SubmitJob", func() string {
		out, err := client.SubmitJob(ctx, &awsbatch.SubmitJobInput{JobName: aws.String("same"), JobQueue: aws.String(DefaultJobQueue), JobDefinition: aws.String("example")})
		if err != nil {
			t.Fatalf("SubmitJob: %v", err)
		}
		return *out.JobId
	})
	if uniq(anySlice(jobs)) != 3 {
		t.Errorf("3 identical SubmitJob calls made jobs %v, want 3 distinct", jobs)
	}
	var revisions []string
	loop("RegisterJobDefinition", func() string {
		out, err := client.RegisterJobDefinition(ctx, &awsbatch.RegisterJobDefinitionInput{
			JobDefinitionName: aws.String("dup"), Type: types.JobDefinitionTypeContainer,
			ContainerProperties: &types.ContainerProperties{Image: aws.String("busybox"), Command: []string{"true"},
				ResourceRequirements: []types.ResourceRequirement{{Type: types.ResourceTypeVcpu, Value: aws.String("1")}, {Type: types.ResourceTypeMemory, Value: aws.String("128")}}},
		})
		if err != nil {
			t.Fatalf("RegisterJobDefinition: %v", err)
		}
		revisions = append(revisions, *out.JobDefinitionArn)
		return *out.JobDefinitionArn
	})
	if uniq(anySlice(revisions)) != len(revisions) {
		t.Errorf("identical RegisterJobDefinition calls made revisions %v, want a new one each", revisions)
	}
	loop("CreateSchedulingPolicy", func() string {
		out, err := client.CreateSchedulingPolicy(ctx, &awsbatch.CreateSchedulingPolicyInput{Name: aws.String("same-policy")})
		if err != nil {
			t.Fatalf("CreateSchedulingPolicy: %v", err)
		}
		if _, err := client.DeleteSchedulingPolicy(ctx, &awsbatch.DeleteSchedulingPolicyInput{Arn: out.Arn}); err != nil {
			t.Fatalf("DeleteSchedulingPolicy: %v", err)
		}
		return *out.Arn
	})
}

func anySlice(xs []string) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

func TestGoSDKRetryOfSubmitJobAfterALostAnswerMakesOneJob(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	rec := &recordingClient{loseFirst: "/v1/submitjob"}
	client := td.sdkClient(rec, "")
	out, err := client.SubmitJob(context.Background(), &awsbatch.SubmitJobInput{
		JobName: aws.String("retried"), JobQueue: aws.String(DefaultJobQueue), JobDefinition: aws.String("example"),
	})
	if err != nil {
		t.Fatalf("SubmitJob: %v", err)
	}
	_, ids := rec.sent()
	if len(ids) != 2 || ids[0] == "" || ids[0] != ids[1] {
		t.Fatalf("the SDK sent invocation ids %q, want one retry with the same id", ids)
	}
	list, err := td.client.ListJobs(context.Background(), &awsbatch.ListJobsInput{
		JobQueue: aws.String(DefaultJobQueue), Filters: []types.KeyValuesPair{{Name: aws.String("JOB_NAME"), Values: []string{"retried"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.JobSummaryList) != 1 || *list.JobSummaryList[0].JobId != *out.JobId {
		t.Errorf("a SubmitJob the SDK sent twice made %d jobs, want only %s", len(list.JobSummaryList), *out.JobId)
	}
}

func TestGoSDKSeesTheMembersAWSAlwaysReturns(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	ctx := context.Background()
	c := td.client

	if _, err := c.RegisterJobDefinition(ctx, &awsbatch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String("bare"), Type: types.JobDefinitionTypeContainer,
		ContainerProperties: &types.ContainerProperties{Image: aws.String("busybox"),
			ResourceRequirements: []types.ResourceRequirement{{Type: types.ResourceTypeVcpu, Value: aws.String("1")}, {Type: types.ResourceTypeMemory, Value: aws.String("128")}}},
	}); err != nil {
		t.Fatal(err)
	}
	defs, err := c.DescribeJobDefinitions(ctx, &awsbatch.DescribeJobDefinitionsInput{JobDefinitions: []string{"bare:1"}})
	if err != nil || len(defs.JobDefinitions) != 1 {
		t.Fatalf("DescribeJobDefinitions: %v %+v", err, defs)
	}
	jd := defs.JobDefinitions[0]
	cp := jd.ContainerProperties
	for name, empty := range map[string]bool{
		"parameters": jd.Parameters == nil, "tags": jd.Tags == nil, "propagateTags": jd.PropagateTags == nil,
		"containerProperties.command": cp.Command == nil, "containerProperties.environment": cp.Environment == nil,
		"containerProperties.mountPoints": cp.MountPoints == nil, "containerProperties.volumes": cp.Volumes == nil,
		"containerProperties.ulimits": cp.Ulimits == nil, "containerProperties.secrets": cp.Secrets == nil,
	} {
		if empty {
			t.Errorf("DescribeJobDefinitions: %s is absent; AWS returns it empty", name)
		}
	}

	ces, err := c.DescribeComputeEnvironments(ctx, &awsbatch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{"default"}})
	if err != nil || len(ces.ComputeEnvironments) != 1 {
		t.Fatalf("DescribeComputeEnvironments: %v", err)
	}
	ce := ces.ComputeEnvironments[0]
	if arn := aws.ToString(ce.EcsClusterArn); !strings.HasPrefix(arn, "arn:aws:ecs:us-east-1:123456789012:cluster/default_Batch_") {
		t.Errorf("ecsClusterArn = %q, want AWS's shape arn:aws:ecs:<region>:<account>:cluster/<name>_Batch_<uuid>", arn)
	}
	again, err := c.DescribeComputeEnvironments(ctx, &awsbatch.DescribeComputeEnvironmentsInput{})
	if err != nil || aws.ToString(again.ComputeEnvironments[0].EcsClusterArn) != aws.ToString(ce.EcsClusterArn) {
		t.Errorf("ecsClusterArn is not stable: %v then %v (%v)", aws.ToString(ce.EcsClusterArn), again, err)
	}

	id := td.submit(t, &awsbatch.SubmitJobInput{JobDefinition: aws.String("bare"), ContainerOverrides: command("true")})
	job := td.waitDone(t, id, 30*time.Second)
	if job.EksAttempts == nil || job.Tags == nil || job.Parameters == nil || job.PropagateTags == nil || job.DependsOn == nil {
		t.Errorf("DescribeJobs lacks members AWS always returns: eksAttempts %v, tags %v, parameters %v, propagateTags %v, dependsOn %v",
			job.EksAttempts, job.Tags, job.Parameters, job.PropagateTags, job.DependsOn)
	}
	if job.Container == nil || job.Container.Secrets == nil || job.Container.Environment == nil || job.Container.NetworkInterfaces == nil {
		t.Errorf("DescribeJobs container lacks members AWS always returns: %+v", job.Container)
	}
}

func TestClientMistakesGetAWSErrorCodesThroughTheGoSDK(t *testing.T) {
	t.Parallel()
	td := startTanda(t)
	ctx := context.Background()
	c := td.client
	cases := map[string]func() error{
		"definition revision missing": func() error {
			_, err := c.SubmitJob(ctx, &awsbatch.SubmitJobInput{JobName: aws.String("x"), JobQueue: aws.String(DefaultJobQueue), JobDefinition: aws.String("example:99")})
			return err
		},
		"queue ARN malformed": func() error {
			_, err := c.SubmitJob(ctx, &awsbatch.SubmitJobInput{JobName: aws.String("x"), JobDefinition: aws.String("example"),
				JobQueue: aws.String("arn:aws:batch:us-east-1:123456789012:jobqueue/default")})
			return err
		},
		"queue ARN of another region": func() error {
			_, err := c.SubmitJob(ctx, &awsbatch.SubmitJobInput{JobName: aws.String("x"), JobDefinition: aws.String("example"),
				JobQueue: aws.String("arn:aws:batch:us-west-2:123456789012:job-queue/default")})
			return err
		},
		"unknown compute environment in order": func() error {
			_, err := c.CreateJobQueue(ctx, &awsbatch.CreateJobQueueInput{JobQueueName: aws.String("errq"), Priority: aws.Int32(1),
				ComputeEnvironmentOrder: []types.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("nope")}}})
			return err
		},
		"tag a missing resource": func() error {
			_, err := c.TagResource(ctx, &awsbatch.TagResourceInput{ResourceArn: aws.String("arn:aws:batch:us-east-1:123456789012:job-queue/nope"), Tags: map[string]string{"a": "b"}})
			return err
		},
		"service role not a role": func() error {
			_, err := c.CreateComputeEnvironment(ctx, &awsbatch.CreateComputeEnvironmentInput{ComputeEnvironmentName: aws.String("errce"),
				Type: types.CETypeManaged, ServiceRole: aws.String("arn:aws:iam::123456789012:user/bob"),
				ComputeResources: &types.ComputeResource{Type: types.CRTypeEc2, MaxvCpus: aws.Int32(4), InstanceTypes: []string{"local"}, Subnets: []string{"subnet-1"}}})
			return err
		},
		"signed for another region": func() error {
			_, err := td.sdkClient(&recordingClient{}, "us-east-2").DescribeJobQueues(ctx, &awsbatch.DescribeJobQueuesInput{})
			return err
		},
	}
	for name, call := range cases {
		want := clientMistakes[name]
		err := call()
		var apiErr smithy.APIError
		var resErr *awshttp.ResponseError
		if !errors.As(err, &apiErr) || !errors.As(err, &resErr) {
			t.Errorf("%s: error %v, want an API error", name, err)
			continue
		}
		if apiErr.ErrorCode() != want.Code || resErr.HTTPStatusCode() != want.Status || !strings.HasPrefix(apiErr.ErrorMessage(), want.Message) {
			t.Errorf("%s: %d %s %q, want %d %s %q...", name, resErr.HTTPStatusCode(), apiErr.ErrorCode(), apiErr.ErrorMessage(), want.Status, want.Code, want.Message)
		}
		if want.Code == "ClientException" {
			var ce *types.ClientException
			if !errors.As(err, &ce) {
				t.Errorf("%s: the SDK did not decode a *types.ClientException from %v", name, err)
			}
		}
	}
	if n := td.jobCount(t); n != 0 {
		t.Errorf("refused SubmitJob calls left %d jobs, want none", n)
	}
}
