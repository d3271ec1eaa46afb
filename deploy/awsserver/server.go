package awsserver

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/infra/agentid"
	"github.com/tanda-batch/tanda/internal/metrics"
	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/scheduler"
)

// MasterKeyFile is the name, in the data directory, of the AES key that
// seals access key secrets (a KMS key on AWS).
const MasterKeyFile = "master.key"

// Server is Tanda serving a stack on the AWS APIs: a Backend with the
// API on a listener (its Front) and the scheduler and provisioner looping.
type Server struct {
	*kit.Front
	cfg       Config
	resources *Resources // what Init left, if it ran
	backend   *Backend
	sched     *scheduler.Scheduler
	prov      *provisioner.Provisioner
	metrics   *metrics.Server // nil when not served
}

// Open connects to the stack's resources through awsCfg (running Init
// first when cfg.Init is set), issues the first access key if the data
// directory has no credentials file, and binds the listener. Run serves.
func Open(ctx context.Context, awsCfg aws.Config, cfg Config) (*Server, error) {
	cfg.defaults()
	if err := cfg.Stack.Validate(); err != nil {
		return nil, err
	}
	// Bound first: the agents' settings (in the launch template Init
	// writes) name the agent API's address.
	l, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", cfg.Listen, err)
	}
	s, err := open(ctx, awsCfg, cfg, l)
	if err != nil {
		_ = l.Close()
		return nil, err
	}
	return s, nil
}

func open(ctx context.Context, awsCfg aws.Config, cfg Config, l net.Listener) (*Server, error) {
	if cfg.Stack.AgentAPI == "" {
		cfg.Stack.AgentAPI = "http://" + l.Addr().String()
	}
	serverID, err := agentid.ServerID(cfg.Stack.AgentAPI)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg}
	if cfg.Init != nil {
		if err := s.runInit(ctx, awsCfg); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	bo := cfg.backendOptions()
	bo.AgentServerID = serverID
	b, err := OpenBackend(ctx, awsCfg, cfg.Stack, bo)
	if err != nil {
		return nil, err
	}
	s.backend = b
	keys, issued, err := s.openKeys(ctx, b.Store)
	if err != nil {
		return nil, err
	}
	s.prov = b.Provisioner(ctx)
	s.sched = b.Scheduler(cfg.Scheduler)
	if err := b.RegisterJobsGauge(); err != nil {
		return nil, err
	}
	api, err := b.APIHandler(ctx, keys)
	if err != nil {
		return nil, err
	}
	if s.metrics, err = kit.ListenMetrics(b.Metrics(), cfg.MetricsListen, cfg.Logger); err != nil {
		return nil, err
	}
	s.Front = kit.Bind(l, b.Control, api, cfg.DataDir, issued)
	return s, nil
}

// Backend is the stack's store, queues and control plane.
func (s *Server) Backend() *Backend { return s.backend }

// Stack is the stack served, with its defaults applied.
func (s *Server) Stack() awsstack.Settings { return s.cfg.Stack }

// Resources are what Init left, when Open ran it.
func (s *Server) Resources() (Resources, bool) {
	if s.resources == nil {
		return Resources{}, false
	}
	return *s.resources, true
}

// KeyFile is the AES key sealing the access keys' secrets.
func (s *Server) KeyFile() string { return filepath.Join(s.cfg.DataDir, MasterKeyFile) }

// Run serves the API and runs the scheduler and provisioner until ctx is
// done, then stops the API (letting requests in flight finish) and the
// background loops. Instances keep running: the next start finds them by
// their tags.
func (s *Server) Run(ctx context.Context) error {
	return s.Serve(ctx,
		s.backend.RunCatalogRefresh,
		func(ctx context.Context) { _ = s.sched.Run(ctx) },
		func(ctx context.Context) { _ = s.prov.Run(ctx, s.cfg.ProvisionEvery) },
		func(ctx context.Context) { s.backend.Capacity.Run(ctx, kit.CapacityFlushEvery) },
		func(ctx context.Context) {
			if s.metrics == nil {
				return
			}
			if err := s.metrics.Run(ctx); err != nil {
				s.cfg.Logger.Error("metrics endpoint stopped", "err", err)
			}
		},
	)
}

// MetricsURL is where the metrics are served, if they are.
func (s *Server) MetricsURL() (string, bool) {
	if s.metrics == nil {
		return "", false
	}
	return s.metrics.URL(), true
}
