package ec2agent

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/bootstrap/secrets"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/cwlogs"
	"github.com/tanda-batch/tanda/infra/dynamo"
	"github.com/tanda-batch/tanda/infra/jobevents"
	"github.com/tanda-batch/tanda/infra/secretstores"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
	"github.com/tanda-batch/tanda/infra/stsroles"
)

// OpenAWS connects the agent to its stack's resources named in s: the
// DynamoDB tables, the SQS queues, the CloudWatch Logs group, the
// EventBridge bus, ECR for pulling images (as the instance, or as a job's
// execution role), STS for assuming jobs' roles, and SSM Parameter Store
// and Secrets Manager for their secrets. It creates none of them:
// the SAM stack (or `tanda serve --init`) does.
func OpenAWS(ctx context.Context, s awsstack.Settings, clock batch.Clock, logger *slog.Logger) (Backend, error) {
	cfg, err := s.AWSConfig(ctx)
	if err != nil {
		return Backend{}, err
	}
	queues := sqsqueue.New(sqs.NewFromConfig(cfg), sqsqueue.Options{Prefix: s.QueuePrefix, Logger: logger})
	store := dynamo.New(dynamodb.NewFromConfig(cfg), dynamo.Options{
		JobsTable: s.JobsTable, ItemsTable: s.ItemsTable, Clock: clock, Queues: queues,
	})
	secretStore := secretstores.New(cfg)
	logs := cwlogs.NewRouter(cfg, cwlogs.Options{Group: s.LogGroup, Logger: logger})
	return Backend{
		Store:    store,
		Queues:   queues,
		Logs:     logs,
		Events:   jobevents.New(eventbridge.NewFromConfig(cfg), jobevents.Options{Bus: s.EventBus, Logger: logger}),
		Registry: docker.NewECRAuth(ecr.NewFromConfig(cfg), docker.DockerConfig{}, clock),
		Roles:    stsroles.New(cfg),
		Secrets:  func(role *rolecreds.Session) secrets.Store { return secretStore.As(role) },
		RoleRegistry: func(role *rolecreds.Session) secrets.RegistryAuth {
			return docker.NewECRAuth(ecr.NewFromConfig(cfg, withRole(role)), docker.DockerConfig{}, clock)
		},
	}, nil
}

// withRole makes an ECR client call as role.
func withRole(role *rolecreds.Session) func(*ecr.Options) {
	return func(o *ecr.Options) { o.Credentials = stsroles.Provider(role) }
}

// Connect is what `tanda agent` does first on an instance: it finds out
// from md which instance this is (Discover, with default options) and
// connects to its stack's resources with OpenAWS.
func Connect(ctx context.Context, md Metadata, logger *slog.Logger) (Instance, Backend, error) {
	inst, err := Discover(ctx, md, DiscoverOptions{})
	if err != nil {
		return Instance{}, Backend{}, fmt.Errorf("finding out which instance this is: %w", err)
	}
	be, err := OpenAWS(ctx, inst.Settings, batch.SystemClock{}, logger)
	if err != nil {
		return Instance{}, Backend{}, err
	}
	return inst, be, nil
}
