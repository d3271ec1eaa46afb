// Package local wires one-machine Tanda (`tanda up`): the AWS Batch
// API, scheduler, provisioner and in-process instances over an embedded
// SQLite store, with job logs in files. It is the same core that runs on
// AWS, with embedded adapters.
package local

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/tanda-batch/tanda/api/accesskeys"
	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/docker"
	"github.com/tanda-batch/tanda/bootstrap/process"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/bootstrap/runtimes"
	"github.com/tanda-batch/tanda/capacity"
	"github.com/tanda-batch/tanda/console"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/infra/localfleet"
	"github.com/tanda-batch/tanda/infra/logfiles"
	"github.com/tanda-batch/tanda/infra/sqlite"
	"github.com/tanda-batch/tanda/internal/metrics"
	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/scheduler"
	"github.com/tanda-batch/tanda/triggers"
)

// Config configures one-machine Tanda. Zero values take the defaults.
type Config struct {
	DataDir string // default ./.tanda
	Listen  string // default 127.0.0.1:8265
	Region  string // default us-east-1
	Account string // default 123456789012

	IdleGrace      time.Duration // idle instances retire after this (60s)
	LeaseDuration  time.Duration // attempt lease without heartbeat (30s)
	HeartbeatEvery time.Duration // agent lease renewal (5s)
	KillGrace      time.Duration // SIGTERM to SIGKILL (30s)
	ProvisionEvery time.Duration // provisioner pass interval (1s)
	WatchEvery     time.Duration // trigger rules' bucket directories poll interval (1s)
	// RateLimit caps API requests per second per access key; excess calls
	// get 429 TooManyRequestsException. 0 means no limit.
	RateLimit float64
	// Retention is how long finished jobs, and job logs after their last
	// line, are kept (0: control.DefaultRetention, 7 days). Unless
	// Scheduler.RetentionEvery is set, expired ones are deleted every
	// tenth of it, between every 5 seconds and every 10 minutes.
	Retention time.Duration
	Scheduler scheduler.Options

	// Runtime runs attempts; nil runs plain processes.
	Runtime bootstrap.Runtime
	// Roles assumes jobs' roles (jobRoleArn) with the user's own AWS
	// credentials (infra/stsroles); nil assumes none. Either way a role
	// that cannot be assumed, or cannot be served, is a note in the job's
	// log and the job runs without credentials.
	Roles rolecreds.Assumer
	// Secrets reads jobs' secrets (and pulls as their execution roles)
	// with the user's own AWS credentials (a *secrets.Resolver over
	// infra/secretstores); nil reads none. A secret that cannot be read
	// fails the attempt: a job never runs without it.
	Secrets bootstrap.Secrets
	// Metrics counts what every part does (nil: a registry of its own);
	// MetricsListen serves them in Prometheus's format ("": not served).
	Metrics       *metrics.Registry
	MetricsListen kit.MetricsOptions
	Logger        *slog.Logger
	Clock         batch.Clock

	// Agent overrides the in-process agents' clock, timers and doorbell
	// visibility, for tests that play an instance whose clock is wrong or
	// whose attempt timeouts fire in compressed time (integration/chaos).
	// Its zero value is Clock, time.After and the agent's defaults.
	Agent AgentOverrides
}

// AgentOverrides are what Config.Agent may change in the in-process
// agents.
type AgentOverrides struct {
	Clock      batch.Clock                          // the agents' clock; nil: Config.Clock
	After      func(time.Duration) <-chan time.Time // times attempt timeouts; nil: time.After
	Visibility time.Duration                        // hides a received ready-queue doorbell while it is claimed; 0: the agent's default
}

func (c *Config) defaults() {
	if c.DataDir == "" {
		c.DataDir = ".tanda"
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8265"
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Account == "" {
		c.Account = "123456789012"
	}
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&c.IdleGrace, 60*time.Second)
	set(&c.LeaseDuration, 30*time.Second)
	set(&c.HeartbeatEvery, 5*time.Second)
	set(&c.KillGrace, 30*time.Second)
	set(&c.ProvisionEvery, time.Second)
	set(&c.WatchEvery, time.Second)
	set(&c.Retention, control.DefaultRetention)
	set(&c.Scheduler.RetentionEvery, min(max(c.Retention/10, 5*time.Second), 10*time.Minute))
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = batch.SystemClock{}
	}
	if c.Agent.Clock == nil {
		c.Agent.Clock = c.Clock
	}
	if c.Metrics == nil {
		c.Metrics = metrics.New(metrics.Options{})
	}
}

