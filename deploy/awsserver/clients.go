package awsserver

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// clients are the AWS service clients Init uses, all from one SDK
// configuration.
type clients struct {
	dynamo *dynamodb.Client
	sqs    *sqs.Client
	ec2    *ec2.Client
	logs   *cloudwatchlogs.Client
	events *eventbridge.Client
}

func newClients(cfg aws.Config) clients {
	return clients{
		dynamo: dynamodb.NewFromConfig(cfg),
		sqs:    sqs.NewFromConfig(cfg),
		ec2:    ec2.NewFromConfig(cfg),
		logs:   cloudwatchlogs.NewFromConfig(cfg),
		events: eventbridge.NewFromConfig(cfg),
	}
}
