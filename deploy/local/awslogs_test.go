package local

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
)

// TestAwslogsOptionsOnOneMachine checks log settings under `tanda up`:
// the log of a job whose definition names an awslogs group and stream
// prefix stays in the local store, under the stream name AWS Batch would
// give it, which DescribeJobs reports and the logs endpoint reads; a
// definition with another log driver is refused, through the SDK, with a
// ClientException naming awslogs, and nothing is registered.
func TestAwslogsOptionsOnOneMachine(t *testing.T) {
	td := startTanda(t)
	ctx := context.Background()
	props := func(lc *types.LogConfiguration) *types.ContainerProperties {
		return &types.ContainerProperties{
			Image: aws.String("busybox"), Command: []string{"echo", "hello from the local store"},
			ResourceRequirements: []types.ResourceRequirement{
				{Type: types.ResourceTypeVcpu, Value: aws.String("1")}, {Type: types.ResourceTypeMemory, Value: aws.String("64")},
			},
			LogConfiguration: lc,
		}
	}
	if _, err := td.client.RegisterJobDefinition(ctx, &awsbatch.RegisterJobDefinitionInput{
		JobDefinitionName: aws.String("awslogs"), Type: types.JobDefinitionTypeContainer,
		ContainerProperties: props(&types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
			"awslogs-group": "/my/app", "awslogs-stream-prefix": "etl",
		}}),
	}); err != nil {
		t.Fatalf("RegisterJobDefinition: %v", err)
	}
	id := td.submit(t, &awsbatch.SubmitJobInput{JobDefinition: aws.String("awslogs")})
	j := td.waitDone(t, id, 30*time.Second)
	if j.Status != types.JobStatusSucceeded {
		t.Fatalf("job %s: %s (%s)", id, j.Status, aws.ToString(j.StatusReason))
	}
	stream := "etl/default/" + id + "-1"
	if got := aws.ToString(j.Container.LogStreamName); got != stream {
		t.Errorf("container.logStreamName = %q, want %q", got, stream)
	}
	if got := aws.ToString(j.Attempts[0].Container.LogStreamName); got != stream {
		t.Errorf("attempts[0].container.logStreamName = %q, want %q", got, stream)
	}
	if lines := td.logLines(t, id); !slices.Contains(lines, "hello from the local store") {
		t.Errorf("the job's log read through the logs endpoint = %q, want its output", lines)
	}

	for _, driver := range []types.LogDriver{types.LogDriverJsonFile, types.LogDriverSplunk, types.LogDriverAwsfirelens} {
		_, err := td.client.RegisterJobDefinition(ctx, &awsbatch.RegisterJobDefinitionInput{
			JobDefinitionName: aws.String("other-driver"), Type: types.JobDefinitionTypeContainer,
			ContainerProperties: props(&types.LogConfiguration{LogDriver: driver}),
		})
		var ce *types.ClientException
		if !errors.As(err, &ce) || !strings.Contains(ce.ErrorMessage(), "is not supported by Tanda") || !strings.Contains(ce.ErrorMessage(), "use awslogs") {
			t.Errorf("RegisterJobDefinition with %s = %v, want a ClientException naming awslogs", driver, err)
		}
	}
	defs, err := td.client.DescribeJobDefinitions(ctx, &awsbatch.DescribeJobDefinitionsInput{JobDefinitionName: aws.String("other-driver")})
	if err != nil {
		t.Fatalf("DescribeJobDefinitions: %v", err)
	}
	if len(defs.JobDefinitions) != 0 {
		t.Errorf("refused registrations left %d job definitions", len(defs.JobDefinitions))
	}
}