// Server is a running one-machine Tanda. Its API, endpoint, control plane
// and credentials files are its Front's.
type Server struct {
	*kit.Front
	cfg     Config
	db      *sqlite.DB
	logs    *logfiles.Store
	ctl     *control.Service
	cat     *provisioner.Catalog // the instance types the provisioner plans with
	keys    *accesskeys.Keys
	fleet   *localfleet.Fleet
	prov    *provisioner.Provisioner
	sched   *scheduler.Scheduler
	watcher *triggers.Watcher
	runtime bootstrap.Runtime
	roles   *rolecreds.Roles
	metrics *metrics.Server // nil when not served
	queues  control.Queues  // the store's queues, timed
	console *console.Console
	// capacity records the provisioner's passes; history reads them.
	capacity *capacity.Recorder
	history  *capacity.History
}

// Open opens (or creates) the data directory, seeds a first start with a
// default compute environment, job queue and job definition, issues the
// first access key, and binds the listener. Run serves.
func Open(ctx context.Context, cfg Config) (_ *Server, err error) {
	cfg.defaults()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	s := &Server{cfg: cfg, runtime: cfg.Runtime}
	defer func() {
		if err != nil {
			s.closeStores()
		}
	}()
	if s.db, err = sqlite.Open(ctx, filepath.Join(cfg.DataDir, "tanda.db"), sqlite.Options{Clock: cfg.Clock}); err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	// Whoever had received messages died with the previous process.
	if _, err := s.db.ReleaseInFlight(ctx); err != nil {
		return nil, err
	}
	if s.logs, err = logfiles.Open(filepath.Join(cfg.DataDir, "logs")); err != nil {
		return nil, fmt.Errorf("opening logs: %w", err)
	}
	cat := provisioner.DefaultCatalog()
	s.cat = cat
	m := cfg.Metrics
	s.queues = m.Queues(s.db)
	s.ctl = control.New(m.Store(s.db), control.Options{
		Partition:     batch.Partition{Region: cfg.Region, Account: cfg.Account},
		Clock:         cfg.Clock,
		LeaseDuration: cfg.LeaseDuration,
		Retention:     cfg.Retention,
		InstanceTypes: kit.InstanceTypes{Catalog: cat},
		Queues:        s.queues,
		Metrics:       m.Control(),
	})
	if err := m.Register(metrics.Jobs{Queues: s.ctl, Counter: s.db, Logger: cfg.Logger}); err != nil {
		return nil, fmt.Errorf("registering the jobs gauge: %w", err)
	}
	issued, err := s.openKeys(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.seed(ctx); err != nil {
		return nil, err
	}
	if s.runtime == nil {
		s.runtime = runtimes.NewProcess(process.Options{KillGrace: cfg.KillGrace, Clock: cfg.Clock})
	}
	if s.roles, err = s.jobRoles(ctx); err != nil {
		return nil, err
	}
	s.fleet = localfleet.New(s.startAgent, s.ctl.ForgetInstance, cfg.Clock)
	s.capacity = capacity.NewRecorder(s.db, capacity.RecorderOptions{Clock: cfg.Clock, Logger: cfg.Logger.With("component", "capacity")})
	s.history = capacity.NewHistory(s.db, s.ctl, cfg.Clock)
	s.prov = provisioner.New(kit.Observer{Control: s.ctl, Clock: cfg.Clock}, s.fleet, cat, provisioner.Options{
		Clock: cfg.Clock, IdleGrace: cfg.IdleGrace, Logger: cfg.Logger.With("component", "provisioner"),
		Metrics: provisioner.MultiMetrics(m.Provisioner(), s.capacity),
	})
	so := cfg.Scheduler
	if so.Logger == nil {
		so.Logger = cfg.Logger.With("component", "scheduler")
	}
	s.sched = scheduler.New(s.ctl, s.queues, so)
	s.watcher = s.newWatcher()
	api, err := kit.NewAPI(s.ctl, kit.APIOptions{
		Region: cfg.Region, Keys: s.keys, Logs: s.logs, Capacity: s.history, RateLimit: cfg.RateLimit,
		Logger: cfg.Logger.With("component", "api"), Clock: cfg.Clock, Metrics: m.API(),
	})
	if err != nil {
		return nil, err
	}
	s.console = api.Console
	if s.metrics, err = kit.ListenMetrics(m, cfg.MetricsListen, cfg.Logger); err != nil {
		return nil, err
	}
	if s.Front, err = kit.Listen(cfg.Listen, s.ctl, api, cfg.DataDir, issued); err != nil {
		if s.metrics != nil {
			_ = s.metrics.Close()
		}
		return nil, err
	}
	return s, nil
}

// ConsoleURL is the web console's address.
func (s *Server) ConsoleURL() string { return s.Endpoint() + console.Prefix }

// SignInLink is a one-time link that signs the local user into the
// console as the access key of the data directory's credentials file
// (profile kit.Profile).
func (s *Server) SignInLink() (string, error) {
	id, err := accesskeys.ReadAWSKeyID(s.cfg.DataDir, kit.Profile)
	if err != nil {
		return "", fmt.Errorf("making a console sign-in link: %w", err)
	}
	return s.Endpoint() + s.console.SignInLink(id), nil
}

// MetricsURL is where the metrics are served, if they are.
func (s *Server) MetricsURL() (string, bool) {
	if s.metrics == nil {
		return "", false
	}
	return s.metrics.URL(), true
}

// Metrics is the registry the server's parts count in.
func (s *Server) Metrics() *metrics.Registry { return s.cfg.Metrics }

// CapacityHistory is the compute environments' capacity history, for the
// console's chart (package capacity/chart).
func (s *Server) CapacityHistory() *capacity.History { return s.history }

// RuntimeName names the job runtime in use.
func (s *Server) RuntimeName() string { return s.runtime.Name() }

// Run serves the API and runs the scheduler and provisioner until ctx is
// done, then shuts down in order: API, instances, background loops, stores.
func (s *Server) Run(ctx context.Context) error {
	if err := s.reapOrphans(); err != nil {
		return err
	}
	if err := s.forgetLostInstances(ctx); err != nil {
		return err
	}
	// Wake-ups the previous process did not get to send are sent now,
	// rather than when the sweeper finds the jobs stale.
	if _, err := s.ctl.Rering(ctx, control.SweepOptions{}); err != nil {
		return err
	}
	err := s.Serve(ctx,
		func(ctx context.Context) { _ = s.sched.Run(ctx) },
		func(ctx context.Context) { _ = s.prov.Run(ctx, s.cfg.ProvisionEvery) },
		func(ctx context.Context) { s.capacity.Run(ctx, kit.CapacityFlushEvery) },
		func(ctx context.Context) { s.watcher.Run(ctx, s.cfg.WatchEvery) },
		s.expireLogs,
		func(ctx context.Context) {
			if err := s.roles.Serve(ctx); err != nil {
				s.cfg.Logger.Error("job role credentials endpoint stopped", "err", err)
			}
		},
		func(ctx context.Context) {
			if s.metrics == nil {
				return
			}
			if err := s.metrics.Run(ctx); err != nil {
				s.cfg.Logger.Error("metrics endpoint stopped", "err", err)
			}
		},
	)
	closeCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	if err := s.fleet.Close(closeCtx); err != nil {
		s.cfg.Logger.Error("retiring instances", "err", err)
	}
	s.closeStores()
	return err
}

// expireLogs deletes, every Scheduler.RetentionEvery until ctx is done,
// the job logs last written longer than the retention ago, as the
// scheduler deletes the jobs (on AWS, the log group's retention does it).
func (s *Server) expireLogs(ctx context.Context) {
	t := time.NewTicker(s.cfg.Scheduler.RetentionEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.logs.DeleteOlderThan(ctx, s.cfg.Clock.Now().Add(-s.cfg.Retention))
		if err != nil && ctx.Err() == nil {
			s.cfg.Logger.Error("deleting expired job logs", "err", err)
		}
		if n > 0 {
			s.cfg.Logger.Info("deleted expired job logs", "streams", n)
		}
	}
}

func (s *Server) closeStores() {
	if s.logs != nil {
		_ = s.logs.Close()
	}
	if s.db != nil {
		_ = s.db.Close()
	}
}

// reapOrphans kills the jobs a previous process left running (it was
// killed before it could stop them) and clears their working directories.
func (s *Server) reapOrphans() error {
	work := filepath.Join(s.cfg.DataDir, "work")
	n, err := process.ReapOrphans(work)
	if err != nil {
		return err
	}
	if n > 0 {
		s.cfg.Logger.Warn("killed jobs a previous run left behind", "processGroups", n)
	}
	if err := os.RemoveAll(work); err != nil {
		return fmt.Errorf("clearing work directory: %w", err)
	}
	return nil
}

// forgetLostInstances ends the attempts of instances a previous run left:
// in-process instances do not survive a restart, so their jobs are retried
// or failed as lost hosts now rather than when their leases lapse.
func (s *Server) forgetLostInstances(ctx context.Context) error {
	ces, err := s.ctl.ComputeEnvironments(ctx)
	if err != nil {
		return err
	}
	for _, ce := range ces {
		recs, err := s.ctl.Instances(ctx, ce.ComputeEnvironmentName)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := s.removeContainers(ctx, r.ID); err != nil {
				return err
			}
			if err := s.ctl.ForgetInstance(ctx, r.ComputeEnvironment, r.ID); err != nil {
				return fmt.Errorf("releasing lost instance %s: %w", r.ID, err)
			}
		}
	}
	return nil
}

