package local

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/docker/dockertest"
)

// startDockerTanda runs Tanda with the Docker runtime and registers a job
// definition for the test image.
func startDockerTanda(t testing.TB, mutate ...func(*Config)) (*tanda, string) {
	t.Helper()
	daemon, err := dockertest.Connect()
	dockertest.Need(t, err)
	t.Cleanup(func() { daemon.Close() })
	image, err := dockertest.ImportJobProg(context.Background(), daemon)
	if err != nil {
		t.Fatalf("making the test image: %v", err)
	}
	rt, err := docker.New(docker.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close() })
	cfg := fastConfig(t.TempDir())
	cfg.Runtime = rt
	for _, m := range mutate {
		m(&cfg)
	}
	td := runTanda(t, cfg)
	if _, err := td.client.RegisterJobDefinition(context.Background(), &awsbatch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String("jobprog"),
		Type:              types.JobDefinitionTypeContainer,
		ContainerProperties: &types.ContainerProperties{
			Image:   aws.String(image),
			Command: []string{"/jobprog", "lines", "3", "50", "0"},
			ResourceRequirements: []types.ResourceRequirement{
				{Type: types.ResourceTypeVcpu, Value: aws.String("1")},
				{Type: types.ResourceTypeMemory, Value: aws.String("64")},
			},
		},
	}); err != nil {
		t.Fatalf("RegisterJobDefinition: %v", err)
	}
	return td, "jobprog"
}

func TestImageJobRunsInDocker(t *testing.T) {
	t.Parallel()
	td, def := startDockerTanda(t)
	if td.RuntimeName() != "docker" {
		t.Fatalf("runtime = %s, want docker", td.RuntimeName())
	}
	id := td.submit(t, &awsbatch.SubmitJobInput{JobDefinition: aws.String(def)})
	j := td.waitDone(t, id, 60*time.Second)
	if j.Status != types.JobStatusSucceeded {
		t.Fatalf("job = %s (%s, %s)", j.Status, aws.ToString(j.StatusReason), aws.ToString(j.Container.Reason))
	}
	if !strings.HasPrefix(aws.ToString(j.Container.LogStreamName), def+"/default/") {
		t.Errorf("logStreamName = %q, want %s/default/<task>", aws.ToString(j.Container.LogStreamName), def)
	}
	lines := td.logLines(t, id)
	for _, want := range []string{"start", "line 1", "line 3"} {
		if !containsPrefix(lines, want) {
			t.Errorf("log = %q, want a line starting %q", lines, want)
		}
	}

	// The job's environment reaches the container; a failing exit fails the job.
	envID := td.submit(t, &awsbatch.SubmitJobInput{JobDefinition: aws.String(def),
		ContainerOverrides: &types.ContainerOverrides{Command: []string{"/jobprog", "env"}}})
	if j := td.waitDone(t, envID, 60*time.Second); j.Status != types.JobStatusSucceeded {
		t.Fatalf("env job = %s", j.Status)
	}
	if lines := td.logLines(t, envID); !contains(lines, "env AWS_BATCH_JOB_ID="+envID) {
		t.Errorf("env job's log = %q, want AWS_BATCH_JOB_ID=%s", lines, envID)
	}
	failID := td.submit(t, &awsbatch.SubmitJobInput{JobDefinition: aws.String(def),
		ContainerOverrides: &types.ContainerOverrides{Command: []string{"/jobprog", "exit", "3"}}})
	if j := td.waitDone(t, failID, 60*time.Second); j.Status != types.JobStatusFailed || aws.ToInt32(j.Container.ExitCode) != 3 {
		t.Errorf("exit-3 job = %s with exit code %d", j.Status, aws.ToInt32(j.Container.ExitCode))
	}
}

func containsPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}
