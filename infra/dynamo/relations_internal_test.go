package dynamo

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tanda-batch/tanda/batch"
)

// indexEntry is a child as the children index shows it.
type indexEntry struct {
	id     string
	status batch.Status
}

// staleChildren is a children index that lags the table: its Query
// answers with the entries of index, in index order (or the reverse),
// a page of Limit at a time, while GetItem and BatchGetItem read the
// table (fakeBatchGet's jobs).
type staleChildren struct {
	*fakeBatchGet
	index   []indexEntry
	queries []*dynamodb.QueryInput
	gets    []string
}

func (f *staleChildren) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	if aws.ToString(in.IndexName) != children.name {
		return nil, fmt.Errorf("query of index %q", aws.ToString(in.IndexName))
	}
	asked := *in // the caller may reuse in for its next page
	f.queries = append(f.queries, &asked)
	entries := slices.Clone(f.index)
	if !aws.ToBool(in.ScanIndexForward) && in.ScanIndexForward != nil {
		slices.Reverse(entries)
	}
	if start, ok := in.ExclusiveStartKey[attrID].(*types.AttributeValueMemberS); ok {
		i := slices.IndexFunc(entries, func(e indexEntry) bool { return e.id == start.Value })
		entries = entries[i+1:]
	}
	out := &dynamodb.QueryOutput{}
	if in.Limit != nil && int(*in.Limit) < len(entries) {
		entries = entries[:*in.Limit]
		out.LastEvaluatedKey = map[string]types.AttributeValue{attrID: str(entries[len(entries)-1].id)}
	}
	for _, e := range entries {
		out.Items = append(out.Items, map[string]types.AttributeValue{attrID: str(e.id), attrChildStatus: str(e.status.String())})
	}
	out.Count = int32(len(out.Items))
	out.ScannedCount = out.Count
	return out, nil
}

func (f *staleChildren) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if !aws.ToBool(in.ConsistentRead) {
		return nil, fmt.Errorf("an eventually consistent read of %v", in.Key)
	}
	id := in.Key[attrID].(*types.AttributeValueMemberS).Value
	f.gets = append(f.gets, id)
	j, ok := f.jobs[id]
	if !ok {
		return &dynamodb.GetItemOutput{}, nil
	}
	item, err := jobAttributes(j, 1, testTime)
	if err != nil {
		return nil, err
	}
	return &dynamodb.GetItemOutput{Item: item}, nil
}

// The children index is eventually consistent on DynamoDB: when the last
// child's doorbell reaches its parent, the index may still show the child
// running. CountChildren must count it as the table has it, or the parent
// waits for the sweeper (moto cannot show this: its indexes are current).
func TestCountChildrenRereadsWhatTheIndexShowsUnfinished(t *testing.T) {
	fake := &staleChildren{
		fakeBatchGet: &fakeBatchGet{jobs: map[string]batch.Job{
			"p:0": {JobID: "p:0", Status: batch.Succeeded},
			"p:1": {JobID: "p:1", Status: batch.Succeeded},
			"p:2": {JobID: "p:2", Status: batch.Failed},
		}},
		index: []indexEntry{{"p:0", batch.Succeeded}, {"p:1", batch.Running}, {"p:2", batch.Starting}},
	}
	s := New(fake, Options{JobsTable: "jobs", RetryDelay: 1})
	counts, err := s.CountChildren(context.Background(), "p")
	if err != nil {
		t.Fatalf("CountChildren: %v", err)
	}
	want := map[batch.Status]int{batch.Succeeded: 2, batch.Failed: 1}
	if !maps.Equal(counts, want) {
		t.Errorf("CountChildren = %v, want %v (the table's statuses)", counts, want)
	}
	if fake.calls != 1 {
		t.Errorf("BatchGetItem calls = %d, want 1", fake.calls)
	}
}

// AnyChildOpen must not keep a parent open on the word of a lagging
// index: a child the index shows unfinished but the table shows finished
// is passed over, and the scan goes on to the children before it.
func TestAnyChildOpenPassesOverWhatTheIndexShowsUnfinished(t *testing.T) {
	// Ten children, all finished in the table but for those the test
	// opens; the index still shows 9, 8 and 7 running.
	table := func(open ...string) map[string]batch.Job {
		jobs := map[string]batch.Job{}
		for i := range 10 {
			id := fmt.Sprintf("p:%d", i)
			jobs[id] = batch.Job{JobID: id, Status: batch.Succeeded}
		}
		for _, id := range open {
			jobs[id] = batch.Job{JobID: id, Status: batch.Running}
		}
		delete(jobs, "p:8") // expired: finished long ago
		return jobs
	}
	var index []indexEntry
	for i := range 10 {
		st := batch.Succeeded
		if i >= 7 {
			st = batch.Running
		}
		index = append(index, indexEntry{fmt.Sprintf("p:%d", i), st})
	}
	index[2].status = batch.Runnable // open in the table, as the first case has it
	tests := []struct {
		name     string
		jobs     map[string]batch.Job
		want     bool
		wantGets []string
	}{
		{"none open", table(), false, []string{"p:9", "p:8", "p:7", "p:2"}},
		{"one open before the lagging ones", table("p:2"), true, []string{"p:9", "p:8", "p:7", "p:2"}},
		{"the last one open", table("p:9"), true, []string{"p:9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &staleChildren{fakeBatchGet: &fakeBatchGet{jobs: tt.jobs}, index: index}
			s := New(fake, Options{JobsTable: "jobs", RetryDelay: 1})
			got, err := s.AnyChildOpen(context.Background(), "p")
			if err != nil {
				t.Fatalf("AnyChildOpen: %v", err)
			}
			if got != tt.want {
				t.Errorf("AnyChildOpen = %t, want %t", got, tt.want)
			}
			if !slices.Equal(fake.gets, tt.wantGets) {
				t.Errorf("read %v from the table, want %v", fake.gets, tt.wantGets)
			}
			first := fake.queries[0]
			if aws.ToBool(first.ScanIndexForward) || first.ScanIndexForward == nil || aws.ToInt32(first.Limit) > openScanFirstPage {
				t.Errorf("first Query: ScanIndexForward %v, Limit %d; want false and at most %d", aws.ToBool(first.ScanIndexForward), aws.ToInt32(first.Limit), openScanFirstPage)
			}
		})
	}
}
