package local

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/docker/dockertest"
)

// dockerSamples is how many jobs one iteration of the Docker benchmark runs.
const dockerSamples = 20

// BenchmarkDockerSubmitToRunning measures, on warm capacity with the image
// cached, the time from calling SubmitJob to the job being RUNNING (its
// container started; startedAt in the store, set right after the start),
// and to SUCCEEDED for a container that exits at once.
func BenchmarkDockerSubmitToRunning(b *testing.B) {
	daemon, err := dockertest.Connect()
	dockertest.Need(b, err)
	defer daemon.Close()
	image, err := dockertest.ImportJobProg(context.Background(), daemon)
	if err != nil {
		b.Fatalf("making the test image: %v", err)
	}
	rt, err := docker.New(docker.Options{Logger: testLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	td := startBench(b, rt, 8)
	client := td.benchClient()
	ctx := context.Background()
	if _, err := client.RegisterJobDefinition(ctx, &awsbatch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String("jobprog"), Type: types.JobDefinitionTypeContainer,
		ContainerProperties: &types.ContainerProperties{
			Image: aws.String(image), Command: []string{"/jobprog", "exit", "0"},
			ResourceRequirements: []types.ResourceRequirement{
				{Type: types.ResourceTypeVcpu, Value: aws.String("1")},
				{Type: types.ResourceTypeMemory, Value: aws.String("64")},
			},
		},
	}); err != nil {
		b.Fatalf("RegisterJobDefinition: %v", err)
	}
	var toRunning, toDone []time.Duration
	for b.Loop() {
		for range dockerSamples {
			start := time.Now()
			res, err := client.SubmitJob(ctx, &awsbatch.SubmitJobInput{
				JobName: aws.String("bench"), JobQueue: aws.String(benchQueue), JobDefinition: aws.String("jobprog"),
			})
			if err != nil {
				b.Fatalf("SubmitJob: %v", err)
			}
			j := td.waitJob(b, aws.ToString(res.JobId), time.Millisecond)
			if j.Status.String() != "SUCCEEDED" {
				b.Fatalf("job %s = %s (%s)", j.JobID, j.Status, j.StatusReason)
			}
			toDone = append(toDone, time.Since(start))
			toRunning = append(toRunning, time.UnixMilli(j.StartedAt).Sub(start))
		}
	}
	b.ReportMetric(millis(percentile(toRunning, 50)), "running-p50-ms")
	b.ReportMetric(millis(percentile(toRunning, 99)), "running-p99-ms")
	b.ReportMetric(millis(percentile(toDone, 50)), "succeeded-p50-ms")
}
