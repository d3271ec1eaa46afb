package sqsqueue

import "github.com/tanda-batch/tanda/internal/iamactions"

// Actions are the IAM actions of every SQS call this package can make (the
// methods of its sqsAPI; SendMessageBatch is authorised as sqs:SendMessage).
func Actions() []string { return iamactions.Of("sqs", (*sqsAPI)(nil)) }

// SetupActions are the Actions that create and delete queues: only Ensure,
// DeleteQueue and Options.CreateMissing call them. Whoever creates and
// deletes job queues (and so their ready queues) needs them; the agents and
// the scheduler do not.
func SetupActions() []string {
	return []string{"sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes"}
}
