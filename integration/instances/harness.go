//go:build unix

package instances

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/tanda-batch/tanda/batch"
)

// InstanceDir stands for the instance's directory in Options.Command.
const InstanceDir = "{instance-dir}"

// EC2API is the part of the EC2 API the harness calls; *ec2.Client has it.
type EC2API interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeInstanceAttribute(ctx context.Context, in *ec2.DescribeInstanceAttributeInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstanceAttributeOutput, error)
	TerminateInstances(ctx context.Context, in *ec2.TerminateInstancesInput, optFns ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error)
}

// Options configures a Harness. EC2, Stack, Region, Credentials, Command
// and Dir are required.
type Options struct {
	// EC2 is the EC2 API the stack's instances live in (moto's).
	EC2 EC2API
	// Stack is the value of the tanda:stack tag of the instances to play.
	Stack string
	// Region is the instances' region, in their identity documents and the
	// agents' AWS_REGION.
	Region string
	// Credentials are put in each agent's environment
	// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), as an instance role
	// would provide them on EC2.
	Credentials aws.CredentialsProvider
	// Session, when set, gives each agent credentials of its own in place
	// of Credentials, as EC2 gives each instance a session of its
	// instance role named after it (RoleSessions). An instance whose
	// session cannot be had is tried again next poll.
	Session func(ctx context.Context, instanceID, account string) (aws.Credentials, error)
	// Command is the agent program and its arguments, for example
	// {"/tmp/tanda", "agent", "--work-root", instances.InstanceDir + "/work"}.
	// InstanceDir in any of them is replaced by the instance's directory.
	Command []string
	// Env is added to each agent's environment, after the harness's own
	// variables (a later value wins).
	Env []string
	// Dir holds a directory per instance: the agent's working directory
	// and TMPDIR, and its log (agent.log, standard output and error).
	Dir string
	// Every is the period of the DescribeInstances poll (250ms).
	Every time.Duration
	// Clock dates IMDS tokens and notices and tells when an interrupted
	// instance is due for termination (batch.SystemClock).
	Clock batch.Clock
	// Logf reports what the harness does and the errors it retries
	// (discarded when nil).
	Logf func(format string, args ...any)
}

func (o *Options) validate() error {
	var errs []error
	if o.EC2 == nil {
		errs = append(errs, errors.New("no EC2 client"))
	}
	if o.Stack == "" {
		errs = append(errs, errors.New("no stack name"))
	}
	if o.Region == "" {
		errs = append(errs, errors.New("no region"))
	}
	if o.Credentials == nil {
		errs = append(errs, errors.New("no credentials for the agents"))
	}
	if len(o.Command) == 0 {
		errs = append(errs, errors.New("no agent command"))
	}
	if o.Dir == "" {
		errs = append(errs, errors.New("no directory for the instances"))
	}
	return errors.Join(errs...)
}

// Harness plays the running instances of one stack: for each it serves an
// IMDS and runs an agent process, and it kills that agent when the
// instance leaves the running state. It is safe for concurrent use.
type Harness struct {
	opts  Options
	clock batch.Clock
	logf  func(format string, args ...any)

	mu        sync.Mutex
	instances map[string]*instance // every instance seen, by id
	changed   chan struct{}        // closed and replaced after each poll
	started   bool
	stopped   bool

	env      []string           // the agents' common environment, set by Start
	cancel   context.CancelFunc // stops the poller and the agents
	done     chan struct{}      // closed when the poller has returned
	stopOnce sync.Once
}

// New returns a harness; Start starts it.
func New(opts Options) (*Harness, error) {
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("configuring the instance harness: %w", err)
	}
	if opts.Every <= 0 {
		opts.Every = 250 * time.Millisecond
	}
	h := &Harness{opts: opts, clock: opts.Clock, logf: opts.Logf,
		instances: map[string]*instance{}, changed: make(chan struct{})}
	if h.clock == nil {
		h.clock = batch.SystemClock{}
	}
	if h.logf == nil {
		h.logf = func(string, ...any) {}
	}
	return h, nil
}

// Start polls EC2 once, starting agents for the instances already running,
// then keeps polling in a goroutine until Stop. Canceling ctx stops the
// polling and kills the agents too; Stop must still be called to wait for
// them.
func (h *Harness) Start(ctx context.Context) error {
	h.mu.Lock()
	if h.started || h.stopped {
		h.mu.Unlock()
		return errors.New("instance harness already started or stopped")
	}
	h.started = true
	h.mu.Unlock()

	creds, err := h.opts.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("retrieving credentials for the agents: %w", err)
	}
	h.env = baseEnv(h.opts.Region, creds)
	ctx, h.cancel = context.WithCancel(ctx)
	h.done = make(chan struct{})
	if err := h.poll(ctx); err != nil {
		h.cancel()
		close(h.done)
		h.Stop()
		return fmt.Errorf("first poll of the stack's instances: %w", err)
	}
	go h.run(ctx)
	return nil
}

