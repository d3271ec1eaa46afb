package ec2agent_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/deploy/ec2agent"
	"github.com/tanda-batch/tanda/infra/cwlogs"
	"github.com/tanda-batch/tanda/infra/dynamo"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
)

// motoAgent is an agent running on OpenAWS's backend on moto's server,
// with its control plane.
type motoAgent struct {
	ctl      *control.Service
	w        *world
	cfg      aws.Config // the agent's AWS configuration
	settings awsstack.Settings
	logs     *cwlogs.Store // the stack's job log group
}

// startMotoAgent creates a stack of its own on moto (tables, queues, log
// group, compute environment, job queue and definition) and runs an agent
// on it until the test ends.
func startMotoAgent(t *testing.T) motoAgent {
	t.Helper()
	endpoint := mototest.Endpoint(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	// awsstack.AWSConfig cannot add a CA bundle to its HTTP client, and
	// moto's endpoint needs none.
	t.Setenv("AWS_CA_BUNDLE", "")
	ctx := t.Context()
	quiet := slog.New(slog.DiscardHandler)
	s := awsstack.Settings{
		Stack: fmt.Sprintf("agent%d", time.Now().UnixNano()), Region: mototest.Region, Endpoint: endpoint, Runtime: "process",
	}.WithDefaults()

	be, err := ec2agent.OpenAWS(ctx, s, batch.SystemClock{}, quiet)
	if err != nil {
		t.Fatalf("OpenAWS: %v", err)
	}
	// The stack's resources, as `tanda serve --init` creates them.
	if err := be.Store.(*dynamo.Store).CreateTables(ctx); err != nil {
		t.Fatalf("CreateTables: %v", err)
	}
	for _, q := range []string{control.SubmissionsQueue, control.ReadyQueue(queueName)} {
		if err := be.Queues.(*sqsqueue.Queues).Ensure(ctx, q); err != nil {
			t.Fatalf("creating queue %s: %v", q, err)
		}
	}
	cfg, err := s.AWSConfig(ctx)
	if err != nil {
		t.Fatalf("AWSConfig: %v", err)
	}
	logs := cwlogs.New(cloudwatchlogs.NewFromConfig(cfg), cwlogs.Options{Group: s.LogGroup, Logger: quiet})
	if err := logs.EnsureGroup(ctx); err != nil {
		t.Fatalf("creating log group: %v", err)
	}
	ctl := control.New(be.Store, control.Options{
		Partition: batch.Partition{Region: region, Account: account}, LeaseDuration: lease, Queues: be.Queues,
	})
	w := &world{t: t, ctl: ctl, clock: batchtest.NewClock(time.Now())}
	createStack(t, ctl)

	md := imds.New(newFakeIMDS(t, s).URL, imds.Options{})
	inst, err := ec2agent.Discover(ctx, md, ec2agent.DiscoverOptions{})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	agent, err := ec2agent.New(ctx, inst, be, ec2agent.Config{WorkRoot: t.TempDir(), Logger: quiet})
	if err != nil {
		t.Fatalf("ec2agent.New: %v", err)
	}
	batchtest.RunInBackground(t, agent.Run)
	return motoAgent{ctl: ctl, w: w, cfg: cfg, settings: s, logs: logs}
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
