package awsserver

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/tanda-batch/tanda/api/accesskeys"
	"github.com/tanda-batch/tanda/api/agentapi"
	"github.com/tanda-batch/tanda/api/sigv4"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/infra/agentid"
	"github.com/tanda-batch/tanda/infra/cwlogs"
	"github.com/tanda-batch/tanda/infra/ec2catalog"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/infra/ec2instances"
	"github.com/tanda-batch/tanda/infra/kmskeys"
	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/scheduler"
	"github.com/tanda-batch/tanda/triggers"
)

// silentLeases is how many leases an agent may go without reporting
// before its instance is forgotten (provisioner.Options.ForgetSilentAfter).
const silentLeases = 10

// APIHandler is the AWS Batch API: SigV4 verified against keys (the
// stack's access keys: AccessKeys, or kit.OpenKeys under `tanda serve`),
// job logs read from CloudWatch Logs; and beside it, under
// agentapi.PathPrefix, the agent API, through which the stack's instances
// make all their writes; and the web console under console.Prefix.
func (b *Backend) APIHandler(ctx context.Context, keys sigv4.SecretSource) (http.Handler, error) {
	st := b.Settings
	logs := cwlogs.NewRouter(b.awsCfg, cwlogs.Options{Group: st.LogGroup, Logger: b.logger("logs")})
	api, err := kit.NewAPI(b.Control, kit.APIOptions{
		Region: st.Region, Keys: keys, Logs: logs, Capacity: b.CapacityHistory, RateLimit: b.opts.RateLimit,
		Logger: b.logger("api"), Clock: b.opts.Clock, Metrics: b.opts.Metrics.API(),
	})
	if err != nil {
		return nil, err
	}
	agents, err := b.AgentAPI(ctx)
	if err != nil {
		return nil, err
	}
	return agentapi.Mount(agents, api), nil
}

// AgentAPI is the agent API over the control plane: identities checked
// with STS at the endpoint the SDK configuration resolves, instances
// looked up in EC2, whose sessions of the stack's instance role
// (Settings.InstanceRole) in the control plane's account it accepts.
// The server id is BackendOptions.AgentServerID, or each request's host.
func (b *Backend) AgentAPI(ctx context.Context) (*agentapi.Server, error) {
	st := b.Settings
	endpoint, err := agentid.STSEndpoint(ctx, b.awsCfg)
	if err != nil {
		return nil, err
	}
	auth := &agentapi.Authenticator{
		STSEndpoint: endpoint, STSRegion: st.Region, ServerID: b.opts.AgentServerID,
		Account: b.Control.Partition().Account, InstanceRole: st.InstanceRole, Stack: st.Stack,
		Instances: ec2instances.New(ec2.NewFromConfig(b.awsCfg)),
		HTTP:      &http.Client{Timeout: stsTimeout},
		Clock:     b.opts.Clock,
	}
	b.agents, b.agentAuth = agentapi.New(b.Control, auth, agentapi.Options{Clock: b.opts.Clock, Logger: b.logger("agentapi")}), auth
	return b.agents, nil
}

// AgentAPICounts are what the agent API made of the backend has done:
// its requests by operation, the identities it sent to STS and the
// instances it looked up in EC2 (all zero before APIHandler).
func (b *Backend) AgentAPICounts() (requests map[string]int64, stsCalls, ec2Calls int64) {
	if b.agents == nil {
		return map[string]int64{}, 0, 0
	}
	stsCalls, ec2Calls = b.agentAuth.Calls()
	return b.agents.Requests(), stsCalls, ec2Calls
}

// stsTimeout bounds a GetCallerIdentity call of the agent API.
const stsTimeout = 10 * time.Second

// AccessKeys are the stack's access keys with their secrets sealed by the
// KMS key kmsKeyID (a key id or ARN, or an alias name or ARN).
func (b *Backend) AccessKeys(kmsKeyID string) (*accesskeys.Keys, error) {
	sealer, err := kmskeys.New(kms.NewFromConfig(b.awsCfg), kmsKeyID)
	if err != nil {
		return nil, err
	}
	return accesskeys.NewWithContextSealer(b.Store, sealer, b.opts.Clock), nil
}

// Provisioner is the provisioner of the stack's EC2 fleet, which launches
// into BackendOptions.Subnets, or else the default VPC's subnets (listed
// now, with ec2:DescribeSubnets), when a compute environment names none,
// with the images AWS Batch would choose (the ECS-optimized AMIs from
// SSM by default; see package ec2fleet).
func (b *Backend) Provisioner(ctx context.Context) *provisioner.Provisioner {
	st := b.Settings
	api := ec2.NewFromConfig(b.awsCfg)
	subnets := b.opts.Subnets
	if len(subnets) == 0 {
		subnets = defaultSubnets(ctx, api, b.opts.Logger)
	}
	fleet := retiringFleet{
		Fleet: ec2fleet.New(api, ec2fleet.Options{
			Stack:              st.Stack,
			LaunchTemplateName: st.LaunchTemplate,
			Subnets:            subnets,
			Parameters:         ssm.NewFromConfig(b.awsCfg),
			Clock:              b.opts.Clock,
			Logger:             b.logger("fleet"),
		}),
		forget: b.Control.ForgetInstance,
	}
	obs := kit.Observer{Control: b.Control, Clock: b.opts.Clock}
	return provisioner.New(obs, fleet, b.catalog, provisioner.Options{
		Clock: b.opts.Clock, IdleGrace: b.opts.IdleGrace, Logger: b.logger("provisioner"),
		ForgetSilentAfter: silentLeases * b.lease(),
		SpotPrices:        ec2catalog.NewSpotPrices(api, 0, b.opts.Clock),
		Metrics:           provisioner.MultiMetrics(b.opts.Metrics.Provisioner(), b.Capacity),
	})
}

// Scheduler is the scheduler's loops over the submissions queue, where S3
// notifications for the trigger rules arrive too; o's Logger defaults to
// the backend's.
func (b *Backend) Scheduler(o scheduler.Options) *scheduler.Scheduler {
	if o.Logger == nil {
		o.Logger = b.logger("scheduler")
	}
	return scheduler.New(routedControl{Service: b.Control, router: b.Router()}, b.timedQueues, o)
}

// Router takes the submissions queue's messages: doorbells to the control
// plane, S3 notifications to the trigger rules.
func (b *Backend) Router() triggers.Router {
	return triggers.Router{Jobs: b.Control, Notifications: triggers.NewDispatcher(b.Control, b.logger("triggers"))}
}
