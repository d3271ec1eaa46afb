package awsserver

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tanda-batch/tanda/accesskeys"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/httpapi"
	"github.com/tanda-batch/tanda/infra/cwlogs"
	"github.com/tanda-batch/tanda/infra/ec2fleet"
	"github.com/tanda-batch/tanda/infra/jobevents"
	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/serverkit"
	"github.com/tanda-batch/tanda/sigv4"
)

// silentLeases is how many leases an agent may go without reporting
// before its instance is forgotten (see serverkit.Observer).
const silentLeases = 10

// runInit runs Init with the server's logger unless the options bring one.
func (s *Server) runInit(ctx context.Context, awsCfg aws.Config) error {
	o := *s.cfg.Init
	if o.Logger == nil {
		o.Logger = s.cfg.Logger.With("component", "init")
	}
	res, err := Init(ctx, awsCfg, s.cfg.Stack, o)
	if err != nil {
		return fmt.Errorf("initialising stack %s: %w", s.cfg.Stack.Stack, err)
	}
	s.resources = &res
	return nil
}

// controlOptions configure the control plane: ARNs in the credentials'
// account, job state changes to EventBridge, doorbells on SQS.
func (s *Server) controlOptions(ctx context.Context, c clients, queues control.Queues, cat *provisioner.Catalog) control.Options {
	st, log := s.cfg.Stack, s.cfg.Logger
	return control.Options{
		Partition:     batch.Partition{Region: st.Region, Account: account(ctx, c.sts, s.cfg.Account, log)},
		Clock:         s.cfg.Clock,
		LeaseDuration: s.cfg.lease(),
		InstanceTypes: serverkit.InstanceTypes{Catalog: cat},
		Events:        jobevents.New(c.events, jobevents.Options{Bus: st.EventBus, Logger: log.With("component", "events")}),
		Queues:        queues,
		Logger:        log.With("component", "control"),
	}
}

// openKeys opens the API's access keys, kept in the items table, and
// issues the first one on a first start.
func (s *Server) openKeys(ctx context.Context, store accesskeys.Store) (*accesskeys.Keys, error) {
	keys, key, err := serverkit.OpenKeys(ctx, store, serverkit.KeyOptions{
		Dir: s.cfg.DataDir, KeyFile: s.KeyFile(), Region: s.cfg.Stack.Region, Description: "tanda serve", Clock: s.cfg.Clock,
	})
	if err != nil {
		return nil, err
	}
	s.key = key
	return keys, nil
}

// newProvisioner makes the provisioner of the stack's EC2 fleet, which
// launches into the default VPC's subnets when a compute environment
// names none.
func (s *Server) newProvisioner(ctx context.Context, c clients, cat *provisioner.Catalog) *provisioner.Provisioner {
	st, log := s.cfg.Stack, s.cfg.Logger
	fleet := retiringFleet{
		Fleet: ec2fleet.New(c.ec2, ec2fleet.Options{
			Stack:              st.Stack,
			LaunchTemplateName: st.LaunchTemplate,
			Subnets:            defaultSubnets(ctx, c.ec2, log),
			Clock:              s.cfg.Clock,
			Logger:             log.With("component", "fleet"),
		}),
		forget: s.ctl.ForgetInstance,
	}
	obs := serverkit.Observer{Control: s.ctl, Fleet: fleet, Clock: s.cfg.Clock, ForgetSilentAfter: silentLeases * s.cfg.lease()}
	return provisioner.New(obs, fleet, cat, provisioner.Options{
		Clock: s.cfg.Clock, IdleGrace: s.cfg.IdleGrace, Logger: log.With("component", "provisioner"),
	})
}

// newAPI makes the AWS Batch API handler: SigV4 verified against keys,
// job logs read from CloudWatch Logs.
func (s *Server) newAPI(c clients, keys *accesskeys.Keys) http.Handler {
	st, log := s.cfg.Stack, s.cfg.Logger
	logs := cwlogs.New(c.logs, cwlogs.Options{Group: st.LogGroup, Logger: log.With("component", "logs")})
	verifier := &sigv4.Verifier{Region: st.Region, Service: "batch", Secrets: keys, Clock: s.cfg.Clock, MaxSkew: 5 * time.Minute}
	return httpapi.New(s.ctl, httpapi.Options{
		Auth:      serverkit.Authenticator{Verifier: verifier},
		Replay:    sigv4.NewReplayCache(10*time.Minute, 100_000),
		Logs:      serverkit.LogReader{Control: s.ctl, Logs: logs},
		RateLimit: s.cfg.RateLimit,
		Logger:    log.With("component", "api"),
		Clock:     s.cfg.Clock,
	})
}