// removeContainers kills and removes the job containers an instance of a
// previous run left on the Docker daemon. In-process instances do not
// survive a restart, so none of their attempts is kept.
func (s *Server) removeContainers(ctx context.Context, instanceID string) error {
	rt, ok := s.runtime.(*docker.Runtime)
	if !ok {
		return nil
	}
	_, err := rt.Adopt(ctx, instanceID, func(string, int) (docker.Resume, bool) { return docker.Resume{}, false })
	if err != nil {
		return fmt.Errorf("removing the containers of lost instance %s: %w", instanceID, err)
	}
	return nil
}

// startAgent runs an in-process instance's agent.
func (s *Server) startAgent(ctx context.Context, ce string, inst provisioner.Instance) (<-chan struct{}, error) {
	work := filepath.Join(s.cfg.DataDir, "work", inst.ID)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, fmt.Errorf("creating work directory: %w", err)
	}
	ces, err := s.ctl.ComputeEnvironments(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading compute environment %s: %w", ce, err)
	}
	packing, _, err := provisioner.PackingOf(ces, s.cat, ce)
	if err != nil {
		return nil, err
	}
	agent := bootstrap.New(s.ctl, s.queues, s.runtime, s.logs, bootstrap.Config{
		InstanceID:         inst.ID,
		ComputeEnvironment: ce,
		InstanceType:       inst.Type,
		VCPUs:              inst.VCPUs,
		MemoryMiB:          inst.MemoryMiB,
		GPUs:               inst.GPUs,
		Takes:              packing.For(inst.VCPUs),
		WorkRoot:           work,
		HeartbeatEvery:     s.cfg.HeartbeatEvery,
		KillGrace:          s.cfg.KillGrace,
		Visibility:         s.cfg.Agent.Visibility,
		Clock:              s.cfg.Agent.Clock,
		After:              s.cfg.Agent.After,
		JobRoles:           s.roles,
		Secrets:            s.cfg.Secrets,
		Logger:             s.cfg.Logger.With("component", "agent"),
		Metrics:            s.cfg.Metrics.Agent(ce),
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := agent.Run(ctx); err != nil {
			s.cfg.Logger.Error("agent stopped", "instance", inst.ID, "err", err)
		}
	}()
	return done, nil
}

