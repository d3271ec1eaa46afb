//go:build linux

package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"
	"github.com/aws/aws-sdk-go-v2/service/batch/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/tanda-batch/tanda/integration/chaos/jobrecord"
	"github.com/tanda-batch/tanda/integration/instances"
	"github.com/tanda-batch/tanda/internal/childproc"
)

// Fault kinds of the AWS backend.
const (
	FaultKillAgent          = "kill-agent"            // kill -9 of an agent (and its jobs); restarted, or its instance terminated
	FaultTerminateInstance  = "terminate-instance"    // TerminateInstances under running jobs, no notice
	FaultSpotInterruption   = "spot-interruption"     // a Spot notice, the instance terminated at its time
	FaultRebalance          = "rebalance"             // a rebalance recommendation
	FaultAgentsNetwork      = "agents-network"        // the agents' calls to the AWS APIs broken for the hold
	FaultControlPlaneAWSNet = "control-plane-network" // the control plane's calls to the AWS APIs broken for the hold
	FaultQueueRedelivery    = "queue-redelivery"      // SQS deliveries duplicated and repeated more for the hold
)

// The access keys that tell the control plane's AWS calls from the agents'
// at the AWS proxy (moto accepts any key).
const (
	serverKey = "AKIDCHAOSSERVE"
	agentKey  = "AKIDCHAOSAGENT"
	// The proxy's names for them.
	callerServer = "control-plane"
	callerAgents = "agents"
)

// AWSBackend is `tanda serve --backend aws` on moto, run as the real
// tanda binary, with a real `tanda agent` process for each instance its
// provisioner launches in moto (integration/instances plays them, with an
// IMDS each). The control plane's and the agents' AWS calls go through an
// AWSProxy, which breaks them apart and plays SQS's redelivery harder. How
// an agent reaches the control plane is the agent's business: the backend
// only starts `tanda agent` on each instance, so an agent that calls the
// control plane's HTTP API instead of DynamoDB works the same, at the
// API's fixed address (the control plane restarts on the same port).
type AWSBackend struct {
	Dir  string // holds the binaries, the data directory, the instances and the logs
	Moto string // moto's endpoint
	// Lease is the attempts' lease, in whole seconds (tanda serve --lease).
	Lease time.Duration
	// SpotNotice is how long before its termination an interrupted
	// instance is told: two minutes on EC2.
	SpotNotice time.Duration
	// InstanceType is the compute environment's instance type, and
	// MinvCpus its minimum: the instances running from the start, which
	// Start waits for, so that the first faults find agents to hit.
	InstanceType string
	MinvCpus     int32
	// BreakRate is the share of calls the network faults break while
	// they hold; BaselineRate the share broken all through the run.
	BreakRate, BaselineRate float64
	// Visibility and DupRate are SQS's play all through the run
	// (AWSProxy.Redeliver); the queue-redelivery fault raises DupRate to
	// one half.
	Visibility time.Duration
	DupRate    float64
	Seed       uint64
	// Race builds tanda with the race detector, and Stop fails when one
	// of its processes reported a race.
	Race bool
	Logf func(format string, args ...any)

	stack, dataDir, bin, jobBin, records, listen string
	ec2                                          *ec2.Client
	proxy                                        *AWSProxy
	harness                                      *instances.Harness

	mu     sync.Mutex
	serve  *childproc.Process
	starts int
	logs   []string
}

// Name names the backend.
func (b *AWSBackend) Name() string {
	return "tanda serve --backend aws on moto, a tanda agent process per instance (process runtime)"
}

// LeaseTTL is the attempts' lease.
func (b *AWSBackend) LeaseTTL() time.Duration { return b.Lease }

