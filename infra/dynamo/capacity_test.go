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
	"github.com/tanda-batch/tanda/infra/dynamo"
	"github.com/tanda-batch/tanda/infra/dynamo/dynamotest"
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

// TestCapacityCost measures what the capacity history of one compute
// environment costs in DynamoDB request units over an hour, recorded as
// the provisioner function records it (a pass every 2 s; an invocation a
// minute, each closing its recorder before the next takes over), and
// what reading the hour back costs.
func TestCapacityCost(t *testing.T) {
	ctx := context.Background()
	stack := uniqueStack(t)
	meter := dynamotest.NewMeter(motoDynamo(t))
	s := dynamo.New(meter, dynamo.Options{JobsTable: stack + "-jobs", ItemsTable: stack + "-items"})
	if err := s.CreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	clock := batchtest.NewClock(testNow.Truncate(time.Minute).Add(17 * time.Second))
	before := meter.Usage()
	for range 60 { // invocations
		rec := capacity.NewRecorder(s, capacity.RecorderOptions{Clock: clock})
		for range 30 { // passes
			rec.Pass(provisioner.PassReport{
				ComputeEnvironment: "ce", MinvCpus: 0, MaxvCpus: 256, DesiredvCpus: 96,
				DemandvCpus: 1234.5, DemandJobs: 1234,
				Instances: []provisioner.Instance{{ID: "i-1", VCPUs: 96, State: provisioner.InstanceRunning}},
				Loads:     map[string]provisioner.Load{"i-1": {UsedVCPUs: 95.5}},
			})
			if err := rec.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			clock.Advance(2 * time.Second)
		}
		if err := rec.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	recorded := meter.Usage().Sub(before)
	h := capacity.NewHistory(s, nil, clock)
	before = meter.Usage()
	samples, err := h.Samples(ctx, "ce", clock.Now().Add(-2*time.Hour), clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	read := meter.Usage().Sub(before)
	// The hour touched 61 minutes (20:00:17 to 21:00:17 wall clock).
	if len(samples) != 61 || recorded.WriteUnits != len(samples) {
		t.Errorf("%d samples stored with %d write units, want 61 with one unit each", len(samples), recorded.WriteUnits)
	}
	t.Logf("an hour of one compute environment: %d write units, %.1f read units, %d requests; reading it back: %.1f read units in %d requests",
		recorded.WriteUnits, recorded.ReadUnits(), recorded.Requests, read.ReadUnits(), read.Requests)
}
