package dynamo_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
)

func TestSummarizeRunnable(t *testing.T) {
	s, _, _, _ := newStore(t)
	batchtest.CheckSummarizeRunnable(t, s, newJob("base", batch.Submitted))
}

// TestSummarizeRunnableReadsDocumentsOfEntriesWithoutDemand: an index
// entry written before RUNNABLE jobs carried their demand attribute is
// counted from the job's document; a job that is no longer RUNNABLE is
// not counted.
func TestSummarizeRunnableReadsDocumentsOfEntriesWithoutDemand(t *testing.T) {
	ctx := context.Background()
	s, client, _, opts := newStore(t)
	var jobs []batch.Job
	for i, id := range []string{"a", "b", "c"} {
		j := newJob(id, batch.Runnable)
		j.CreatedAt = int64(1000 * (i + 1))
		j.Internal.RunnableAt = j.CreatedAt
		j.Internal.VCPUs, j.Internal.MemoryMiB = 1, 2048
		jobs = append(jobs, j)
	}
	jobs[1].Internal.VCPUs = 4
	if err := s.CreateJobs(ctx, jobs, nil); err != nil {
		t.Fatalf("CreateJobs: %v", err)
	}
	for _, id := range []string{"a", "b"} {
		if _, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:        aws.String(opts.JobsTable),
			Key:              map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
			UpdateExpression: aws.String("REMOVE demand"),
		}); err != nil {
			t.Fatalf("removing the demand of %s: %v", id, err)
		}
	}
	got, err := s.SummarizeRunnable(ctx, batch.DemandQuery{Queue: "q", Limit: 10})
	if err != nil {
		t.Fatalf("SummarizeRunnable: %v", err)
	}
	want := []batch.DemandRun{
		{VCPUs: 1, MemoryMiB: 2048, RunnableAt: 1000, Count: 1},
		{VCPUs: 4, MemoryMiB: 2048, RunnableAt: 2000, Count: 1},
		{VCPUs: 1, MemoryMiB: 2048, RunnableAt: 3000, Count: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("SummarizeRunnable = %+v, want %+v", got, want)
	}

	// "a" has started, and its document says so, but its index entry, as
	// an index may for a moment, still lists it as RUNNABLE.
	started := jobs[0]
	started.Status, started.Internal.Version = batch.Running, 1
	started.Internal.Instance, started.Internal.LeaseExpiresAt = "ce/i-1", 100_000
	if _, err := s.UpdateJob(ctx, started, nil); err != nil {
		t.Fatalf("UpdateJob(a RUNNING): %v", err)
	}
	if _, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(opts.JobsTable),
		Key:              map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "a"}},
		UpdateExpression: aws.String("SET queueStatus = :qs, queueKey = :qk REMOVE demand"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":qs": &types.AttributeValueMemberS{Value: "q#RUNNABLE"},
			":qk": &types.AttributeValueMemberS{Value: "000000000001000#a"},
		},
	}); err != nil {
		t.Fatalf("restoring a's RUNNABLE entry: %v", err)
	}
	got, err = s.SummarizeRunnable(ctx, batch.DemandQuery{Queue: "q", Limit: 10})
	if err != nil {
		t.Fatalf("SummarizeRunnable: %v", err)
	}
	if !slices.Equal(got, want[1:]) {
		t.Errorf("SummarizeRunnable with a's document RUNNING = %+v, want %+v", got, want[1:])
	}
}
