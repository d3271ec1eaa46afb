package awsserver

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/infra/cwlogs"
)

// codeBusExists is EventBridge's answer to creating a bus that exists.
const codeBusExists = "ResourceAlreadyExistsException"

// InitOptions shape the launch template Init writes.
type InitOptions struct {
	// AMI, when set, is the image of the stack's launch template, which
	// then serves every instance type of the compute environments that set
	// no image of their own (it must match their architecture). Empty, the
	// template has no image and each launch gets the ECS-optimized AMI of
	// its compute environment's imageType, architecture and GPUs (see
	// package ec2fleet).
	AMI string
	// ArtifactsBucket, when set, is the S3 bucket the agents download
	// tanda-agent-<arch> from (see InstallScript); otherwise the AMI must
	// carry AgentBinary.
	ArtifactsBucket string
	// InstanceProfile is the name or ARN of the agents' IAM instance
	// profile; empty sets none.
	InstanceProfile string
	// Logger is told what Init creates; nil means slog.Default().
	Logger *slog.Logger
}

// Resources are the stack's resources as Init left them.
type Resources struct {
	JobsTable, ItemsTable string
	// Queues are the SQS names of the submissions queue and the ready
	// queues of the job queues found in the items table.
	Queues         []string
	LogGroup       string
	EventBus       string
	LaunchTemplate LaunchTemplate
}

// Init creates what the stack st needs when it is absent: both DynamoDB
// tables, the submissions queue (with its dead-letter queue) and the
// ready queue of each job queue already in the items table, the
// CloudWatch Logs group, the event bus (unless it is "default") and the
// launch template (see ensureLaunchTemplate). It is idempotent, so it may
// run at every start. On AWS the SAM stack creates these instead.
func Init(ctx context.Context, awsCfg aws.Config, st awsstack.Settings, o InitOptions) (Resources, error) {
	st = st.WithDefaults()
	if err := st.Validate(); err != nil {
		return Resources{}, err
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	c := newClients(awsCfg)
	res := Resources{JobsTable: st.JobsTable, ItemsTable: st.ItemsTable, LogGroup: st.LogGroup, EventBus: st.EventBus}
	store := newStore(c.dynamo, st, nil, nil)
	if err := store.CreateTables(ctx); err != nil {
		return res, fmt.Errorf("creating the stack's tables: %w", err)
	}
	queues := newQueues(c.sqs, st, o.Logger)
	names := []string{control.SubmissionsQueue}
	existing, err := store.ListItems(ctx, batch.KindJobQueue, "")
	if err != nil {
		return res, fmt.Errorf("listing job queues: %w", err)
	}
	for _, it := range existing {
		names = append(names, control.ReadyQueue(it.Key))
	}
	for _, n := range names {
		if err := queues.Ensure(ctx, n); err != nil {
			return res, err
		}
		res.Queues = append(res.Queues, queues.SQSName(n))
	}
	if err := cwlogs.New(c.logs, cwlogs.Options{Group: st.LogGroup, Logger: o.Logger}).EnsureGroup(ctx); err != nil {
		return res, err
	}
	if err := ensureEventBus(ctx, c.events, st.EventBus); err != nil {
		return res, err
	}
	data, err := launchData(st, o.AMI, o)
	if err != nil {
		return res, err
	}
	if res.LaunchTemplate, err = ensureLaunchTemplate(ctx, c.ec2, st, data); err != nil {
		return res, err
	}
	o.Logger.Info("stack ready", "stack", st.Stack, "tables", []string{res.JobsTable, res.ItemsTable},
		"queues", res.Queues, "logGroup", res.LogGroup, "eventBus", res.EventBus,
		"launchTemplate", res.LaunchTemplate.ID, "version", res.LaunchTemplate.DefaultVersion, "image", res.LaunchTemplate.Image())
	return res, nil
}

// ensureEventBus creates a custom event bus unless it exists. The default
// bus, and a bus named by ARN (another account's, or one the caller
// manages), are left alone.
func ensureEventBus(ctx context.Context, api *eventbridge.Client, bus string) error {
	if bus == "" || bus == "default" || strings.HasPrefix(bus, "arn:") {
		return nil
	}
	_, err := api.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)})
	if err != nil && !hasCode(err, codeBusExists) {
		return fmt.Errorf("creating event bus %s: %w", bus, err)
	}
	return nil
}
