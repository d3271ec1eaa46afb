package awsserver_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tanda-batch/tanda/api/sigv4"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/capacity"
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
	prof := profile(t, srv)
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

// profile is the AWS CLI profile the server wrote.
func profile(t *testing.T, srv *awsserver.Server) config.SharedConfig {
	t.Helper()
	prof, err := config.LoadSharedConfigProfile(context.Background(), kit.Profile, func(o *config.LoadSharedConfigOptions) {
		o.CredentialsFiles = []string{srv.CredentialsFile()}
		o.ConfigFiles = []string{srv.ConfigFile()}
	})
	if err != nil {
		t.Fatalf("reading profile %s: %v", kit.Profile, err)
	}
	return prof
}

// signedGet sends GET path to the server, signed with its profile's key,
// and returns the status and body.
func signedGet(t *testing.T, srv *awsserver.Server, path string) (int, []byte) {
	t.Helper()
	prof := profile(t, srv)
	req, err := http.NewRequest(http.MethodGet, srv.Endpoint()+path, http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	empty := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(context.Background(), prof.Credentials, req, hex.EncodeToString(empty[:]), "batch", prof.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := awsclient.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
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
	checkCapacityHistory(t, srv)
}

// checkCapacityHistory waits for a provisioner pass to see the RUNNABLE
// job of compute environment "ce" (its decision is recorded after the
// pass is reported to the capacity recorder), has the recorder write the
// current minute, as the server does when it stops, and reads it through
// the signed capacity endpoint.
func checkCapacityHistory(t *testing.T, srv *awsserver.Server) {
	t.Helper()
	ctx := context.Background()
	b := srv.Backend()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ce, err := b.Control.ComputeEnvironment(ctx, "ce")
		if err != nil {
			t.Fatal(err)
		}
		if ce.Decision != nil && ce.Decision.DesiredvCpus > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no provisioner decision for the RUNNABLE job: %+v", ce.Decision)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := b.Capacity.Close(ctx); err != nil {
		t.Fatalf("writing the capacity history: %v", err)
	}
	status, body := signedGet(t, srv, "/tanda/v1/capacity?computeEnvironment=ce&hours=1")
	var series capacity.Series
	if err := json.Unmarshal(body, &series); status != http.StatusOK || err != nil {
		t.Fatalf("GET capacity: %d %s (%v)", status, body, err)
	}
	if n := len(series.Samples); n == 0 || series.Samples[n-1].DemandvCpus != 1 {
		t.Errorf("capacity history %s; want the current minute, with the job's 1 vCPU of demand", body)
	}
	status, body = signedGet(t, srv, "/tanda/v1/capacity?computeEnvironment=nope")
	if status != http.StatusBadRequest || !strings.Contains(string(body), "ComputeEnvironment nope not found.") {
		t.Errorf("GET capacity of an unknown compute environment: %d %s, want 400 saying it is not found", status, body)
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
