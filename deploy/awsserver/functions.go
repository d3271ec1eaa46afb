package awsserver

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/deploy/awsserver/provisionfn"
	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/scheduler"
)

// ProvisionerFunction is the provisioner's Lambda handler (package
// provisionfn): the Provisioner's passes under a lease in the items
// table, with the interruption queue (an SQS queue name or URL; "" for
// none) drained before each, and an early end when the stack has no
// managed EC2 or Spot compute environment. o's Clock and Logger default
// to the backend's.
func (b *Backend) ProvisionerFunction(ctx context.Context, interruptionQueue string, o provisionfn.Options) (*provisionfn.Function, error) {
	if o.Clock == nil {
		o.Clock = b.opts.Clock
	}
	if o.Logger == nil {
		o.Logger = b.logger("provisioner-function")
	}
	o.Every = cmp.Or(o.Every, provisionfn.DefaultEvery)
	deps := provisionfn.Deps{
		Store: b.Store,
		Provisioner: &periodicPasses{
			sched:     b.Scheduler(scheduler.Options{QueuePassEvery: o.Every}),
			prov:      b.Provisioner(ctx),
			refresh:   b.RefreshCatalog,
			clock:     b.opts.Clock,
			refreshed: b.opts.Clock.Now(),
		},
		Instances: b.Control,
		Idle:      b.nothingProvisioned,
		Capacity:  b.Capacity,
	}
	if interruptionQueue != "" {
		deps.Notices = provisionfn.NewSQSNotices(sqs.NewFromConfig(b.awsCfg), interruptionQueue)
		deps.Locator = provisionfn.TagLocator{EC2: ec2.NewFromConfig(b.awsCfg), Stack: b.Settings.Stack, Records: b.Control}
	}
	return provisionfn.New(deps, o)
}

// periodicPasses are the passes `tanda serve` runs on timers, run by the
// provisioner function on AWS, where the scheduler function only runs
// when messages arrive: the scheduler's queue pass and sweep (lease
// expiry, lost doorbells), then the provisioner's pass; and, every hour
// that a warm function lives, the catalogue's refresh.
type periodicPasses struct {
	sched     *scheduler.Scheduler
	prov      *provisioner.Provisioner
	refresh   func(context.Context) error
	clock     batch.Clock
	refreshed time.Time
}

// Reconcile runs each pass once; a failed one does not stop the others.
func (p *periodicPasses) Reconcile(ctx context.Context) error {
	var refreshErr error
	if now := p.clock.Now(); now.Sub(p.refreshed) >= catalogCheckEvery {
		p.refreshed = now
		refreshErr = p.refresh(ctx)
	}
	return errors.Join(refreshErr, p.sched.Passes(ctx), p.prov.Reconcile(ctx))
}

// nothingProvisioned reports whether the stack has no compute environment
// whose instances the provisioner manages.
func (b *Backend) nothingProvisioned(ctx context.Context) (bool, error) {
	ces, err := b.Control.ComputeEnvironments(ctx)
	if err != nil {
		return false, err
	}
	for _, ce := range ces {
		cr := ce.ComputeResources
		if ce.Type == batch.TypeManaged && cr != nil && (cr.Type == provisioner.ResourceEC2 || cr.Type == provisioner.ResourceSpot) {
			return false, nil
		}
	}
	return true, nil
}