// Start builds tanda and the job program, starts the AWS proxy, the
// control plane and the instance harness, and makes the compute
// environment and job queue the run uses.
func (b *AWSBackend) Start(ctx context.Context, records string) error {
	b.records = records
	b.stack = fmt.Sprintf("chaos-%08x", rand.Uint32())
	b.dataDir = filepath.Join(b.Dir, "data")
	b.bin = filepath.Join(b.Dir, "tanda")
	b.jobBin = filepath.Join(b.Dir, "chaosjob")
	if err := buildTanda(ctx, b.bin, b.Race); err != nil {
		return err
	}
	if err := buildJob(ctx, b.jobBin); err != nil {
		return err
	}
	var err error
	b.proxy, err = StartAWSProxy(b.Moto, map[string]string{serverKey: callerServer, AnyOtherKey: callerAgents}, b.Seed)
	if err != nil {
		return err
	}
	for _, c := range []string{callerServer, callerAgents} {
		b.proxy.Baseline(c, b.BaselineRate)
	}
	b.proxy.Redeliver(b.Visibility, b.DupRate)
	if b.listen, err = freePort(); err != nil {
		return err
	}
	if _, err := b.startServe(ctx, true); err != nil {
		return err
	}
	b.ec2 = ec2.New(ec2.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(b.Moto),
		Credentials: credentials.NewStaticCredentialsProvider(serverKey, "secret", ""),
	})
	b.harness, err = instances.New(instances.Options{
		EC2: b.ec2, Stack: b.stack, Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(agentKey, "secret", ""),
		Command: []string{b.bin, "agent", "--work-root", filepath.Join(instances.InstanceDir, "work"),
			"--credentials-port", "0", "--clock-offset-file", filepath.Join(instances.InstanceDir, "clock-offset")},
		Dir: filepath.Join(b.Dir, "instances"), Logf: b.logf,
		// Polled at 250 ms, DescribeInstances was about 14 % of moto's
		// work in a short run (moto lists every instance the run made).
		// The faults that take an instance away end its agent and jobs
		// themselves before EC2 hears of it, so a slower poll only starts
		// new agents later.
		Every: 500 * time.Millisecond,
		// Each agent signs as a session of the stack's instance role named
		// after its instance, as on EC2: the agent API accepts nothing else.
		Session: instances.RoleSessions(sts.New(sts.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(b.Moto),
			Credentials: credentials.NewStaticCredentialsProvider(serverKey, "secret", ""),
		}), b.instanceRole()),
	})
	if err != nil {
		return err
	}
	// Not ctx: Stop stops the harness and waits for it.
	if err := b.harness.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	if err := b.createQueue(ctx); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := b.harness.Await(wait, func() bool { return len(b.harness.Agents()) > 0 }); err != nil {
		return fmt.Errorf("waiting for the compute environment's first instances: %w", err)
	}
	return nil
}

func (b *AWSBackend) logf(format string, args ...any) {
	if b.Logf != nil {
		b.Logf(format, args...)
	}
}

// buildTanda builds cmd/tanda into out.
func buildTanda(ctx context.Context, out string, race bool) error {
	args := []string{"build", "-o", out}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "github.com/tanda-batch/tanda/cmd/tanda")...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building tanda: %w\n%s", err, msg)
	}
	return nil
}

// freePort is a free address on 127.0.0.1, for the control plane to keep
// across its restarts.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	return addr, nil
}

// instanceRole names the stack's instance role, whose sessions the agent
// API accepts (moto's STS assumes a role whether or not IAM has it).
func (b *AWSBackend) instanceRole() string { return b.stack + "-InstanceRole" }

// startServe starts `tanda serve` (creating the stack's resources when
// initialise) and returns how long its API took to answer.
func (b *AWSBackend) startServe(ctx context.Context, initialise bool) (time.Duration, error) {
	args := []string{"serve", "--backend", "aws", "--data-dir", b.dataDir, "--listen", b.listen,
		"--stack", b.stack, "--instance-role", b.instanceRole(), "--runtime", "process", "--lease", b.Lease.String(), "--sweep-every", "1s", "--stale-pending", "10s", "--idle-grace", "10s"}
	if initialise {
		args = append(args, "--init")
	}
	cmd := exec.Command(b.bin, args...)
	cmd.Env = append(childproc.WithoutAWS(os.Environ()),
		"AWS_ENDPOINT_URL="+b.proxy.URL(), "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID="+serverKey, "AWS_SECRET_ACCESS_KEY=secret")
	b.mu.Lock()
	b.starts++
	log := filepath.Join(b.Dir, fmt.Sprintf("serve-%d.log", b.starts))
	b.logs = append(b.logs, log)
	b.mu.Unlock()
	began := time.Now()
	proc, err := childproc.Start(cmd, log)
	if err != nil {
		return 0, err
	}
	wait, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := proc.AwaitHTTP(wait, "http://"+b.listen+"/ping"); err != nil {
		proc.Kill()
		return 0, fmt.Errorf("waiting for tanda serve's API: %w\n%s", err, proc.Tail(4<<10))
	}
	answered := time.Since(began)
	b.mu.Lock()
	b.serve = proc
	b.mu.Unlock()
	return answered, nil
}

