package ec2agent

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/bootstrap"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/bootstrap/runtimes"
	"github.com/tanda-batch/tanda/bootstrap/secrets"
	"github.com/tanda-batch/tanda/control"
	"github.com/tanda-batch/tanda/internal/metrics"
	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/provisioner/ec2shapes"
)

// DefaultWorkRoot holds the working directories of the jobs an instance
// runs, under a directory named after the instance.
const DefaultWorkRoot = "/var/lib/tanda/work"

// Config tunes the agent. Zero values take the defaults.
type Config struct {
	// WorkRoot holds each attempt's working directory, under a directory
	// named after the instance (DefaultWorkRoot). Agents of different
	// instances may share it, as when a test harness plays many
	// instances on one machine.
	WorkRoot string
	// KillGrace is the wait between SIGTERM and SIGKILL when a job is
	// stopped (30s). A Spot interruption's deadline is this long before
	// the interruption, so the jobs stopped then are gone in time.
	KillGrace time.Duration
	// Notices watches for interruption notices: an *imds.Monitor on EC2;
	// nil watches nothing.
	Notices bootstrap.NoticeSource
	// Runtime runs the jobs; nil chooses one by Settings.Runtime.
	Runtime bootstrap.Runtime
	// Clock tells the time of leases and deadlines (the system clock).
	Clock batch.Clock
	// After waits for a Spot interruption's deadline (time.After); tests
	// fire it at will.
	After  func(time.Duration) <-chan time.Time
	Logger *slog.Logger
	// KeepCredentialsAddress leaves the instance's addresses alone: with
	// jobs on Docker's bridge, the agent otherwise adds 169.254.170.2 to
	// the loopback interface to serve job role credentials there
	// (rolecreds.Listen). Tests on a shared machine set it.
	KeepCredentialsAddress bool
	// CredentialsPort is the port of the job role credentials endpoint
	// (rolecreds.DefaultPort when zero; rolecreds.AnyPort for any free
	// one). A fixed port lets a restarted agent serve the containers it
	// takes over where they fetch their credentials.
	CredentialsPort int
	// Tune, when set, adjusts the bootstrap agent's configuration last;
	// tests shorten its intervals with it.
	Tune func(*bootstrap.Config)
	// Metrics, when set, counts the agent's attempts, leases, store and
	// queue operations and the transitions it writes.
	Metrics *metrics.Registry
}

