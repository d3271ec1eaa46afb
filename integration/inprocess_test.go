//go:build unix

package integration

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	batchtypes "github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/infra/ec2catalog/catalogtest"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// measureType is the instance type of the measurements' compute
// environments: 2 vCPUs, 8 GiB, in Tanda's catalogue and moto's.
const measureType = "m6i.large"

// inProcess is a stack on moto served by awsserver in the test's own
// process (the code `tanda serve --backend aws` runs), with an AWS Batch
// client signed with the access key it issued.
type inProcess struct {
	srv     *awsserver.Server
	batch   *awsbatch.Client
	ec2     *ec2.Client // moto's EC2, not counted
	stack   awsstack.Settings
	moto    string // moto's endpoint
	logFile string // the server's log
}

// startInProcess opens and runs a server for a stack of its own on moto,
// its AWS calls made with apiOptions (to count them, say), and stops it
// when the test ends. The stack's instances are terminated in moto after
// the server has stopped.
func startInProcess(tb testing.TB, apiOptions ...func(*middleware.Stack) error) *inProcess {
	tb.Helper()
	endpoint := mototest.Endpoint(tb)
	awsCfg := aws.Config{
		Region:       mototest.Region,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  mototest.Credentials(),
		HTTPClient:   awsclient.HTTPClient(),
	}
	plain := awsCfg.Copy()
	awsCfg.APIOptions = apiOptions
	stack := uniqueName("m")
	p := &inProcess{
		ec2:   ec2.NewFromConfig(plain),
		stack: awsstack.Settings{Stack: stack, Region: mototest.Region, Endpoint: endpoint, Runtime: "process", InstanceRole: instanceRole(stack)},
		moto:  endpoint,
	}
	tb.Cleanup(func() { p.terminateInstances(tb) }) // runs last: after the server stopped

	dir := tb.TempDir()
	p.logFile = filepath.Join(dir, "serve.log")
	log, err := os.Create(p.logFile)
	if err != nil {
		tb.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(log, nil))
	ctx, cancel := context.WithCancel(context.Background())
	p.srv, err = awsserver.Open(ctx, awsCfg, awsserver.Config{
		Stack: p.stack, DataDir: filepath.Join(dir, "data"), Listen: "127.0.0.1:0",
		Init: &awsserver.InitOptions{}, Logger: logger, Catalog: catalogtest.Moto(tb),
	})
	if err != nil {
		cancel()
		log.Close()
		tb.Fatalf("opening the server: %v", err)
	}
	p.stack = p.srv.Stack()
	done := make(chan error, 1)
	go func() { done <- p.srv.Run(ctx) }() // ends with cancel, in the cleanup
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("running the server: %v", err)
		}
		log.Close()
		if tb.Failed() {
			showTail(tb, "server log", p.logFile)
		}
	})
	p.batch = p.batchClient(tb)
	return p
}

// batchClient signs with the access key the server wrote to its AWS files
// (profile tanda), as the aws CLI would.
func (p *inProcess) batchClient(tb testing.TB) *awsbatch.Client {
	tb.Helper()
	prof, err := config.LoadSharedConfigProfile(context.Background(), kit.Profile, func(o *config.LoadSharedConfigOptions) {
		o.CredentialsFiles = []string{p.srv.CredentialsFile()}
		o.ConfigFiles = []string{p.srv.ConfigFile()}
	})
	if err != nil {
		tb.Fatalf("reading profile %s: %v", kit.Profile, err)
	}
	return awsbatch.New(awsbatch.Options{
		Region:       prof.Region,
		BaseEndpoint: aws.String(p.srv.Endpoint()),
		Credentials:  credentials.StaticCredentialsProvider{Value: prof.Credentials},
		HTTPClient:   awsclient.HTTPClient(),
	})
}

