package awsserver

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/tanda-batch/tanda/api/accesskeys"
	"github.com/tanda-batch/tanda/api/sigv4"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/infra/cwlogs"
	"github.com/tanda-batch/tanda/infra/ec2catalog"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
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
// job logs read from CloudWatch Logs.
func (b *Backend) APIHandler(keys sigv4.SecretSource) http.Handler {
	st := b.Settings
	logs := cwlogs.NewRouter(b.awsCfg, cwlogs.Options{Group: st.LogGroup, Logger: b.logger("logs")})
	return kit.NewAPI(b.Control, kit.APIOptions{
		Region: st.Region, Keys: keys, Logs: logs, RateLimit: b.opts.RateLimit,
		Logger: b.logger("api"), Clock: b.opts.Clock, Metrics: b.opts.Metrics.API(),
	})
}

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
		Metrics:           b.opts.Metrics.Provisioner(),
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
