package dynamo_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/capacity"
	"github.com/tanda-batch/tanda/provisioner"
)

// TestCapacityHistory records a compute environment's minutes through the
// store on moto and reads them back: the items carry DynamoDB's TTL, and
// the history reads only the window asked for.
func TestCapacityHistory(t *testing.T) {
	ctx := context.Background()
	s, client, _, opts := newStore(t)
	start := testNow.Truncate(time.Minute)
	clock := batchtest.NewClock(start)
	rec := capacity.NewRecorder(s, capacity.RecorderOptions{Clock: clock})
	for i := range 5 {
		rec.Pass(provisioner.PassReport{ComputeEnvironment: "ce", DemandvCpus: float64(i), DesiredvCpus: i})
		rec.Pass(provisioner.PassReport{ComputeEnvironment: "ce-2", DemandvCpus: 100})
		clock.Advance(time.Minute)
	}
	if err := rec.Close(ctx); err != nil {
		t.Fatalf("writing the samples: %v", err)
	}

	h := capacity.NewHistory(s, nil, clock)
	got, err := h.Samples(ctx, "ce", start.Add(time.Minute), start.Add(4*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var demand []float64
	for _, smp := range got {
		demand = append(demand, smp.DemandvCpus)
	}
	if len(demand) != 3 || demand[0] != 1 || demand[2] != 3 {
		t.Errorf("demand of minutes 1 to 3 = %v, want [1 2 3]", demand)
	}

	out, err := client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(opts.ItemsTable),
		Key: map[string]types.AttributeValue{
			"kind": &types.AttributeValueMemberS{Value: batch.KindCapacity},
			"key":  &types.AttributeValueMemberS{Value: fmt.Sprintf("ce#%015d", start.UnixMilli())},
		},
	})
	if err != nil || out.Item == nil {
		t.Fatalf("reading the first sample's item: %v, %v", out, err)
	}
	ttl, ok := out.Item["ttl"].(*types.AttributeValueMemberN)
	if want := strconv.FormatInt(start.Add(time.Minute+capacity.DefaultRetention).Unix(), 10); !ok || ttl.Value != want {
		t.Errorf("ttl = %v, want %s (epoch seconds: the minute's end + a day)", out.Item["ttl"], want)
	}
}