// createQueue makes a managed EC2 compute environment of measureType in
// the default VPC with the given vCPU bounds, and a job queue on it, and
// returns the queue's name once both are VALID.
func (p *inProcess) createQueue(tb testing.TB, name string, minvCpus, maxvCpus int32) string {
	tb.Helper()
	ctx := context.Background()
	if _, err := p.batch.CreateComputeEnvironment(ctx, &awsbatch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: aws.String(name),
		Type:                   batchtypes.CETypeManaged,
		ComputeResources: &batchtypes.ComputeResource{
			Type: batchtypes.CRTypeEc2, AllocationStrategy: batchtypes.CRAllocationStrategyBestFitProgressive,
			MinvCpus: aws.Int32(minvCpus), MaxvCpus: aws.Int32(maxvCpus), InstanceTypes: []string{measureType},
			Subnets: []string{}, // the default VPC's
		},
	}); err != nil {
		tb.Fatalf("CreateComputeEnvironment: %v", err)
	}
	queue := name + "-queue"
	if _, err := p.batch.CreateJobQueue(ctx, &awsbatch.CreateJobQueueInput{
		JobQueueName: aws.String(queue), Priority: aws.Int32(1),
		ComputeEnvironmentOrder: []batchtypes.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String(name)}},
	}); err != nil {
		tb.Fatalf("CreateJobQueue: %v", err)
	}
	within(tb, time.Minute, "compute environment "+name+" and job queue "+queue+" are VALID", func() (bool, string) {
		ces, err := p.batch.DescribeComputeEnvironments(ctx, &awsbatch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{name}})
		if err != nil || len(ces.ComputeEnvironments) != 1 {
			return false, fmt.Sprintf("DescribeComputeEnvironments: %v", err)
		}
		qs, err := p.batch.DescribeJobQueues(ctx, &awsbatch.DescribeJobQueuesInput{JobQueues: []string{queue}})
		if err != nil || len(qs.JobQueues) != 1 {
			return false, fmt.Sprintf("DescribeJobQueues: %v", err)
		}
		ce, q := ces.ComputeEnvironments[0].Status, qs.JobQueues[0].Status
		return ce == batchtypes.CEStatusValid && q == batchtypes.JQStatusValid, fmt.Sprintf("%s, %s", ce, q)
	})
	return queue
}

// registerDefinition registers a container job definition of 1 vCPU and
// 512 MiB running command.
func (p *inProcess) registerDefinition(tb testing.TB, name string, command ...string) {
	tb.Helper()
	if _, err := p.batch.RegisterJobDefinition(context.Background(), &awsbatch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String(name), Type: batchtypes.JobDefinitionTypeContainer,
		ContainerProperties: &batchtypes.ContainerProperties{
			Image: aws.String("busybox"), Command: command,
			ResourceRequirements: []batchtypes.ResourceRequirement{
				{Type: batchtypes.ResourceTypeVcpu, Value: aws.String("1")},
				{Type: batchtypes.ResourceTypeMemory, Value: aws.String("512")},
			},
		},
	}); err != nil {
		tb.Fatalf("RegisterJobDefinition: %v", err)
	}
}

// submit submits a job and returns its id.
func (p *inProcess) submit(ctx context.Context, name, queue, definition string) (string, error) {
	out, err := p.batch.SubmitJob(ctx, &awsbatch.SubmitJobInput{
		JobName: aws.String(name), JobQueue: aws.String(queue), JobDefinition: aws.String(definition),
	})
	if err != nil {
		return "", fmt.Errorf("submitting %s: %w", name, err)
	}
	return aws.ToString(out.JobId), nil
}

// liveInstances lists the stack's instances in moto that are pending or
// running.
func (p *inProcess) liveInstances(ctx context.Context) ([]ec2types.Instance, error) {
	var all []ec2types.Instance
	pages := ec2.NewDescribeInstancesPaginator(p.ec2, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("tag:" + ec2fleet.TagStack), Values: []string{p.stack.Stack}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running"}},
	}})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing the stack's instances: %w", err)
		}
		for _, r := range page.Reservations {
			all = append(all, r.Instances...)
		}
	}
	return all, nil
}

// terminateInstances terminates whatever the stack left running in moto,
// so that the shared server does not keep it.
func (p *inProcess) terminateInstances(tb testing.TB) {
	ctx := context.Background()
	live, err := p.liveInstances(ctx)
	if err != nil {
		tb.Errorf("cleaning up: %v", err)
		return
	}
	var ids []string
	for _, in := range live {
		ids = append(ids, aws.ToString(in.InstanceId))
	}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		if _, err := p.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids[:n]}); err != nil {
			tb.Errorf("cleaning up: terminating the stack's instances: %v", err)
			return
		}
		ids = ids[n:]
	}
}

// within polls cond every pollEvery until it holds, failing the test or
// benchmark with cond's last word after timeout. These tests drive real
// processes, so there is no clock to move instead.
func within(tb testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s: not after %v (last: %s)", what, timeout, last)
		}
		time.Sleep(pollEvery)
	}
}

// showTail logs the last 16 KiB of a file.
func showTail(tb testing.TB, what, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Logf("%s: %v", what, err)
		return
	}
	const tail = 16 << 10
	if len(data) > tail {
		data = data[len(data)-tail:]
	}
	tb.Logf("%s (tail):\n%s", what, data)
}
