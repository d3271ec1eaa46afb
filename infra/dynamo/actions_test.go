package dynamo_test

import (
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/infra/dynamo"
)

func TestActions(t *testing.T) {
	want := []string{
		"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:CreateTable", "dynamodb:DeleteItem",
		"dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive", "dynamodb:GetItem", "dynamodb:PutItem",
		"dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:UpdateTimeToLive",
	}
	if got := dynamo.Actions(); !slices.Equal(got, want) {
		t.Errorf("Actions() = %q, want %q", got, want)
	}
	// Setup actions are some of the calls the package makes.
	for _, a := range dynamo.SetupActions() {
		if !slices.Contains(want, a) {
			t.Errorf("SetupActions() has %s, which Actions() lacks", a)
		}
	}
}
