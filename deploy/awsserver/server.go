package awsserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tanda-batch/tanda/api/accesskeys"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/scheduler"
)

// Profile is the AWS profile the server writes its first access key under.
const Profile = kit.Profile

// MasterKeyFile is the name, in the data directory, of the AES key that
// seals access key secrets (a KMS key on AWS).
const MasterKeyFile = "master.key"

// Server is Tanda serving a stack on the AWS APIs: a Backend with the
// API on a listener and the scheduler and provisioner looping.
type Server struct {
	cfg       Config
	resources *Resources // what Init left, if it ran
	backend   *Backend
	sched     *scheduler.Scheduler
	prov      *provisioner.Provisioner
	listener  net.Listener
	http      *http.Server
	key       *accesskeys.AccessKey // issued on this start, if any
}

// Open connects to the stack's resources through awsCfg (running Init
// first when cfg.Init is set), issues the first access key if the data
// directory has no credentials file, and binds the listener. Run serves.
func Open(ctx context.Context, awsCfg aws.Config, cfg Config) (*Server, error) {
	cfg.defaults()
	if err := cfg.Stack.Validate(); err != nil {
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
	b, err := OpenBackend(ctx, awsCfg, cfg.Stack, cfg.backendOptions())
	if err != nil {
		return nil, err
	}
	s.backend = b
	keys, err := s.openKeys(ctx, b.Store)
	if err != nil {
		return nil, err
	}
	s.prov = b.Provisioner(ctx)
	s.sched = b.Scheduler(cfg.Scheduler)
	s.http = &http.Server{Handler: b.APIHandler(keys), ReadHeaderTimeout: 10 * time.Second}
	if s.listener, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("listening on %s: %w", cfg.Listen, err)
	}
	return s, nil
}

// Endpoint is the API's URL.
func (s *Server) Endpoint() string { return "http://" + s.listener.Addr().String() }

// Handler is the API's HTTP handler, for in-process callers and tests.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// Control is the control plane, for in-process callers and tests.
func (s *Server) Control() *control.Service { return s.backend.Control }

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

// IssuedKey is the access key issued on this start, if one was.
func (s *Server) IssuedKey() (accesskeys.AccessKey, bool) {
	if s.key == nil {
		return accesskeys.AccessKey{}, false
	}
	return *s.key, true
}

// CredentialsFile is the AWS credentials file with the first access key.
func (s *Server) CredentialsFile() string { return kit.CredentialsFile(s.cfg.DataDir) }

// ConfigFile is the AWS config file with the profile's region.
func (s *Server) ConfigFile() string { return kit.ConfigFile(s.cfg.DataDir) }

// KeyFile is the AES key sealing the access keys' secrets.
func (s *Server) KeyFile() string { return filepath.Join(s.cfg.DataDir, MasterKeyFile) }

// Run serves the API and runs the scheduler and provisioner until ctx is
// done, then stops the API (letting requests in flight finish) and the
// background loops. Instances keep running: the next start finds them by
// their tags.
func (s *Server) Run(ctx context.Context) error {
	return kit.Serve(ctx, s.http, s.listener,
		func(ctx context.Context) { _ = s.sched.Run(ctx) },
		func(ctx context.Context) { _ = s.prov.Run(ctx, s.cfg.ProvisionEvery) },
	)
}