// createQueue makes the run's compute environment (Spot, in moto's
// default VPC) and job queue, and waits until both are VALID.
func (b *AWSBackend) createQueue(ctx context.Context) error {
	subnets, err := b.defaultSubnets(ctx)
	if err != nil {
		return err
	}
	cfg, err := b.AWSConfig(ctx)
	if err != nil {
		return err
	}
	c := awsbatch.NewFromConfig(cfg, func(o *awsbatch.Options) { o.BaseEndpoint = aws.String(b.Endpoint()) })
	if _, err := c.CreateComputeEnvironment(ctx, &awsbatch.CreateComputeEnvironmentInput{
		ComputeEnvironmentName: aws.String(ComputeEnvironment), Type: types.CETypeManaged, State: types.CEStateEnabled,
		ComputeResources: &types.ComputeResource{
			Type: types.CRTypeSpot, AllocationStrategy: types.CRAllocationStrategySpotCapacityOptimized,
			MinvCpus: aws.Int32(b.MinvCpus), MaxvCpus: aws.Int32(max(16, b.MinvCpus)), InstanceTypes: []string{b.InstanceType},
			Subnets: subnets, InstanceRole: aws.String("ecsInstanceRole"),
		},
	}); err != nil {
		return fmt.Errorf("creating the compute environment: %w", err)
	}
	if _, err := c.CreateJobQueue(ctx, &awsbatch.CreateJobQueueInput{
		JobQueueName: aws.String(JobQueue), Priority: aws.Int32(1), State: types.JQStateEnabled,
		ComputeEnvironmentOrder: []types.ComputeEnvironmentOrder{{Order: aws.Int32(1), ComputeEnvironment: aws.String(ComputeEnvironment)}},
	}); err != nil {
		return fmt.Errorf("creating the job queue: %w", err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		ces, err1 := c.DescribeComputeEnvironments(ctx, &awsbatch.DescribeComputeEnvironmentsInput{ComputeEnvironments: []string{ComputeEnvironment}})
		qs, err2 := c.DescribeJobQueues(ctx, &awsbatch.DescribeJobQueuesInput{JobQueues: []string{JobQueue}})
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("describing the compute environment and job queue: %w", err)
		}
		if len(ces.ComputeEnvironments) == 1 && ces.ComputeEnvironments[0].Status == types.CEStatusValid &&
			len(qs.JobQueues) == 1 && qs.JobQueues[0].Status == types.JQStatusValid {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("compute environment and job queue not VALID after a minute: %+v %+v", ces.ComputeEnvironments, qs.JobQueues)
		}
		if !sleepUntil(ctx, time.Now().Add(250*time.Millisecond)) {
			return ctx.Err()
		}
	}
}

// defaultSubnets lists the subnets of moto's default VPC.
func (b *AWSBackend) defaultSubnets(ctx context.Context) ([]string, error) {
	out, err := b.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
		{Name: aws.String("default-for-az"), Values: []string{"true"}},
	}})
	if err != nil {
		return nil, fmt.Errorf("describing the default subnets: %w", err)
	}
	var ids []string
	for _, s := range out.Subnets {
		ids = append(ids, aws.ToString(s.SubnetId))
	}
	if len(ids) == 0 {
		return nil, errors.New("moto has no default subnet")
	}
	return ids, nil
}

// Endpoint is the API's URL, the same across restarts.
func (b *AWSBackend) Endpoint() string { return "http://" + b.listen }

// AWSConfig reads the credentials tanda serve wrote.
func (b *AWSBackend) AWSConfig(ctx context.Context) (aws.Config, error) {
	return clientConfig(ctx, b.dataDir)
}

