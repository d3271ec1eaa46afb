package ec2agent_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/docker/dockertest"
	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/ec2agent"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/infra/sqlite"
	"github.com/tanda-batch/tanda/infra/stsroles"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// TestJobRoleCredentialsInAContainer runs, on a real Docker Engine, a job
// whose program uses the AWS SDK's default credential chain: with a
// jobRoleArn it finds the role's credentials at the agent's endpoint (and
// nowhere else: the agent's own credentials are in its environment, not
// the container's), reads an S3 object from moto and writes another; a job
// without a role finds no credentials.
//
// The containers run on the host's network: the daemon `make test` starts
// has no bridge (scripts/dockerd.sh), and moto listens on 127.0.0.1. The
// endpoint is then on 127.0.0.1 too; on a bridge it is on 169.254.170.2
// (rolecreds.Listen), which this test does not add to the machine.
func TestJobRoleCredentialsInAContainer(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	image := dockertest.AWSProg(t)
	ctx := t.Context()

	// The agent's own credentials, as an instance role's would be: the
	// jobs must not see them.
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDAGENT")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "agent-secret")
	motoCfg := aws.Config{Region: mototest.Region, Credentials: mototest.Credentials(), BaseEndpoint: aws.String(endpoint), HTTPClient: awsclient.HTTPClient()}
	s3c := s3.NewFromConfig(motoCfg, func(o *s3.Options) { o.UsePathStyle = true })
	bucket := "jobrole-" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("in/data.txt"), Body: strings.NewReader("hello")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}

	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "tanda.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	defer db.Close()
	ctl := control.New(db, control.Options{Partition: batch.Partition{Region: region, Account: account}, LeaseDuration: lease, Queues: db})
	createStack(t, ctl)
	const role = "arn:aws:iam::123456789012:role/reader"
	env := []batch.KeyValuePair{
		{Name: "AWS_REGION", Value: mototest.Region}, {Name: "AWS_ENDPOINT_URL", Value: endpoint},
		// The test machine has no IMDS; this spares the SDK its timeouts
		// (on EC2, the hop limit of 1 keeps containers from it).
		{Name: "AWS_EC2_METADATA_DISABLED", Value: "true"},
		{Name: "IN_BUCKET", Value: bucket}, {Name: "IN_KEY", Value: "in/data.txt"},
	}
	for _, def := range []struct{ name, role string }{{"with-role", role}, {"without-role", ""}} {
		if _, err := ctl.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
			JobDefinitionName: def.name, Type: batch.DefinitionTypeContainer,
			ContainerProperties: &batch.ContainerProperties{
				Image: image, Command: []string{"/awsprog"}, JobRoleArn: def.role, Environment: env,
				ResourceRequirements: []batch.ResourceRequirement{{Type: batch.ResourceVCPU, Value: "1"}, {Type: batch.ResourceMemory, Value: "128"}},
			},
		}); err != nil {
			t.Fatalf("RegisterJobDefinition(%s): %v", def.name, err)
		}
	}

	quiet := slog.New(slog.DiscardHandler)
	rt, err := docker.New(docker.Options{Network: "host", Allow: docker.Allow{HostNetwork: true}, Logger: quiet})
	if err != nil {
		t.Fatalf("docker.New: %v", err)
	}
	fake := newFakeIMDS(t, testSettings)
	inst, err := ec2agent.Discover(ctx, imds.New(fake.URL, imds.Options{}), ec2agent.DiscoverOptions{})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	logs := &memLogs{streams: map[string][]string{}}
	agent, err := ec2agent.New(ctx, inst, ec2agent.Backend{Store: db, Queues: db, Logs: logs, Roles: stsroles.New(motoCfg)}, ec2agent.Config{
		Runtime: rt, WorkRoot: t.TempDir(), Logger: quiet, KeepCredentialsAddress: true,
	})
	if err != nil {
		t.Fatalf("ec2agent.New: %v", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	run := func(def string, outKey string) batch.Job {
		t.Helper()
		in := &batch.SubmitJobInput{JobName: def, JobQueue: queueName, JobDefinition: def}
		in.ContainerOverrides = &batch.ContainerOverrides{Environment: []batch.KeyValuePair{{Name: "OUT_KEY", Value: outKey}}}
		out, err := ctl.SubmitJob(ctx, in)
		if err != nil {
			t.Fatalf("SubmitJob(%s): %v", def, err)
		}
		deadline := time.Now().Add(time.Minute)
		for {
			j, err := ctl.Job(ctx, out.JobID)
			if err != nil {
				t.Fatalf("reading job: %v", err)
			}
			if j.Status.Terminal() {
				return j
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s still %s after a minute", def, j.Status)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	stream := func(j batch.Job) string { return j.Attempts[len(j.Attempts)-1].Container.LogStreamName }
	output := func(j batch.Job) string {
		logs.mu.Lock()
		defer logs.mu.Unlock()
		return strings.Join(logs.streams[stream(j)], "\n")
	}

	j := run("with-role", "out/with-role.txt")
	if j.Status != batch.Succeeded {
		t.Fatalf("the job with a role: %s (%s); its log:\n%s", j.Status, j.StatusReason, output(j))
	}
	for _, want := range []string{
		"credentials from CredentialsEndpointProvider",
		"caller arn:aws:sts::123456789012:assumed-role/reader/tanda-" + j.JobID + "-1",
		"job role " + role + ": credentials (session tanda-" + j.JobID + "-1) at AWS_CONTAINER_CREDENTIALS_FULL_URI",
	} {
		if !strings.Contains(output(j), want) {
			t.Errorf("the job's log lacks %q:\n%s", want, output(j))
		}
	}
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("out/with-role.txt")})
	if err != nil {
		t.Fatalf("the job's output object: %v", err)
	}
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(body) != "processed: hello" {
		t.Errorf("output object = %q, want %q", body, "processed: hello")
	}

	j = run("without-role", "out/without-role.txt")
	if j.Status != batch.Failed || j.Attempts[0].Container.ExitCode == nil || *j.Attempts[0].Container.ExitCode != 3 {
		t.Fatalf("the job without a role: %s, attempts %+v; want FAILED with exit code 3 (no credentials); its log:\n%s", j.Status, j.Attempts, output(j))
	}
	if !strings.Contains(output(j), "no credentials") || strings.Contains(output(j), "caller ") {
		t.Errorf("the job without a role found credentials:\n%s", output(j))
	}
	if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("out/without-role.txt")}); err == nil {
		t.Error("the job without a role wrote its object")
	}
}
