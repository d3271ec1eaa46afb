package ec2agent_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/tanda-batch/tanda/api/agentapi"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/deploy/ec2agent"
	"github.com/tanda-batch/tanda/infra/agentid"
	"github.com/tanda-batch/tanda/infra/cwlogs"
	"github.com/tanda-batch/tanda/infra/dynamo"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/infra/ec2instances"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
)

// motoAgent is an agent running on OpenAWS's backend on moto's server,
// with its control plane and the agent API it makes its writes through.
type motoAgent struct {
	ctl      *control.Service
	w        *world
	cfg      aws.Config // the control plane's AWS configuration
	settings awsstack.Settings
	logs     *cwlogs.Store // the stack's job log group
	// instance is the agent's instance in moto's EC2, and session the
	// instance role's credentials on it.
	instance string
	session  aws.Credentials
	// api is the agent API's URL.
	api string
}

// startMotoAgent creates a stack of its own on moto (tables, queues, log
// group, compute environment, job queue and definition), launches an
// instance of it in moto's EC2, serves the agent API on 127.0.0.1, and
// runs the instance's agent until the test ends, with the credentials EC2
// would give it: a session of the instance role named after the instance
// (moto's STS AssumeRole with RoleSessionName set to its id).
func startMotoAgent(t *testing.T) motoAgent {
	t.Helper()
	endpoint := mototest.Endpoint(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	// awsstack.AWSConfig cannot add a CA bundle to its HTTP client, and
	// moto's endpoint needs none.
	t.Setenv("AWS_CA_BUNDLE", "")
	ctx := t.Context()
	quiet := slog.New(slog.DiscardHandler)
	stack := fmt.Sprintf("agent%d", time.Now().UnixNano())
	s := awsstack.Settings{
		Stack: stack, Region: mototest.Region, Endpoint: endpoint, Runtime: "process", InstanceRole: stack + "-InstanceRole",
	}.WithDefaults()
	cfg, err := s.AWSConfig(ctx)
	if err != nil {
		t.Fatalf("AWSConfig: %v", err)
	}

	// The stack's resources, as `tanda serve --init` creates them.
	queues := sqsqueue.New(sqs.NewFromConfig(cfg), sqsqueue.Options{Prefix: s.QueuePrefix, Logger: quiet})
	store := dynamo.New(dynamodb.NewFromConfig(cfg), dynamo.Options{JobsTable: s.JobsTable, ItemsTable: s.ItemsTable, Queues: queues})
	if err := store.CreateTables(ctx); err != nil {
		t.Fatalf("CreateTables: %v", err)
	}
	for _, q := range []string{control.SubmissionsQueue, control.ReadyQueue(queueName)} {
		if err := queues.Ensure(ctx, q); err != nil {
			t.Fatalf("creating queue %s: %v", q, err)
		}
	}
	logs := cwlogs.New(cloudwatchlogs.NewFromConfig(cfg), cwlogs.Options{Group: s.LogGroup, Logger: quiet})
	if err := logs.EnsureGroup(ctx); err != nil {
		t.Fatalf("creating log group: %v", err)
	}
	ctl := control.New(store, control.Options{
		Partition: batch.Partition{Region: region, Account: account}, LeaseDuration: lease, Queues: queues,
	})
	w := &world{t: t, ctl: ctl, clock: batchtest.NewClock(time.Now())}
	createStack(t, ctl)

	m := motoAgent{ctl: ctl, w: w, cfg: cfg, settings: s, logs: logs}
	m.instance, m.session = launchInstance(t, cfg, s, ceName)
	m.api = serveAgentAPI(t, cfg, s, ctl)
	m.settings.AgentAPI = m.api

	// The agent, as on the instance: its identity from IMDS, its
	// credentials the instance role's.
	t.Setenv("AWS_ACCESS_KEY_ID", m.session.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", m.session.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", m.session.SessionToken)
	be, err := ec2agent.OpenAWS(ctx, m.settings, batch.SystemClock{}, quiet)
	if err != nil {
		t.Fatalf("OpenAWS: %v", err)
	}
	fake := newFakeIMDS(t, m.settings)
	fake.set(identityPath, fmt.Sprintf(`{"accountId":%q,"availabilityZone":"us-east-1a","instanceId":%q,"instanceType":%q,"region":%q}`,
		account, m.instance, instanceType, region))
	inst, err := ec2agent.Discover(ctx, imds.New(fake.URL, imds.Options{}), ec2agent.DiscoverOptions{})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	agent, err := ec2agent.New(ctx, inst, be, ec2agent.Config{WorkRoot: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatalf("ec2agent.New: %v", err)
	}
	batchtest.RunInBackground(t, agent.Run)
	return m
}

// launchInstance launches an instance of stack s in compute environment
// ce in moto's EC2 and returns its id and the instance role's session on
// it, as EC2 names it: the session name is the instance id.
func launchInstance(t *testing.T, cfg aws.Config, s awsstack.Settings, ce string) (string, aws.Credentials) {
	t.Helper()
	ctx := t.Context()
	out, err := ec2.NewFromConfig(cfg).RunInstances(ctx, &ec2.RunInstancesInput{
		ImageId: aws.String("ami-0123456789abcdef0"), InstanceType: ec2types.InstanceType(instanceType),
		MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: []ec2types.Tag{
			{Key: aws.String(ec2fleet.TagStack), Value: aws.String(s.Stack)},
			{Key: aws.String(ec2fleet.TagComputeEnvironment), Value: aws.String(ce)},
		}}},
	})
	if err != nil {
		t.Fatalf("RunInstances: %v", err)
	}
	id := aws.ToString(out.Instances[0].InstanceId)
	return id, assumeInstanceRole(t, cfg, s.InstanceRole, id)
}