// Job runs the chaos job program.
func (b *AWSBackend) Job(args []string) ([]string, map[string]string) {
	return append([]string{b.jobBin}, args...), map[string]string{jobrecord.EnvRecords: b.records}
}

// Instances lists the instances running in EC2, as the harness last saw.
func (b *AWSBackend) Instances(context.Context) ([]string, error) {
	var ids []string
	for _, a := range b.harness.All() {
		if a.InstanceRunning {
			ids = append(ids, a.InstanceID)
		}
	}
	return ids, nil
}

// Faults lists what this backend injects.
func (b *AWSBackend) Faults() ([]Fault, map[string]string) {
	return []Fault{
			serveKill{b}, agentKill{b}, terminateFault{b}, spotFault{b}, rebalanceFault{b},
			awsNetFault{b, FaultAgentsNetwork, callerAgents}, awsNetFault{b, FaultControlPlaneAWSNet, callerServer},
			redeliveryFault{b}, agentSkew{b},
		}, map[string]string{
			FaultCrashInstance: "an instance is lost by terminate-instance, spot-interruption or kill-agent here",
			FaultDiskFull:      "the AWS backend's store is DynamoDB (moto): no disk of Tanda's to fill",
		}
}

// Stop stops the control plane with SIGTERM, the agents and the proxy,
// and reports a race any process logged.
func (b *AWSBackend) Stop(ctx context.Context) error {
	var errs []error
	b.mu.Lock()
	proc := b.serve
	b.mu.Unlock()
	if proc != nil && !proc.Exited() {
		if err := proc.Signal(syscall.SIGTERM); err != nil {
			errs = append(errs, fmt.Errorf("stopping tanda serve: %w", err))
		}
		select {
		case <-proc.Done():
			if code := proc.State().ExitCode(); code != 0 {
				errs = append(errs, fmt.Errorf("tanda serve exited with %d after SIGTERM:\n%s", code, proc.Tail(4<<10)))
			}
		case <-time.After(30 * time.Second):
			errs = append(errs, errors.New("tanda serve still running 30s after SIGTERM"))
		case <-ctx.Done():
			errs = append(errs, ctx.Err())
		}
		proc.Kill()
	}
	logs := slices.Clone(b.logs)
	if b.harness != nil {
		b.harness.Stop()
		for _, a := range b.harness.All() {
			matches, _ := filepath.Glob(filepath.Join(a.Dir, "agent*.log"))
			logs = append(logs, matches...)
		}
	}
	if b.proxy != nil {
		if err := b.proxy.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing the AWS proxy: %w", err))
		}
	}
	for _, log := range logs {
		data, err := os.ReadFile(log)
		if err != nil {
			errs = append(errs, fmt.Errorf("reading a log: %w", err))
			continue
		}
		if strings.Contains(string(data), "WARNING: DATA RACE") {
			errs = append(errs, fmt.Errorf("a data race was reported in %s", log))
		}
	}
	return errors.Join(errs...)
}

// ProxyCounts is what the AWS proxy did.
func (b *AWSBackend) ProxyCounts() map[string]int64 { return b.proxy.Counts() }

// liveAgent picks, with rng, an instance whose agent runs.
func (b *AWSBackend) liveAgent(rng *rand.Rand) (string, bool) {
	ids := b.harness.Agents()
	if len(ids) == 0 {
		return "", false
	}
	return ids[rng.IntN(len(ids))], true
}

// serveKill is kill -9 of tanda serve, restarted on the same port and data
// directory when healed. The agents go on meanwhile.
type serveKill struct{ b *AWSBackend }

func (serveKill) Kind() string { return FaultKillControlPlane }

func (f serveKill) Inject(ctx context.Context, _ *rand.Rand) (Injection, error) {
	f.b.mu.Lock()
	proc := f.b.serve
	f.b.mu.Unlock()
	if err := proc.Signal(syscall.SIGKILL); err != nil {
		return Injection{}, fmt.Errorf("kill -9 of tanda serve: %w", err)
	}
	<-proc.Done()
	return Injection{
		Detail: fmt.Sprintf("kill -9 of tanda serve (pid %d); %d agents go on", proc.PID(), len(f.b.harness.Agents())),
		Heal: func(ctx context.Context) (Healed, error) {
			took, err := f.b.startServe(ctx, false)
			return Healed{Detail: fmt.Sprintf("restarted; API answered %v after start", took.Round(time.Millisecond)), APIAnswered: took}, err
		},
	}, nil
}

