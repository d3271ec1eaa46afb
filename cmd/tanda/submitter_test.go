//go:build linux

package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"

	"github.com/tanda-batch/tanda/deploy/local"
)

// startsEnv names the file each test job appends `JOB_ID ATTEMPT` to as
// it begins: the job-side half of the ledger.
const startsEnv = "TANDA_TEST_STARTS"

// jobSpec is one job the crash test submits.
type jobSpec struct {
	kind      string
	name      string
	script    string // sh script run once the start is recorded
	attempts  int32  // retry strategy attempts; 0 for none
	arraySize int32  // 0 for a plain job
	dependsOn string // job id, or ""
}

// submitter submits test jobs to the default queue and records the
// acknowledged ones in a ledger.
type submitter struct {
	client *awsbatch.Client
	ledger *ledger
	starts string // path of the starts file
}

// submit submits spec and records its job id once Tanda acknowledges it.
func (s submitter) submit(ctx context.Context, spec jobSpec) (string, error) {
	in := &awsbatch.SubmitJobInput{
		JobName:       aws.String(spec.name),
		JobQueue:      aws.String(local.DefaultJobQueue),
		JobDefinition: aws.String(local.ExampleJobDefinition),
		ContainerOverrides: &types.ContainerOverrides{
			Command:     []string{"sh", "-c", `echo "$AWS_BATCH_JOB_ID $AWS_BATCH_JOB_ATTEMPT" >> "$` + startsEnv + `"; ` + spec.script},
			Environment: []types.KeyValuePair{{Name: aws.String(startsEnv), Value: aws.String(s.starts)}},
		},
	}
	if spec.attempts > 0 {
		in.RetryStrategy = &types.RetryStrategy{Attempts: aws.Int32(spec.attempts)}
	}
	if spec.arraySize > 0 {
		in.ArrayProperties = &types.ArrayProperties{Size: aws.Int32(spec.arraySize)}
	}
	if spec.dependsOn != "" {
		in.DependsOn = []types.JobDependency{{JobId: aws.String(spec.dependsOn)}}
	}
	res, err := s.client.SubmitJob(ctx, in)
	if err != nil {
		return "", fmt.Errorf("submitting %s: %w", spec.name, err)
	}
	id := aws.ToString(res.JobId)
	s.ledger.ack(id, spec.kind)
	return id, nil
}

// listAllJobs lists every job of the default queue in any status (array
// children excepted), following pages.
func listAllJobs(ctx context.Context, c *awsbatch.Client) ([]types.JobSummary, error) {
	in := &awsbatch.ListJobsInput{
		JobQueue: aws.String(local.DefaultJobQueue),
		// A filter lists jobs of every status; this one matches them all.
		Filters: []types.KeyValuesPair{{Name: aws.String("AFTER_CREATED_AT"), Values: []string{"0"}}},
	}
	var out []types.JobSummary
	for p := awsbatch.NewListJobsPaginator(c, in); p.HasMorePages(); {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing jobs: %w", err)
		}
		out = append(out, pg.JobSummaryList...)
	}
	return out, nil
}
