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

func TestStaleJobs(t *testing.T) {
	s, _, _, _ := newStore(t)
	batchtest.CheckStaleJobs(t, s, newJob("base", batch.Submitted))
}

// TestSummarizeRunnableReadsDocumentsOfEntriesWithoutDemand: an index
// entry written before RUNNABLE jobs' keys carried their demand (a stack
// upgraded with jobs waiting), or whose demand this version cannot read
// (a later version's), is counted from the job's document, in its place
// in the queue; one with a demand is counted from its key alone; a job
// that is no longer RUNNABLE is not counted.
func TestSummarizeRunnableReadsDocumentsOfEntriesWithoutDemand(t *testing.T) {
	ctx := context.Background()
	s, client, _, opts := newStore(t)
	var jobs []batch.Job
	for i, id := range []string{"a", "b", "c", "d"} {
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
	setQueueKey(t, client, opts.JobsTable, "a", "q#RUNNABLE", "000000000001000#a")
	setQueueKey(t, client, opts.JobsTable, "b", "q#RUNNABLE", "000000000002000#b")
	// c's key says 2 vCPUs, its document 1: the key is what is read.
	setQueueKey(t, client, opts.JobsTable, "c", "q#RUNNABLE", "000000000003000#c#3000|2|2048|0")
	setQueueKey(t, client, opts.JobsTable, "d", "q#RUNNABLE", "000000000004000#d#4000|1|2048|0|ssd")
	got, err := s.SummarizeRunnable(ctx, batch.DemandQuery{Queue: "q", Limit: 10})
	if err != nil {
		t.Fatalf("SummarizeRunnable: %v", err)
	}
	want := []batch.DemandRun{
		{VCPUs: 1, MemoryMiB: 2048, RunnableAt: 1000, Count: 1},
		{VCPUs: 4, MemoryMiB: 2048, RunnableAt: 2000, Count: 1},
		{VCPUs: 2, MemoryMiB: 2048, RunnableAt: 3000, Count: 1},
		{VCPUs: 1, MemoryMiB: 2048, RunnableAt: 4000, Count: 1},
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
	setQueueKey(t, client, opts.JobsTable, "a", "q#RUNNABLE", "000000000001000#a")
	got, err = s.SummarizeRunnable(ctx, batch.DemandQuery{Queue: "q", Limit: 10})
	if err != nil {
		t.Fatalf("SummarizeRunnable: %v", err)
	}
	if !slices.Equal(got, want[1:]) {
		t.Errorf("SummarizeRunnable with a's document RUNNING = %+v, want %+v", got, want[1:])
	}
}

// setQueueKey rewrites a job's byQueueStatus entry behind the store's
// back, as an older version wrote it or as a lagging index still shows it.
func setQueueKey(t *testing.T, client *dynamodb.Client, table, id, partition, key string) {
	t.Helper()
	if _, err := client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName:        aws.String(table),
		Key:              map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
		UpdateExpression: aws.String("SET queueStatus = :qs, queueKey = :qk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":qs": &types.AttributeValueMemberS{Value: partition},
			":qk": &types.AttributeValueMemberS{Value: key},
		},
	}); err != nil {
		t.Fatalf("setting the byQueueStatus entry of %s to %s %s: %v", id, partition, key, err)
	}
}