// agentKill is kill -9 of an agent and its jobs. Half the time the
// instance then ends (terminated in EC2 at once); else a new agent starts
// on it when healed, as systemd's Restart=on-failure does.
type agentKill struct{ b *AWSBackend }

func (agentKill) Kind() string { return FaultKillAgent }

func (f agentKill) Inject(ctx context.Context, rng *rand.Rand) (Injection, error) {
	id, ok := f.b.liveAgent(rng)
	if !ok {
		return Injection{Detail: "no agent to kill"}, nil
	}
	terminate := rng.IntN(2) == 0
	pid, err := f.b.harness.KillAgent(id)
	if err != nil {
		return Injection{}, err
	}
	in := Injection{Lost: []string{id}}
	if terminate {
		if _, err := f.b.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
			return in, fmt.Errorf("terminating %s: %w", id, err)
		}
		in.Detail = fmt.Sprintf("kill -9 of the agent of %s (pid %d) and its jobs; the instance terminated", id, pid)
		return in, nil
	}
	in.Detail = fmt.Sprintf("kill -9 of the agent of %s (pid %d) and its jobs; a new agent starts after the hold", id, pid)
	in.Heal = func(context.Context) (Healed, error) {
		if err := f.b.harness.RestartAgent(id); err != nil {
			return Healed{Detail: "no restart"}, err
		}
		return Healed{Detail: "a new agent runs on " + id}, nil
	}
	return in, nil
}

// terminateFault terminates an instance in EC2 under its running jobs,
// with no notice. On EC2 the instance's processes end with it, before it
// is listed terminated; moto lists it terminated at once, while the
// harness would kill its processes only at its next poll, so the control
// plane could start the next attempt of a job whose process, on an
// instance EC2 already calls terminated, still ran (a zombie of a few
// tens of milliseconds, seen in a replay). So the harness ends the
// instance's agent and jobs first, as the shutdown would, and then the
// instance is terminated in EC2.
type terminateFault struct{ b *AWSBackend }

func (terminateFault) Kind() string { return FaultTerminateInstance }

func (f terminateFault) Inject(ctx context.Context, rng *rand.Rand) (Injection, error) {
	id, ok := f.b.liveAgent(rng)
	if !ok {
		return Injection{Detail: "no instance to terminate"}, nil
	}
	pid, err := f.b.harness.KillAgent(id)
	if err != nil {
		return Injection{}, fmt.Errorf("shutting %s down: %w", id, err)
	}
	if _, err := f.b.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}}); err != nil {
		return Injection{Lost: []string{id}}, fmt.Errorf("terminating %s: %w", id, err)
	}
	return Injection{Detail: fmt.Sprintf("instance %s terminated in EC2 (its agent, pid %d, and jobs ended with it)", id, pid), Lost: []string{id}}, nil
}

// spotFault gives an instance a Spot interruption notice; the harness
// terminates it at the notice's time.
type spotFault struct{ b *AWSBackend }

func (spotFault) Kind() string { return FaultSpotInterruption }

func (f spotFault) Inject(_ context.Context, rng *rand.Rand) (Injection, error) {
	id, ok := f.b.liveAgent(rng)
	if !ok {
		return Injection{Detail: "no instance to interrupt"}, nil
	}
	if err := f.b.harness.Interrupt(id, f.b.SpotNotice); err != nil {
		return Injection{}, err
	}
	return Injection{Detail: fmt.Sprintf("Spot interruption notice for %s, terminated in %v", id, f.b.SpotNotice)}, nil
}

// rebalanceFault gives an instance a rebalance recommendation.
type rebalanceFault struct{ b *AWSBackend }

func (rebalanceFault) Kind() string { return FaultRebalance }

func (f rebalanceFault) Inject(_ context.Context, rng *rand.Rand) (Injection, error) {
	id, ok := f.b.liveAgent(rng)
	if !ok {
		return Injection{Detail: "no instance to recommend rebalancing"}, nil
	}
	if err := f.b.harness.Rebalance(id); err != nil {
		return Injection{}, err
	}
	return Injection{Detail: "rebalance recommendation for " + id}, nil
}

