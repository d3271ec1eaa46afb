package awsserver_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tanda-batch/tanda/api/sigv4"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/infra/ec2catalog/catalogtest"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// serve opens and runs a server for st until the test ends.
func serve(t *testing.T, awsCfg aws.Config, st awsstack.Settings) *awsserver.Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := awsserver.Open(ctx, awsCfg, awsserver.Config{
		Stack: st, DataDir: filepath.Join(t.TempDir(), "data"), Listen: "127.0.0.1:0",
		Init: &awsserver.InitOptions{}, Logger: quiet(), Catalog: catalogtest.Moto(t),
	})
	if err != nil {
		cancel()
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(cancel)
	batchtest.RunInBackground(t, srv.Run)
	return srv
}

// batchClient signs with the access key the server wrote, read from its
// files the way the AWS CLI reads them with AWS_PROFILE=tanda.
func batchClient(t *testing.T, srv *awsserver.Server) *batch.Client {
	t.Helper()
	for _, f := range []string{srv.CredentialsFile(), srv.ConfigFile(), srv.KeyFile()} {
		if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want mode 0600", f, err)
		}
	}
	prof, err := config.LoadSharedConfigProfile(context.Background(), kit.Profile, func(o *config.LoadSharedConfigOptions) {
		o.CredentialsFiles = []string{srv.CredentialsFile()}
		o.ConfigFiles = []string{srv.ConfigFile()}
	})
	if err != nil {
		t.Fatalf("reading profile %s: %v", kit.Profile, err)
	}
	if prof.Region != srv.Stack().Region {
		t.Errorf("profile region = %q, want %q", prof.Region, srv.Stack().Region)
	}
	return batch.New(batch.Options{
		Region:       prof.Region,
		BaseEndpoint: aws.String(srv.Endpoint()),
		Credentials:  credentials.StaticCredentialsProvider{Value: prof.Credentials},
		HTTPClient:   awsclient.HTTPClient(),
	})
}

func TestServedAPI(t *testing.T) {
	awsCfg, st := motoStack(t)
	srv := serve(t, awsCfg, st)
	if _, ok := srv.IssuedKey(); !ok {
		t.Errorf("first start issued no access key")
	}
	client := batchClient(t, srv)
	ctx := context.Background()

	zero, four := int32(0), int32(4)
	if _, err := client.CreateComputeEnvironment(ctx, &batch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: aws.String("ce"),
		Type:                   types.CETypeManaged,
		ComputeResources: &types.ComputeResource{
			Type: types.CRTypeEc2, MinvCpus: &zero, MaxvCpus: &four, InstanceTypes: []string{"m6i.large"},
			Subnets: []string{}, // the default VPC's
		},
	}); err != nil {
		t.Fatalf("CreateComputeEnvironment: %v", err)
	}
	if _, err := client.CreateJobQueue(ctx, &batch.CreateJobQueueInput{
		JobQueueName: aws.String("q"), Priority: aws.Int32(1),
		ComputeEnvironmentOrder: []types.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String("ce")}},
	}); err != nil {
		t.Fatalf("CreateJobQueue: %v", err)
	}
	ready := sqsqueue.SQSName(st.QueuePrefix, control.ReadyQueue("q"))
	if _, err := sqs.NewFromConfig(awsCfg).GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(ready)}); err != nil {
		t.Errorf("ready queue %s after CreateJobQueue: %v", ready, err)
	}
	if _, err := client.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String("def"), Type: types.JobDefinitionTypeContainer,
		ContainerProperties: &types.ContainerProperties{
			Image: aws.String("busybox"), Command: []string{"echo", "hi"},
			ResourceRequirements: []types.ResourceRequirement{
				{Type: types.ResourceTypeVcpu, Value: aws.String("1")},
				{Type: types.ResourceTypeMemory, Value: aws.String("512")},
			},
		},
	}); err != nil {
		t.Fatalf("RegisterJobDefinition: %v", err)
	}
	sub, err := client.SubmitJob(ctx, &batch.SubmitJobInput{
		JobName: aws.String("hello"), JobQueue: aws.String("q"), JobDefinition: aws.String("def"),
	})
	if err != nil {
		t.Fatalf("SubmitJob: %v", err)
	}
	// The scheduler takes the job from SUBMITTED to RUNNABLE through the
	// submissions queue on SQS; no agent runs in this test to go further.
	deadline := time.Now().Add(15 * time.Second)
	var job types.JobDetail
	for {
		out, err := client.DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: []string{aws.ToString(sub.JobId)}})
		if err != nil || len(out.Jobs) != 1 {
			t.Fatalf("DescribeJobs: %d jobs, %v", len(out.Jobs), err)
		}
		job = out.Jobs[0]
		if job.Status == types.JobStatusRunnable || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if job.Status != types.JobStatusRunnable || aws.ToString(job.JobName) != "hello" {
		t.Errorf("job %s = %s %s, want hello RUNNABLE", aws.ToString(sub.JobId), aws.ToString(job.JobName), job.Status)
	}
	if want := "arn:aws:batch:" + st.Region + ":"; !strings.HasPrefix(aws.ToString(job.JobArn), want) {
		t.Errorf("job ARN = %s, want one starting %s", aws.ToString(job.JobArn), want)
	}
}

func TestServedAPIRejectsUnknownKeys(t *testing.T) {
	awsCfg, st := motoStack(t)
	srv := serve(t, awsCfg, st)
	client := batch.New(batch.Options{
		Region: st.Region, BaseEndpoint: aws.String(srv.Endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider("TKIAAAAAAAAAAAAAAAAA", "not-the-secret", ""),
		HTTPClient:  awsclient.HTTPClient(),
	})
	_, err := client.DescribeJobQueues(context.Background(), &batch.DescribeJobQueuesInput{})
	var ae interface{ ErrorCode() string }
	if !errors.As(err, &ae) || ae.ErrorCode() != sigv4.CodeUnrecognizedClient {
		t.Errorf("DescribeJobQueues with an unknown key = %v, want UnrecognizedClientException", err)
	}
}

func TestOpenNeedsARegion(t *testing.T) {
	_, err := awsserver.Open(context.Background(), aws.Config{}, awsserver.Config{
		Stack: awsstack.Settings{Stack: "s"}, DataDir: t.TempDir(), Logger: quiet(),
	})
	if err == nil || !strings.Contains(err.Error(), "region") {
		t.Errorf("Open without a region = %v, want an error naming the region", err)
	}
}
