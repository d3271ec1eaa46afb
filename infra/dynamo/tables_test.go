package dynamo_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestCreateTables(t *testing.T) {
	ctx := context.Background()
	s, client, _, opts := newStore(t)
	if err := s.CreateTables(ctx); err != nil {
		t.Fatalf("second CreateTables: %v, want nil (idempotent)", err)
	}
	tests := []struct {
		table    string
		wantGSIs []string
	}{
		{opts.JobsTable, []string{"byQueueStatus", "children", "sweep"}},
		{opts.ItemsTable, nil},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(tt.table)})
			if err != nil {
				t.Fatalf("DescribeTable: %v", err)
			}
			d := out.Table
			if d.BillingModeSummary == nil || d.BillingModeSummary.BillingMode != types.BillingModePayPerRequest {
				t.Errorf("billing mode = %+v, want PAY_PER_REQUEST", d.BillingModeSummary)
			}
			var gotGSIs []string
			for _, g := range d.GlobalSecondaryIndexes {
				gotGSIs = append(gotGSIs, aws.ToString(g.IndexName))
			}
			slices.Sort(gotGSIs)
			if !slices.Equal(gotGSIs, tt.wantGSIs) {
				t.Errorf("GSIs = %v, want %v", gotGSIs, tt.wantGSIs)
			}
			ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(tt.table)})
			if err != nil {
				t.Fatalf("DescribeTimeToLive: %v", err)
			}
			got := ttl.TimeToLiveDescription
			if got == nil || got.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(got.AttributeName) != "ttl" {
				t.Errorf("TTL = %+v, want ENABLED on ttl", got)
			}
		})
	}
}
