package dynamo

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/tanda-batch/tanda/batch"
)

// fakeBatchGet answers BatchGetItem from jobs, leaving the last key of
// each request unprocessed for the first `stingy` calls.
type fakeBatchGet struct {
	dynamoAPI
	jobs   map[string]batch.Job
	stingy int
	calls  int
}

func (f *fakeBatchGet) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	f.calls++
	out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
	for table, ka := range in.RequestItems {
		if len(ka.Keys) > getJobsChunk {
			return nil, fmt.Errorf("%d keys in one request", len(ka.Keys))
		}
		keys := ka.Keys
		if f.calls <= f.stingy {
			out.UnprocessedKeys = map[string]types.KeysAndAttributes{table: {Keys: keys[len(keys)-1:]}}
			keys = keys[:len(keys)-1]
		}
		for _, k := range keys {
			id := k[attrID].(*types.AttributeValueMemberS).Value
			j, ok := f.jobs[id]
			if !ok {
				continue
			}
			item, err := jobAttributes(j, 1, testTime)
			if err != nil {
				return nil, err
			}
			out.Responses[table] = append(out.Responses[table], item)
		}
	}
	return out, nil
}

func TestGetJobsRetriesUnprocessedKeys(t *testing.T) {
	tests := []struct {
		name      string
		stingy    int
		wantJobs  int
		wantCalls int
		wantErr   error
	}{
		{name: "all processed", stingy: 0, wantJobs: 3, wantCalls: 1},
		{name: "two retries", stingy: 2, wantJobs: 3, wantCalls: 3},
		{name: "never processed", stingy: 100, wantCalls: unprocessedRetries + 1, wantErr: batch.ErrThrottled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeBatchGet{stingy: tt.stingy, jobs: map[string]batch.Job{}}
			for _, id := range []string{"a", "b", "c"} {
				fake.jobs[id] = batch.Job{JobID: id, Status: batch.Submitted}
			}
			s := New(fake, Options{JobsTable: "jobs", RetryDelay: 1})
			jobs, err := s.GetJobs(context.Background(), []string{"a", "b", "c", "missing"})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("GetJobs error = %v, want %v", err, tt.wantErr)
			}
			if len(jobs) != tt.wantJobs {
				t.Errorf("GetJobs returned %d jobs, want %d", len(jobs), tt.wantJobs)
			}
			if fake.calls != tt.wantCalls {
				t.Errorf("BatchGetItem called %d times, want %d", fake.calls, tt.wantCalls)
			}
		})
	}
}

func TestCreateJobsRefusesMoreThanATransaction(t *testing.T) {
	s := New(nil, Options{JobsTable: "jobs"}) // no call may reach the API
	jobs := make([]batch.Job, maxTransactItems+1)
	for i := range jobs {
		jobs[i] = batch.Job{JobID: fmt.Sprintf("j%d", i)}
	}
	if err := s.CreateJobs(context.Background(), jobs, nil); err == nil {
		t.Errorf("CreateJobs(%d jobs) error = nil, want one", len(jobs))
	}
}

func TestJobAttributesRoundTrip(t *testing.T) {
	j := batch.Job{JobID: "j", JobName: "n", Status: batch.Running, CreatedAt: 5}
	j.Internal = batch.JobInternal{QueueName: "q", Attempt: 3, Instance: "ce/i", Version: 99}
	item, err := jobAttributes(j, 4, testTime)
	if err != nil {
		t.Fatalf("jobAttributes: %v", err)
	}
	got, err := decodeJob(item)
	if err != nil {
		t.Fatalf("decodeJob: %v", err)
	}
	want := j
	want.Internal.Version = 4
	if got.JobID != want.JobID || got.JobName != want.JobName || got.Status != want.Status ||
		got.CreatedAt != want.CreatedAt || got.Internal != want.Internal {
		t.Errorf("decodeJob(jobAttributes(j)) = %+v, want %+v", got, want)
	}
	if _, err := jobAttributes(batch.Job{}, 1, testTime); err == nil {
		t.Error("jobAttributes(job without id) error = nil, want one")
	}
}

// testTime is the internal tests' clock time.
var testTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