// assumeInstanceRole is role's session named session, from moto's STS.
func assumeInstanceRole(t *testing.T, cfg aws.Config, role, session string) aws.Credentials {
	t.Helper()
	out, err := sts.NewFromConfig(cfg).AssumeRole(t.Context(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + account + ":role/" + role), RoleSessionName: aws.String(session),
	})
	if err != nil {
		t.Fatalf("AssumeRole(%s, %s): %v", role, session, err)
	}
	c := out.Credentials
	return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}
}

// serveAgentAPI serves the agent API over ctl on 127.0.0.1, checking
// identities with moto's STS and instances with moto's EC2, and returns
// its URL.
func serveAgentAPI(t *testing.T, cfg aws.Config, s awsstack.Settings, ctl *control.Service) string {
	t.Helper()
	endpoint, err := agentid.STSEndpoint(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	auth := &agentapi.Authenticator{
		STSEndpoint: endpoint, STSRegion: s.Region,
		Account: account, InstanceRole: s.InstanceRole, Stack: s.Stack,
		Instances: ec2instances.New(ec2.NewFromConfig(cfg)), HTTP: http.DefaultClient, Clock: batch.SystemClock{},
	}
	srv := httptest.NewServer(agentapi.New(ctl, auth, agentapi.Options{Logger: slog.New(slog.DiscardHandler)}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestAgentOnMoto runs a job end to end through OpenAWS's backend on moto's
// server: DynamoDB, SQS and CloudWatch Logs.
func TestAgentOnMoto(t *testing.T) {
	m := startMotoAgent(t)
	ctx := t.Context()
	out, err := m.ctl.SubmitJob(ctx, &batch.SubmitJobInput{
		JobName: "hello", JobQueue: queueName, JobDefinition: defName,
		ContainerOverrides: &batch.ContainerOverrides{Command: []string{"echo", "hello from moto"}},
	})
	if err != nil {
		t.Fatalf("SubmitJob: %v", err)
	}
	j := m.w.waitStatus(out.JobID, batch.Succeeded)
	var lines []string
	waitFor(t, "the job's output in CloudWatch Logs", func() bool {
		events, _, err := m.logs.Read(ctx, logStream(j), "", 100)
		lines = lines[:0]
		for _, e := range events {
			lines = append(lines, e.Message)
		}
		return err == nil && strings.Contains(strings.Join(lines, "\n"), "hello from moto")
	})
}

// TestInstanceCredentialsOnMoto makes calls with instances' own
// credentials, sessions of moto's STS, against the agent API that the
// agent of startMotoAgent uses, and checks that what an instance may not
// do is refused and writes nothing: another instance of the same compute
// environment writing the attempt the agent holds, and identities that
// are not a session of the stack's instance role on one of its running
// instances. (That the instance role cannot write the tables or queues
// directly is IAM's to refuse, which moto does not enforce: see
// internal/templatecheck, TestInstanceRoleWritesNothing.)
func TestInstanceCredentialsOnMoto(t *testing.T) {
	m := startMotoAgent(t)
	ctx := t.Context()
	out, err := m.ctl.SubmitJob(ctx, &batch.SubmitJobInput{
		JobName: "long", JobQueue: queueName, JobDefinition: defName,
		ContainerOverrides: &batch.ContainerOverrides{Command: []string{"sleep", "60"}},
	})
	if err != nil {
		t.Fatalf("SubmitJob: %v", err)
	}
	held := m.w.waitStatus(out.JobID, batch.Running)
	if held.Internal.Instance != m.instance {
		t.Fatalf("job runs on %q, want the agent's instance %s", held.Internal.Instance, m.instance)
	}
	client := func(creds aws.Credentials) *agentapi.Client {
		endpoint, err := agentid.STSEndpoint(ctx, m.cfg)
		if err != nil {
			t.Fatal(err)
		}
		serverID, _ := agentid.ServerID(m.api)
		return &agentapi.Client{
			Endpoint: m.api, HTTP: http.DefaultClient, Tries: 1, Doorbells: noDoorbells{},
			Identity: &agentid.Signer{Credentials: credentials.StaticCredentialsProvider{Value: creds}, Endpoint: endpoint, Region: region, ServerID: serverID, Clock: batch.SystemClock{}},
		}
	}
	// Another instance of the stack, in the same compute environment.
	_, otherCreds := launchInstance(t, m.cfg, m.settings, ceName)
	other := client(otherCreds)
	zero := 0
	for op, call := range map[string]func() error{
		"heartbeat": func() error { _, err := other.HeartbeatHeld(ctx, held); return err },
		"finish":    func() error { _, err := other.FinishHeld(ctx, held, batch.AttemptOutcome{ExitCode: &zero}); return err },
	} {
		if err := call(); !errors.Is(err, control.ErrLeaseLost) {
			t.Errorf("another instance's %s of the held attempt: err = %v, want ErrLeaseLost", op, err)
		}
	}
	if err := other.ReportInstance(ctx, control.InstanceRecord{ID: m.instance, VCPUs: 1}); err == nil {
		t.Errorf("another instance reported the agent's instance")
	}
	// Identities that are not the stack's instance role on its instances.
	for name, creds := range map[string]aws.Credentials{
		"the instance role, in a session not named after an instance":  assumeInstanceRole(t, m.cfg, m.settings.InstanceRole, "admin"),
		"the instance role, named after an instance EC2 does not know": assumeInstanceRole(t, m.cfg, m.settings.InstanceRole, "i-0fedcba9876543210"),
		"another role, in a session named after the agent's instance":  assumeInstanceRole(t, m.cfg, "SomeOtherRole", m.instance),
		"the static credentials of an IAM user":                        {AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"},
	} {
		_, err := client(creds).HeartbeatHeld(ctx, held)
		var ce *agentapi.CallError
		if !errors.As(err, &ce) || ce.Status != http.StatusForbidden {
			t.Errorf("%s: heartbeat err = %v, want 403", name, err)
		}
	}
	if got, err := m.ctl.Job(ctx, held.JobID); err != nil || got.Status != batch.Running || got.Internal.Instance != m.instance || got.Internal.Attempt != held.Internal.Attempt {
		t.Errorf("the held job after refused calls: %v on %s attempt %d, %v; want RUNNING on %s attempt %d",
			got.Status, got.Internal.Instance, got.Internal.Attempt, err, m.instance, held.Internal.Attempt)
	}
}

// noDoorbells deletes nothing: these clients claim nothing.
type noDoorbells struct{}

func (noDoorbells) Delete(context.Context, string, string) error { return nil }