func (c *Config) defaults() {
	if c.WorkRoot == "" {
		c.WorkRoot = DefaultWorkRoot
	}
	if c.KillGrace <= 0 {
		c.KillGrace = 30 * time.Second
	}
	if c.Clock == nil {
		c.Clock = batch.SystemClock{}
	}
	if c.After == nil {
		c.After = time.After
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Agent is `tanda agent` on one instance.
type Agent struct {
	inst    Instance
	runtime chosenRuntime
	roles   *rolecreds.Roles
	agent   *bootstrap.Agent
	log     *slog.Logger
}

// New prepares the agent of inst over be: the control plane (in inst's
// partition, with the stack's lease), the job runtime and the bootstrap
// agent. Run starts it.
func New(ctx context.Context, inst Instance, be Backend, cfg Config) (*Agent, error) {
	cfg.defaults()
	lease := time.Duration(inst.Settings.LeaseSeconds) * time.Second
	if lease <= 0 {
		return nil, fmt.Errorf("lease of %d seconds in the agent's settings: must be positive", inst.Settings.LeaseSeconds)
	}
	cfg.WorkRoot = filepath.Join(cfg.WorkRoot, inst.InstanceID)
	rt, err := chooseRuntime(ctx, inst.Settings.Runtime, be.Registry, cfg)
	if err != nil {
		return nil, err
	}
	var cm control.Metrics
	var am bootstrap.Metrics
	if m := cfg.Metrics; m != nil {
		if be.Store != nil {
			be.Store = m.Store(be.Store)
		}
		be.Queues, cm, am = m.Queues(be.Queues), m.Control(), m.Agent(inst.ComputeEnvironment)
	}
	ctl := be.Control
	if ctl == nil {
		ctl = control.New(be.Store, control.Options{
			Metrics:       cm,
			Partition:     inst.Partition(),
			Clock:         cfg.Clock,
			LeaseDuration: lease,
			Queues:        be.Queues,
			Events:        be.Events,
			// An instance may not send to the ready queues: a retried
			// job's doorbell goes by the scheduler.
			ReadyViaScheduler: true,
			Logger:            cfg.Logger.With("component", "control"),
		})
	}
	log := cfg.Logger.With("component", "agent")
	packing, err := packingOf(ctx, ctl, inst.ComputeEnvironment)
	if err != nil {
		// Taking any job that fits wastes money, not work: go on.
		log.Warn("no packing rule: this instance takes any job that fits", "err", err)
	}
	bc := bootstrap.Config{
		InstanceID:         inst.InstanceID,
		ComputeEnvironment: inst.ComputeEnvironment,
		InstanceType:       inst.InstanceType,
		VCPUs:              inst.Capacity.VCPUs,
		MemoryMiB:          inst.Capacity.MemoryMiB,
		GPUs:               inst.Capacity.GPUs,
		Takes:              packing.For(inst.Capacity.VCPUs),
		WorkRoot:           cfg.WorkRoot,
		HeartbeatEvery:     lease / 5,
		KillGrace:          cfg.KillGrace,
		Clock:              cfg.Clock,
		Logger:             log,
		Metrics:            am,
	}
	var watch *interruptWatch
	if cfg.Notices != nil {
		watch = &interruptWatch{
			notices: cfg.Notices, killGrace: cfg.KillGrace, clock: cfg.Clock, after: cfg.After,
			log: log.With("instance", inst.InstanceID),
		}
		bc.Notices = watch
	}
	roles, err := jobRoles(ctx, rt.Runtime, be.Roles, inst.Settings.Stack, cfg)
	if err != nil {
		rt.close()
		return nil, err
	}
	bc.JobRoles = roles
	bc.Secrets = &secrets.Resolver{
		Assumer: be.Roles, Store: be.Secrets, Registry: be.RoleRegistry,
		Region: inst.Partition().Region, Account: inst.AccountID, Stack: inst.Settings.Stack, Clock: cfg.Clock,
	}
	if cfg.Tune != nil {
		cfg.Tune(&bc)
	}
	a := &Agent{inst: inst, runtime: rt, roles: roles, log: log, agent: bootstrap.New(ctl, be.Queues, rt.Runtime, be.Logs, bc)}
	if watch != nil {
		watch.agent = a.agent
	}
	return a, nil
}

// Banner is the line `tanda agent` prints when it starts.
func (a *Agent) Banner() string {
	in := a.inst
	life := in.Lifecycle
	if life == "" {
		life = "lifecycle unknown"
	}
	return fmt.Sprintf("tanda agent: instance %s (%s, %s, %s) in compute environment %s of stack %s: %s; job runtime %s (%s)",
		in.InstanceID, in.InstanceType, life, in.AvailabilityZone, in.ComputeEnvironment, in.Settings.Stack,
		in.Capacity, a.runtime.Name(), a.runtime.why)
}

// Run registers the instance, takes over what an earlier agent of the
// instance left running (with a runtime that can), and pulls and runs jobs
// until ctx is done. See the package documentation for what happens to
// running jobs then, and on an interruption notice.
func (a *Agent) Run(ctx context.Context) error {
	defer a.runtime.close()
	var served sync.WaitGroup
	defer served.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // the credentials endpoint stops with the agent
	served.Go(func() {
		if err := a.roles.Serve(ctx); err != nil {
			// Jobs with a role then fail to get credentials, and say so.
			a.log.Error("job role credentials endpoint stopped", "err", err)
		}
	})
	return a.agent.Run(ctx)
}

// jobRoles serves jobs' role credentials where the runtime's jobs reach
// them (rolecreds.Listen): on 127.0.0.1 for processes and the host's
// network, on 169.254.170.2 (added to the loopback interface unless
// cfg.KeepCredentialsAddress) for Docker's bridge, at cfg.CredentialsPort.
func jobRoles(ctx context.Context, rt bootstrap.Runtime, assumer rolecreds.Assumer, stack string, cfg Config) (*rolecreds.Roles, error) {
	base := rolecreds.Roles{Assumer: assumer, Stack: stack, Clock: cfg.Clock}
	return runtimes.JobRoles(ctx, rt, base, rolecreds.ListenOptions{
		AddAddress: !cfg.KeepCredentialsAddress, Port: cfg.CredentialsPort, Logger: cfg.Logger.With("component", "rolecreds"),
	})
}

// packingOf is the packing rule of compute environment ce (provisioner.
// Packing), with its instance types expanded in EC2's catalogue (package
// ec2shapes), the shapes the provisioner's catalogue has too. A compute
// environment that is gone limits nothing.
func packingOf(ctx context.Context, ctl bootstrap.Control, ce string) (provisioner.Packing, error) {
	env, err := ctl.ComputeEnvironment(ctx, ce)
	if batch.IsClientError(err) {
		return provisioner.Packing{}, nil
	}
	if err != nil {
		return provisioner.Packing{}, fmt.Errorf("reading compute environment %s: %w", ce, err)
	}
	types, err := ec2shapes.Types()
	if err != nil {
		return provisioner.Packing{}, fmt.Errorf("reading EC2's instance types: %w", err)
	}
	cat, err := provisioner.NewCatalog(types)
	if err != nil {
		return provisioner.Packing{}, fmt.Errorf("cataloguing EC2's instance types: %w", err)
	}
	packing, _, err := provisioner.PackingOf([]batch.ComputeEnvironment{env}, cat, ce)
	return packing, err
}
