package ec2agent_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/docker/dockertest"
	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/bootstrap/secrets"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/ec2agent"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/infra/secretstores"
	"github.com/tanda-batch/tanda/infra/sqlite"
	"github.com/tanda-batch/tanda/infra/stsroles"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// TestSecretsInAContainer runs, on a real Docker Engine, jobs whose
// secrets live in moto's SSM Parameter Store and Secrets Manager: the
// container finds them in its environment (it prints their SHA-256, never
// the values), read with the job's execution role assumed on moto's STS,
// or with the agent's own credentials. The distinctive values are then
// looked for everywhere Tanda keeps something: the job's log, the agent's
// own log, the store's files and DescribeJobs; they must be nowhere. A job
// whose parameter does not exist fails before its container starts, with
// ECS's reason.
//
// The containers need no network (the agent reads the secrets): on the
// daemon `make test` starts, which has no bridge, they get none.
func TestSecretsInAContainer(t *testing.T) {
	endpoint := mototest.Endpoint(t)
	daemon, err := dockertest.Connect()
	dockertest.Need(t, err)
	defer daemon.Close()
	ctx := t.Context()
	image, err := dockertest.ImportJobProg(ctx, daemon)
	if err != nil {
		t.Fatalf("importing the test image: %v", err)
	}

	unique := fmt.Sprintf("%d", time.Now().UnixNano())
	password := "pw-" + unique + "-Xq7Lr"
	apiKey := "key-" + unique + "-Mz3Tn"
	motoCfg := aws.Config{Region: mototest.Region, Credentials: mototest.Credentials(), BaseEndpoint: aws.String(endpoint), HTTPClient: awsclient.HTTPClient()}
	param := "/tanda-test/" + unique + "/db-password"
	if _, err := ssm.NewFromConfig(motoCfg).PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String(param), Value: aws.String(password), Type: ssmtypes.ParameterTypeSecureString,
	}); err != nil {
		t.Fatalf("PutParameter: %v", err)
	}
	secret, err := secretsmanager.NewFromConfig(motoCfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("tanda-test-" + unique), SecretString: aws.String(`{"user":"svc","apiKey":"` + apiKey + `"}`),
	})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}

	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "tanda.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	defer db.Close()
	ctl := control.New(db, control.Options{Partition: batch.Partition{Region: region, Account: account}, LeaseDuration: lease, Queues: db})
	createStack(t, ctl)
	const execRole = "arn:aws:iam::123456789012:role/exec"
	list := []batch.Secret{{Name: "DB_PASSWORD", ValueFrom: param}, {Name: "API_KEY", ValueFrom: aws.ToString(secret.ARN) + ":apiKey::"}}
	for _, def := range []struct {
		name, role string
		secrets    []batch.Secret
	}{
		{"with-execution-role", execRole, list},
		{"own-credentials", "", list},
		{"missing", "", []batch.Secret{{Name: "DB_PASSWORD", ValueFrom: param + "-missing"}}},
	} {
		if _, err := ctl.RegisterJobDefinition(ctx, &batch.RegisterJobDefinitionInput{
			JobDefinitionName: def.name, Type: batch.DefinitionTypeContainer,
			ContainerProperties: &batch.ContainerProperties{
				Image: image, Command: []string{"/jobprog", "sha256env", "DB_PASSWORD", "API_KEY"},
				ExecutionRoleArn: def.role, Secrets: def.secrets,
				ResourceRequirements: []batch.ResourceRequirement{{Type: batch.ResourceVCPU, Value: "1"}, {Type: batch.ResourceMemory, Value: "64"}},
			},
		}); err != nil {
			t.Fatalf("RegisterJobDefinition(%s): %v", def.name, err)
		}
	}

	var agentLog bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &agentLog}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rt, err := docker.New(docker.Options{Logger: logger})
	if err != nil {
		t.Fatalf("docker.New: %v", err)
	}
	fake := newFakeIMDS(t, testSettings)
	inst, err := ec2agent.Discover(ctx, imds.New(fake.URL, imds.Options{}), ec2agent.DiscoverOptions{})
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	store := secretstores.New(motoCfg)
	logs := &memLogs{streams: map[string][]string{}}
	agent, err := ec2agent.New(ctx, inst, ec2agent.Backend{
		Store: db, Queues: db, Logs: logs, Roles: stsroles.New(motoCfg),
		Secrets: func(role *rolecreds.Session) secrets.Store { return store.As(role) },
	}, ec2agent.Config{Runtime: rt, WorkRoot: t.TempDir(), Logger: logger, KeepCredentialsAddress: true})
	if err != nil {
		t.Fatalf("ec2agent.New: %v", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(runCtx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
	}
	defer stop()

	run := func(def string) batch.Job {
		t.Helper()
		out, err := ctl.SubmitJob(ctx, &batch.SubmitJobInput{JobName: def, JobQueue: queueName, JobDefinition: def})
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
	output := func(j batch.Job) string {
		logs.mu.Lock()
		defer logs.mu.Unlock()
		return strings.Join(logs.streams[j.Attempts[len(j.Attempts)-1].Container.LogStreamName], "\n")
	}
	sum := func(v string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(v))) }

	var ids []string
	for _, def := range []string{"with-execution-role", "own-credentials"} {
		j := run(def)
		ids = append(ids, j.JobID)
		if j.Status != batch.Succeeded {
			t.Fatalf("job %s: %s (%s); its log:\n%s", def, j.Status, j.StatusReason, output(j))
		}
		for _, want := range []string{"DB_PASSWORD sha256=" + sum(password), "API_KEY sha256=" + sum(apiKey)} {
			if !strings.Contains(output(j), want) {
				t.Errorf("job %s: its log lacks %q:\n%s", def, want, output(j))
			}
		}
	}
	if out := output(mustJob(t, ctl, ids[0])); !strings.Contains(out, "2 secrets read with execution role "+execRole) {
		t.Errorf("the first job's log does not say it read as its execution role:\n%s", out)
	}
	if out := output(mustJob(t, ctl, ids[1])); !strings.Contains(out, "2 secrets read with the agent's own credentials") {
		t.Errorf("the second job's log does not say it read with the agent's credentials:\n%s", out)
	}

	j := run("missing")
	ids = append(ids, j.JobID)
	const msg = "unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: invalid ssm parameters: "
	a := j.Attempts[len(j.Attempts)-1]
	if j.Status != batch.Failed || a.Container.Reason != "ResourceInitializationError: "+msg+param+"-missing" || a.Container.ExitCode != nil ||
		a.StatusReason != "Task failed to start: "+msg+param+"-missing" {
		t.Errorf("the job whose parameter is missing: %s, attempt %+v; want FAILED with ECS's reason and no exit code", j.Status, a)
	}
	if strings.Contains(output(j), "sha256=") {
		t.Errorf("the job whose parameter is missing ran:\n%s", output(j))
	}

	// Nowhere a value: the jobs' logs, the agent's log, DescribeJobs and
	// the store's files.
	desc, err := ctl.DescribeJobs(ctx, &batch.DescribeJobsInput{Jobs: ids})
	if err != nil {
		t.Fatalf("DescribeJobs: %v", err)
	}
	described, _ := json.Marshal(desc)
	if !strings.Contains(string(described), `"valueFrom":"`+param+`"`) {
		t.Errorf("DescribeJobs does not show the secrets' valueFrom: %s", described)
	}
	stop()
	db.Close()
	places := map[string][]byte{"DescribeJobs": described}
	logs.mu.Lock()
	for stream, lines := range logs.streams {
		places["log stream "+stream] = []byte(strings.Join(lines, "\n"))
	}
	logs.mu.Unlock()
	places["the agent's log"] = agentLog.Bytes()
	files, _ := filepath.Glob(filepath.Join(dir, "tanda.db*"))
	if len(files) == 0 {
		t.Fatal("no store files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		places[f] = b
	}
	for where, b := range places {
		for _, v := range []string{password, apiKey} {
			if bytes.Contains(b, []byte(v)) {
				t.Errorf("%s holds a secret's value %q", where, v)
			}
		}
	}
}

// lockedWriter serialises the agent's log writes.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func mustJob(t *testing.T, ctl *control.Service, id string) batch.Job {
	t.Helper()
	j, err := ctl.Job(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}
