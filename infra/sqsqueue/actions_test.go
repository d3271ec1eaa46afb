package sqsqueue_test

import (
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/infra/sqsqueue"
)

func TestActions(t *testing.T) {
	want := []string{
		"sqs:ChangeMessageVisibility", "sqs:CreateQueue", "sqs:DeleteMessage", "sqs:DeleteQueue",
		"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:SendMessage",
	}
	if got := sqsqueue.Actions(); !slices.Equal(got, want) {
		t.Errorf("Actions() = %q, want %q", got, want)
	}
	// Setup actions are some of the calls the package makes.
	for _, a := range sqsqueue.SetupActions() {
		if !slices.Contains(want, a) {
			t.Errorf("SetupActions() has %s, which Actions() lacks", a)
		}
	}
}
