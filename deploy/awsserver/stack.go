package awsserver

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/dynamo"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
)

// maxReceiveCount is how many times a submissions doorbell is received
// before SQS moves it to the dead-letter queue. Nothing is lost there: the
// sweeper re-rings any job whose doorbell went missing.
const maxReceiveCount = 10

// newQueues returns the stack's SQS queues. Init and the backend make them
// alike, so a queue either creates gets the same dead-letter queue.
func newQueues(api *sqs.Client, st awsstack.Settings, logger *slog.Logger) *sqsqueue.Queues {
	return sqsqueue.New(api, sqsqueue.Options{
		Prefix:          st.QueuePrefix,
		MaxReceiveCount: maxReceiveCount,
		Logger:          logger,
	})
}

// newStore returns the stack's DynamoDB store.
func newStore(api *dynamodb.Client, st awsstack.Settings, queues dynamo.Queues, clock batch.Clock) *dynamo.Store {
	return dynamo.New(api, dynamo.Options{
		JobsTable:  st.JobsTable,
		ItemsTable: st.ItemsTable,
		Clock:      clock,
		Queues:     queues,
	})
}