// Stop stops polling, kills every agent (SIGKILL to its process group),
// waits for them to be reaped and closes their IMDS servers. It may be
// called more than once, and without Start, but not while Start runs.
func (h *Harness) Stop() {
	h.stopOnce.Do(func() {
		if h.cancel != nil {
			h.cancel()
			<-h.done
		}
		h.mu.Lock()
		all := slices.Collect(maps.Values(h.instances))
		h.mu.Unlock()
		for _, in := range all {
			h.retire(in)
		}
		h.mu.Lock()
		h.stopped = true
		h.mu.Unlock()
		h.broadcast()
	})
}

// run polls every Options.Every until ctx is done.
func (h *Harness) run(ctx context.Context) {
	defer close(h.done)
	tick := time.NewTicker(h.opts.Every)
	defer tick.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := h.poll(ctx)
		switch {
		case err == nil:
			lastErr = ""
		case ctx.Err() != nil:
			return
		case err.Error() != lastErr: // say it once, not every tick
			lastErr = err.Error()
			h.logf("instance harness: %v (retrying)", err)
		}
	}
}

// poll is one pass: terminate the interrupted instances that are due,
// start agents for new running instances and retire those of instances
// no longer running.
func (h *Harness) poll(ctx context.Context) error {
	h.terminateDue(ctx)
	live, err := h.describeLive(ctx)
	if err != nil {
		return err
	}
	h.mu.Lock()
	var retiring []*instance
	var fresh []observed
	for id, in := range h.instances {
		if _, ok := live[id]; !ok && !in.gone {
			retiring = append(retiring, in)
		}
	}
	for id, o := range live {
		if _, ok := h.instances[id]; !ok {
			fresh = append(fresh, o)
		}
	}
	h.mu.Unlock()

	for _, in := range retiring {
		h.logf("instance harness: %s left the running state; killing its agent", in.meta.InstanceID)
		h.retire(in)
	}
	var errs []error
	for _, o := range fresh {
		errs = append(errs, h.launch(ctx, o))
	}
	h.broadcast()
	return errors.Join(errs...)
}

// launch serves an IMDS for a newly seen instance and starts its agent.
// An instance whose metadata cannot be read is tried again next poll; one
// whose agent cannot start is recorded with the error and not retried.
func (h *Harness) launch(ctx context.Context, o observed) error {
	meta, err := metadataOf(ctx, h.opts.EC2, o.inst, o.owner, h.opts.Region)
	if err != nil {
		return err
	}
	var own []string
	if h.opts.Session != nil {
		creds, err := h.opts.Session(ctx, meta.InstanceID, meta.AccountID)
		if err != nil {
			return err
		}
		own = credentialsEnv(creds)
	}
	dir := filepath.Join(h.opts.Dir, meta.InstanceID)
	in := &instance{meta: meta, imds: NewIMDS(meta, h.clock), dir: dir, logFile: filepath.Join(dir, "agent.log")}
	in.command = make([]string, len(h.opts.Command))
	for i, arg := range h.opts.Command {
		in.command[i] = strings.ReplaceAll(arg, InstanceDir, dir)
	}
	in.own = own
	in.startErr = in.start(in.command, h.agentEnv(in, in.own))
	if in.startErr != nil {
		h.logf("instance harness: %v", in.startErr)
	} else {
		h.logf("instance harness: started the agent of %s (%s, %s), pid %d, log %s",
			meta.InstanceID, meta.InstanceType, meta.Lifecycle, in.proc.PID(), in.logFile)
	}
	h.mu.Lock()
	h.instances[meta.InstanceID] = in
	h.mu.Unlock()
	return nil
}

// retire kills the instance's agent and everything else it left
// running, waits for the agent and closes its IMDS.
func (h *Harness) retire(in *instance) {
	h.mu.Lock()
	if in.gone {
		h.mu.Unlock()
		return
	}
	in.gone = true
	in.killed = in.running()
	proc := in.proc
	h.mu.Unlock()
	if err := in.kill(proc); err != nil {
		h.logf("instance harness: %v", err)
	}
	in.imds.Close()
}

// broadcast wakes the callers of Await.
func (h *Harness) broadcast() {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.changed)
	h.changed = make(chan struct{})
}

// Await returns once cond holds, evaluating it now and after each poll,
// or an error when ctx ends or the harness stops first.
func (h *Harness) Await(ctx context.Context, cond func() bool) error {
	for {
		h.mu.Lock()
		changed, stopped := h.changed, h.stopped
		h.mu.Unlock()
		if cond() {
			return nil
		}
		if stopped {
			return errors.New("instance harness stopped")
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("waiting on the instance harness: %w", ctx.Err())
		}
	}
}