// LocalStack is the tanda:stack tag of the role sessions of `tanda up`'s
// jobs.
const LocalStack = "tanda-up"

// jobRoles serves jobs' role credentials where the runtime's jobs reach
// them (rolecreds.Listen), leniently: under `tanda up` a role that cannot be
// assumed is a note in the job's log. The machine's addresses are left
// alone: jobs on Docker's bridge get credentials only if 169.254.170.2 is
// one of them already. The port is any free one: `tanda up`'s jobs do not
// outlive it (a restarted `tanda up` removes the containers of the last
// run), so no job needs to find the endpoint at the same port again, and
// a fixed port could be taken on a developer's machine.
func (s *Server) jobRoles(ctx context.Context) (*rolecreds.Roles, error) {
	base := rolecreds.Roles{Assumer: s.cfg.Roles, Stack: LocalStack, Lenient: true, Clock: s.cfg.Clock}
	return runtimes.JobRoles(ctx, s.runtime, base, rolecreds.ListenOptions{Port: rolecreds.AnyPort})
}

// defaultMaxvCpus sizes the default compute environment to the machine.
func defaultMaxvCpus() int { return max(8, 4*runtime.NumCPU()) }

// Instances lists the ids of the in-process instances running now.
func (s *Server) Instances(ctx context.Context) ([]string, error) {
	ces, err := s.ctl.ComputeEnvironments(ctx)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, ce := range ces {
		insts, err := s.fleet.Instances(ctx, ce.ComputeEnvironmentName)
		if err != nil {
			return nil, err
		}
		for _, in := range insts {
			ids = append(ids, in.ID)
		}
	}
	return ids, nil
}

// CrashInstance stops an in-process instance as if its host had vanished
// (localfleet.Fleet.Crash): its jobs stop, and their attempts end when
// their leases lapse. `tanda up` never calls it; chaos tests do.
func (s *Server) CrashInstance(id string) error { return s.fleet.Crash(id) }
