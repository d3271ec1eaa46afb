package provisionfn_test

import (
	"slices"
	"testing"

	"github.com/tanda-batch/tanda/deploy/awsserver/provisionfn"
)

func TestActions(t *testing.T) {
	want := []string{"ec2:DescribeInstances", "sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"}
	if got := provisionfn.Actions(); !slices.Equal(got, want) {
		t.Errorf("Actions() = %q, want %q", got, want)
	}
}
