package dynamo_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tanda-batch/tanda/batch"
)

// indexAttrs are the attributes whose presence follows a job's state
// ("demand", which RUNNABLE jobs carried from d5fd5b3 on, no longer: their
// demand is in queueKey).
var indexAttrs = []string{"queueStatus", "queueKey", "jobQueue", "parent", "childKey", "childStatus", "sweep", "sweepKey", "instance", "ttl", "demand"}

func TestSparseAttributes(t *testing.T) {
	index := 7

	tests := []struct {
		name   string
		status batch.Status
		edit   func(*batch.Job)
		want   map[string]string // attribute: its S or N value
	}{
		{
			name: "submitted", status: batch.Submitted,
			want: map[string]string{
				"queueStatus": "q#SUBMITTED", "queueKey": "000000000001000#j",
				"sweep": "SUBMITTED", "sweepKey": "000000000002000#j",
			},
		},
		{
			name: "runnable", status: batch.Runnable,
			edit: func(j *batch.Job) { j.Internal.RunnableAt, j.Internal.VCPUs, j.Internal.MemoryMiB = 42, 0.5, 1024 },
			want: map[string]string{
				"queueStatus": "q#RUNNABLE", "queueKey": "000000000001000#j#42|0.5|1024|0",
			},
		},
		{
			name: "running", status: batch.Running,
			edit: func(j *batch.Job) {
				j.Internal.RunnableAt = 42
				j.Internal.Instance = "ce/i-1"
				j.Internal.LeaseExpiresAt = 61_000
			},
			want: map[string]string{
				// The lease expiry rounded down to 30 s.
				"queueStatus": "ACTIVE", "queueKey": "000000000060000#j", "jobQueue": "q", "instance": "ce/i-1",
			},
		},
		{
			name: "succeeded", status: batch.Succeeded,
			edit: func(j *batch.Job) { j.Internal.ExpiresAt = 1_700_000_000_500 },
			want: map[string]string{"queueStatus": "q#SUCCEEDED", "queueKey": "000000000001000#j", "ttl": "1700000001"},
		},
		{
			name: "failed without expiry", status: batch.Failed,
			want: map[string]string{"queueStatus": "q#FAILED", "queueKey": "000000000001000#j", "ttl": "1772971200"}, // testNow + 7 days
		},
		{
			name: "array child runnable", status: batch.Runnable,
			edit: func(j *batch.Job) {
				j.Internal.ArrayParent = "p1"
				j.Internal.RunnableAt = 42
				j.ArrayProperties = &batch.ArrayPropertiesDetail{Index: &index}
			},
			want: map[string]string{
				"queueStatus": "q#RUNNABLE", "queueKey": "000000000001000#j#42|0|0|0",
				"parent": "p1", "childKey": "000007", "childStatus": "RUNNABLE",
			},
		},
		{
			name: "array child running", status: batch.Running,
			edit: func(j *batch.Job) {
				j.Internal.ArrayParent = "p1"
				j.Internal.LeaseExpiresAt = 61_000
				j.ArrayProperties = &batch.ArrayPropertiesDetail{Index: &index}
			},
			want: map[string]string{
				"queueStatus": "ACTIVE", "queueKey": "000000000060000#j", "jobQueue": "q",
				"parent": "p1", "childKey": "000007", "childStatus": "RUNNING",
			},
		},
		{
			name: "array child finished", status: batch.Succeeded,
			edit: func(j *batch.Job) {
				j.Internal.ArrayParent = "p1"
				j.ArrayProperties = &batch.ArrayPropertiesDetail{Index: &index}
			},
			want: map[string]string{
				"parent": "p1", "childKey": "000007", "childStatus": "SUCCEEDED", "ttl": "1772971200",
			},
		},
	}
	ctx := context.Background()
	s, client, _, opts := newStore(t)
	// One job moves through the states, so each write must also drop the
	// attributes of the state before.
	job := newJob("j", batch.Submitted)
	if err := s.CreateJobs(ctx, []batch.Job{job}, nil); err != nil {
		t.Fatalf("CreateJobs: %v", err)
	}
	job.Internal.Version = 1
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := newJob("j", tt.status)
			next.Internal.Version = job.Internal.Version
			if tt.edit != nil {
				tt.edit(&next)
			}
			written, err := s.UpdateJob(ctx, next, nil)
			if err != nil {
				t.Fatalf("UpdateJob: %v", err)
			}
			job = written
			got := rawAttrs(t, client, opts.JobsTable, "j")
			for _, name := range indexAttrs {
				gotV, present := got[name]
				wantV, wanted := tt.want[name]
				switch {
				case present != wanted:
					t.Errorf("attribute %s present = %v (%q), want %v", name, present, gotV, wanted)
				case wanted && gotV != wantV:
					t.Errorf("attribute %s = %q, want %q", name, gotV, wantV)
				}
			}
		})
	}
}

// rawAttrs reads a job's item as DynamoDB stores it: its string and number
// attributes by name.
func rawAttrs(t *testing.T, client *dynamodb.Client, table, id string) map[string]string {
	t.Helper()
	out, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil || out.Item == nil {
		t.Fatalf("raw GetItem(%s) = %v, %v", id, out, err)
	}
	attrs := make(map[string]string, len(out.Item))
	for name, v := range out.Item {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			attrs[name] = v.Value
		case *types.AttributeValueMemberN:
			attrs[name] = v.Value
		}
	}
	return attrs
}