// awsNetFault breaks a share of one caller's AWS calls for the hold.
type awsNetFault struct {
	b      *AWSBackend
	kind   string
	caller string
}

func (f awsNetFault) Kind() string { return f.kind }

func (f awsNetFault) Inject(context.Context, *rand.Rand) (Injection, error) {
	f.b.proxy.Break(f.caller, f.b.BreakRate)
	return Injection{
		Detail: fmt.Sprintf("the %s' AWS calls: %.0f %% broken (dropped, throttled, 503 before and 500 after the write, answers lost, cut mid-answer, delayed)", f.caller, 100*f.b.BreakRate),
		Heal: func(context.Context) (Healed, error) {
			f.b.proxy.Mend(f.caller)
			return Healed{Detail: "back to the baseline"}, nil
		},
	}, nil
}

// redeliveryFault makes half the SQS sends twice and hides received
// messages for a second only, for the hold.
type redeliveryFault struct{ b *AWSBackend }

func (redeliveryFault) Kind() string { return FaultQueueRedelivery }

func (f redeliveryFault) Inject(context.Context, *rand.Rand) (Injection, error) {
	f.b.proxy.Redeliver(time.Second, 0.5)
	return Injection{
		Detail: "SQS: half the sends made twice, received messages hidden 1 s",
		Heal: func(context.Context) (Healed, error) {
			f.b.proxy.Redeliver(f.b.Visibility, f.b.DupRate)
			return Healed{Detail: "SQS back to the run's setting"}, nil
		},
	}, nil
}

// agentSkew puts one agent's clock off by minutes (tanda agent
// --clock-offset-file), the control plane's and the others' right.
type agentSkew struct{ b *AWSBackend }

func (agentSkew) Kind() string { return FaultAgentClock }

func (f agentSkew) Inject(_ context.Context, rng *rand.Rand) (Injection, error) {
	id, ok := f.b.liveAgent(rng)
	if !ok {
		return Injection{Detail: "no agent to skew"}, nil
	}
	by := time.Duration(1+rng.IntN(10)) * time.Minute
	if rng.IntN(2) == 0 {
		by = -by
	}
	a, _ := f.b.harness.Agent(id)
	file := filepath.Join(a.Dir, "clock-offset")
	if err := os.WriteFile(file, []byte(by.String()), 0o644); err != nil {
		return Injection{}, fmt.Errorf("skewing the clock of %s: %w", id, err)
	}
	return Injection{
		Detail: "the clock of the agent of " + id + " off by " + by.String(),
		Heal: func(context.Context) (Healed, error) {
			if err := os.Remove(file); err != nil && !errors.Is(err, os.ErrNotExist) {
				return Healed{}, fmt.Errorf("righting the clock of %s: %w", id, err)
			}
			return Healed{Detail: "the clock of " + id + " right"}, nil
		},
	}, nil
}

// Diagnose says how many doorbells each of the stack's SQS queues holds
// (visible, in flight, delayed) and which agents run, as the harness last
// saw them.
func (b *AWSBackend) Diagnose(ctx context.Context) []string {
	c := sqs.New(sqs.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(b.Moto),
		Credentials: credentials.NewStaticCredentialsProvider(serverKey, "secret", ""),
	})
	var lines []string
	queues, err := c.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(b.stack)})
	if err != nil {
		return []string{fmt.Sprintf("listing the stack's queues: %v", err)}
	}
	for _, url := range queues.QueueUrls {
		out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		}})
		if err != nil {
			lines = append(lines, fmt.Sprintf("queue %s: %v", url, err))
			continue
		}
		a := out.Attributes
		lines = append(lines, fmt.Sprintf("queue %s: %s visible, %s in flight, %s delayed", path.Base(url),
			a[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)], a[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible)],
			a[string(sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed)]))
	}
	for _, a := range b.harness.All() {
		lines = append(lines, fmt.Sprintf("instance %s: running %v, agent live %v (restarts %d), log %s", a.InstanceID, a.InstanceRunning, a.Live, a.Restarts, a.LogFile))
	}
	return lines
}
