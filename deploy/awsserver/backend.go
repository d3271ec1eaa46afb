package awsserver

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/tanda-batch/tanda/api/agentapi"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/capacity"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/infra/dynamo"
	"github.com/tanda-batch/tanda/infra/jobevents"
	"github.com/tanda-batch/tanda/infra/sqsqueue"
	"github.com/tanda-batch/tanda/internal/metrics"
	"github.com/tanda-batch/tanda/provisioner"
)

// BackendOptions tune a Backend; zero values take the defaults.
type BackendOptions struct {
	// Account is the account in ARNs when STS does not say whose the
	// credentials are (DefaultAccount).
	Account string
	// IdleGrace is how long an idle instance lives before the provisioner
	// retires it (the provisioner's default).
	IdleGrace time.Duration
	// RateLimit caps the API's requests per second per access key; 0: no
	// limit.
	RateLimit float64
	// Subnets are where compute environments that name no subnets launch
	// their instances; empty means the default VPC's, looked up when the
	// provisioner is made.
	Subnets []string
	// Catalog, when set, is the instance-type catalogue to use as it is,
	// instead of EC2's (tests that need no listing).
	Catalog *provisioner.Catalog
	// PriceListEndpoint, when set, is the URL of the AWS Price List API
	// the catalogue's prices are read from, in place of the endpoint the
	// AWS configuration resolves (tests: moto has no Price List API).
	PriceListEndpoint string
	// AgentServerID is the server id agents must sign their identities
	// for (agentapi.ServerIDHeader): the host of the agent API's URL as
	// the agents have it. Empty: each request's host, which only a Lambda
	// function URL may use (Lambda routes by it; under tanda serve a
	// client chooses it).
	AgentServerID string
	// Metrics counts what the parts do (default: a registry of its own).
	Metrics *metrics.Registry
	Logger  *slog.Logger // default slog.Default()
	Clock   batch.Clock  // default batch.SystemClock
}

func (o *BackendOptions) defaults() {
	if o.Account == "" {
		o.Account = DefaultAccount
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = batch.SystemClock{}
	}
	if o.Metrics == nil {
		o.Metrics = metrics.New(metrics.Options{})
	}
}

// Backend is the control plane of a stack on the AWS APIs, without a
// listener or loops: what `tanda serve` runs and each Lambda function
// wraps. Its methods build the other parts on demand, each with only the
// AWS clients it calls.
type Backend struct {
	// Settings are the stack's, with their defaults applied.
	Settings awsstack.Settings
	// Store is the stack's two DynamoDB tables.
	Store *dynamo.Store
	// Queues are the stack's SQS queues: submissions and ready queues.
	Queues *sqsqueue.Queues
	// Control is the control plane over Store and Queues, publishing job
	// state changes to the stack's event bus.
	Control *control.Service
	// Capacity records the provisioner's passes in the items table (the
	// provisioner function and tanda serve write it); CapacityHistory reads
	// them back.
	Capacity        *capacity.Recorder
	CapacityHistory *capacity.History

	// timedQueues are Queues, timed for the metrics.
	timedQueues control.Queues
	awsCfg      aws.Config
	opts        BackendOptions
	// agents and agentAuth are the agent API, once AgentAPI made it.
	agents     *agentapi.Server
	agentAuth  *agentapi.Authenticator
	catalog    *provisioner.Catalog
	catalogSrc catalogSource
}

// OpenBackend connects to the stack st through awsCfg. It calls AWS once,
// to ask STS whose the credentials are (the account in ARNs); the
// resources themselves must exist (see Init).
func OpenBackend(ctx context.Context, awsCfg aws.Config, st awsstack.Settings, o BackendOptions) (*Backend, error) {
	st = st.WithDefaults()
	if err := st.Validate(); err != nil {
		return nil, err
	}
	o.defaults()
	log := o.Logger
	queues := newQueues(sqs.NewFromConfig(awsCfg), st, log.With("component", "sqs"))
	store := newStore(dynamodb.NewFromConfig(awsCfg), st, queues, o.Clock)
	catSrc, cat, err := openCatalog(ctx, awsCfg, ec2.NewFromConfig(awsCfg), store, st.Region, o)
	if err != nil {
		return nil, err
	}
	timed := o.Metrics.Queues(queues)
	ctl := control.New(o.Metrics.Store(store), control.Options{
		Partition:     batch.Partition{Region: st.Region, Account: account(ctx, sts.NewFromConfig(awsCfg), o.Account, log)},
		Clock:         o.Clock,
		LeaseDuration: time.Duration(st.LeaseSeconds) * time.Second,
		InstanceTypes: kit.InstanceTypes{Catalog: cat},
		Events: jobevents.New(eventbridge.NewFromConfig(awsCfg), jobevents.Options{
			Bus: st.EventBus, Logger: log.With("component", "events"),
		}),
		Queues:  timed,
		Metrics: o.Metrics.Control(),
		Logger:  log.With("component", "control"),
	})
	return &Backend{
		Settings: st, Store: store, Queues: queues, Control: ctl, timedQueues: timed,
		Capacity:        capacity.NewRecorder(store, capacity.RecorderOptions{Clock: o.Clock, Logger: log.With("component", "capacity")}),
		CapacityHistory: capacity.NewHistory(store, ctl, o.Clock),
		awsCfg:          awsCfg, opts: o, catalog: cat, catalogSrc: catSrc,
	}, nil
}

// Metrics is the registry the backend's parts count in.
func (b *Backend) Metrics() *metrics.Registry { return b.opts.Metrics }

// RegisterJobsGauge adds the jobs gauge to the metrics: the unfinished
// jobs of each queue by status, counted from DynamoDB on each gather (a
// few Query pages per queue and status). Only what gathers seldom should
// have it: `tanda serve`'s scrapes, the provisioner function's flushes.
func (b *Backend) RegisterJobsGauge() error {
	err := b.opts.Metrics.Register(metrics.Jobs{
		Queues: b.Control, Counter: metrics.ActiveJobs{Lister: b.Store}, Statuses: metrics.ActiveStatuses, Logger: b.opts.Logger,
	})
	if err != nil {
		return fmt.Errorf("registering the jobs gauge: %w", err)
	}
	return nil
}

// lease is how long an attempt's lease lasts without a heartbeat.
func (b *Backend) lease() time.Duration { return time.Duration(b.Settings.LeaseSeconds) * time.Second }

// logger is the backend's logger for one component.
func (b *Backend) logger(component string) *slog.Logger {
	return b.opts.Logger.With("component", component)
}

// OpenBackendFromEnv opens the backend of the stack that environment
// variables name (awsstack.FromEnv; getenv is usually os.Getenv), as the
// Lambda functions do at a cold start.
func OpenBackendFromEnv(ctx context.Context, getenv func(string) string, o BackendOptions) (*Backend, error) {
	st, err := awsstack.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	awsCfg, err := st.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	b, err := OpenBackend(ctx, awsCfg, st, o)
	if err != nil {
		return nil, fmt.Errorf("opening stack %s: %w", st.Stack, err)
	}
	return b, nil
}
