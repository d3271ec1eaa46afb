package dynamo

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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

// fakeBatchWrite leaves the last write of each request unprocessed for
// the first `stingy` calls, and counts the writes it takes.
type fakeBatchWrite struct {
	dynamoAPI
	stingy, calls, written int
}

func (f *fakeBatchWrite) BatchWriteItem(_ context.Context, in *dynamodb.BatchWriteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	f.calls++
	out := &dynamodb.BatchWriteItemOutput{}
	for table, writes := range in.RequestItems {
		if len(writes) > batchWriteChunk {
			return nil, fmt.Errorf("%d writes in one request", len(writes))
		}
		if f.calls <= f.stingy {
			out.UnprocessedItems = map[string][]types.WriteRequest{table: writes[len(writes)-1:]}
			writes = writes[:len(writes)-1]
		}
		f.written += len(writes)
	}
	return out, nil
}

func TestAddDependentsRetriesUnprocessedWrites(t *testing.T) {
	tests := []struct {
		name        string
		stingy      int
		wantWritten int
		wantErr     error
	}{
		{name: "all processed", stingy: 0, wantWritten: 30},
		{name: "two retries", stingy: 2, wantWritten: 30},
		{name: "never processed", stingy: 1000, wantErr: batch.ErrThrottled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeBatchWrite{stingy: tt.stingy}
			s := New(fake, Options{ItemsTable: "items", RetryDelay: 1})
			var edges []batch.Dependency
			for i := range 30 {
				edges = append(edges, batch.Dependency{On: "a", Dependent: fmt.Sprintf("d%d", i)})
			}
			edges = append(edges, edges[0]) // a repeat is written once
			err := s.AddDependents(context.Background(), edges)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("AddDependents error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && fake.written != tt.wantWritten {
				t.Errorf("wrote %d edges, want %d", fake.written, tt.wantWritten)
			}
		})
	}
}

func TestCursorRejectsForeignTokens(t *testing.T) {
	queuePlan, _ := planFor(batch.JobQuery{Queue: "q"})
	childPlan, _ := planFor(batch.JobQuery{ArrayParent: "p"})
	token := cursor{After: make([]string, len(queuePlan.parts)), Done: make([]bool, len(queuePlan.parts))}.encode(queuePlan)
	if _, err := decodeCursor(token, queuePlan); err != nil {
		t.Errorf("decodeCursor(own token) = %v, want nil", err)
	}
	for _, bad := range []string{"%%%", "bm90IGpzb24", token + "x"} {
		if _, err := decodeCursor(bad, queuePlan); !batch.IsClientError(err) {
			t.Errorf("decodeCursor(%q) = %v, want a client error", bad, err)
		}
	}
	if _, err := decodeCursor(token, childPlan); !batch.IsClientError(err) {
		t.Errorf("decodeCursor(queue token, children plan) = %v, want a client error", err)
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

// retriedPut applies a PutItem, then answers as DynamoDB answers the SDK's
// retry of a call whose first answer was lost: the condition fails, with
// the item the first try wrote.
type retriedPut struct {
	dynamoAPI
	item map[string]types.AttributeValue
}

func (f *retriedPut) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if f.item == nil {
		f.item = in.Item
	}
	return nil, &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed"), Item: f.item}
}

func TestUpdateJobTakesARetriedWriteAsItsOwn(t *testing.T) {
	ctx := context.Background()
	job := batch.Job{JobID: "j", Status: batch.Running, Internal: batch.JobInternal{QueueName: "q", Version: 3}}
	fake := &retriedPut{}
	s := New(fake, Options{JobsTable: "jobs", Clock: fixedTime{testTime}})
	got, err := s.UpdateJob(ctx, job, nil)
	if err != nil {
		t.Fatalf("UpdateJob whose retry found its own write: %v", err)
	}
	if got.Internal.Version != 4 {
		t.Errorf("version = %d, want 4", got.Internal.Version)
	}
	// Another writer's item at that version, even with the same
	// document, is a conflict.
	s2 := New(&retriedPut{item: mustAttributes(t, job, 4)}, Options{JobsTable: "jobs", Clock: fixedTime{testTime}})
	if _, err := s2.UpdateJob(ctx, job, nil); !errors.Is(err, batch.ErrConflict) {
		t.Errorf("UpdateJob against another write = %v, want ErrConflict", err)
	}
}

// fixedTime is a clock that does not move.
type fixedTime struct{ t time.Time }

func (c fixedTime) Now() time.Time { return c.t }

func mustAttributes(t *testing.T, j batch.Job, version int64) map[string]types.AttributeValue {
	t.Helper()
	m, err := jobAttributes(j, version, testTime)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCreateJobsTakesARetriedWriteAsItsOwn(t *testing.T) {
	s := New(&retriedPut{}, Options{JobsTable: "jobs", Clock: fixedTime{testTime}})
	job := batch.Job{JobID: "new", Status: batch.Runnable, Internal: batch.JobInternal{QueueName: "q"}}
	if err := s.CreateJobs(context.Background(), []batch.Job{job}, nil); err != nil {
		t.Errorf("CreateJobs whose retry found its own write: %v", err)
	}
	s2 := New(&retriedPut{item: mustAttributes(t, job, 1)}, Options{JobsTable: "jobs", Clock: fixedTime{testTime}})
	if err := s2.CreateJobs(context.Background(), []batch.Job{job}, nil); !errors.Is(err, batch.ErrConflict) {
		t.Errorf("CreateJobs of an existing job = %v, want ErrConflict", err)
	}
}
