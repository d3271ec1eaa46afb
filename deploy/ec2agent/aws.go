package ec2agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tanda-batch/tanda/api/agentapi"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/bootstrap/secrets"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/agentid"
	"github.com/tanda-batch/tanda/infra/cwlogs"
	"github.com/tanda-batch/tanda/infra/secretstores"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
	"github.com/tanda-batch/tanda/infra/stsroles"
)

// OpenAWS connects the agent to its stack: the agent API (Settings.
// AgentAPI), through which it makes every write, with its identity signed
// by the instance role (infra/agentid); the ready queues it receives
// doorbells from (SQS); the CloudWatch Logs group; ECR for pulling images
// (as the instance, or as a job's execution role); STS for assuming
// jobs' roles; and SSM Parameter Store and Secrets Manager for their
// secrets. It creates none of them: the SAM stack (or `tanda serve
// --init`) does.
func OpenAWS(ctx context.Context, s awsstack.Settings, clock batch.Clock, logger *slog.Logger) (Backend, error) {
	if s.AgentAPI == "" {
		return Backend{}, errors.New("the agent settings name no agent API (agentApi): launch the instance from the stack's current launch template")
	}
	cfg, err := s.AWSConfig(ctx)
	if err != nil {
		return Backend{}, err
	}
	ctl, queues, err := agentAPI(ctx, cfg, s, clock, logger)
	if err != nil {
		return Backend{}, err
	}
	secretStore := secretstores.New(cfg)
	logs := cwlogs.NewRouter(cfg, cwlogs.Options{Group: s.LogGroup, Logger: logger})
	return Backend{
		Control:  ctl,
		Queues:   queues,
		Logs:     logs,
		Registry: docker.NewECRAuth(ecr.NewFromConfig(cfg), docker.DockerConfig{}, clock),
		Roles:    stsroles.New(cfg),
		Secrets:  func(role *rolecreds.Session) secrets.Store { return secretStore.As(role) },
		RoleRegistry: func(role *rolecreds.Session) secrets.RegistryAuth {
			return docker.NewECRAuth(ecr.NewFromConfig(cfg, withRole(role)), docker.DockerConfig{}, clock)
		},
	}, nil
}

// apiTimeout bounds one call of the agent API.
const apiTimeout = 30 * time.Second

// agentAPI is the agent API's client for the instance whose credentials
// cfg has, deleting claimed jobs' doorbells from the ready queues it
// returns.
func agentAPI(ctx context.Context, cfg aws.Config, s awsstack.Settings, clock batch.Clock, logger *slog.Logger) (*agentapi.Client, *sqsqueue.Queues, error) {
	if cfg.Credentials == nil {
		return nil, nil, errors.New("no AWS credentials: the agent signs its identity with the instance role's")
	}
	serverID, err := agentid.ServerID(s.AgentAPI)
	if err != nil {
		return nil, nil, err
	}
	endpoint, err := agentid.STSEndpoint(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	queues := sqsqueue.New(sqs.NewFromConfig(cfg), sqsqueue.Options{Prefix: s.QueuePrefix, Logger: logger})
	return &agentapi.Client{
		Endpoint:  s.AgentAPI,
		Identity:  &agentid.Signer{Credentials: cfg.Credentials, Endpoint: endpoint, Region: s.Region, ServerID: serverID, Clock: clock},
		Doorbells: queues,
		HTTP:      &http.Client{Timeout: apiTimeout},
		Clock:     clock,
		Logger:    logger.With("component", "agentapi"),
	}, queues, nil
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
