package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/tanda-batch/tanda/api/agentapi"
	"github.com/tanda-batch/tanda/console"
	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/deploy/awsstack"
	"github.com/tanda-batch/tanda/deploy/kit"
)

// serveOptions are what `tanda serve` was asked to do.
type serveOptions struct {
	cfg    awsserver.Config
	init   awsserver.InitOptions
	doInit bool
	logs   logFlags
}

// parseServe reads `tanda serve`'s flags and environment (getenv).
func parseServe(args []string, getenv func(string) string) (serveOptions, error) {
	var o serveOptions
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	backend := fs.String("backend", "aws", "where state, queues and instances live: aws (DynamoDB, SQS, EC2 at AWS_ENDPOINT_URL or on AWS); 'tanda up' is the embedded backend")
	fs.BoolVar(&o.doInit, "init", false, "first create the stack's tables, queues, log group and launch template when absent (LocalStack, moto)")
	fs.StringVar(&o.cfg.DataDir, "data-dir", awsserver.DefaultDataDir, "where the master key and the first access key's AWS files are kept")
	fs.StringVar(&o.cfg.Listen, "listen", awsserver.DefaultListen, "address of the AWS Batch API")
	fs.StringVar(&o.cfg.Stack.Stack, "stack", "tanda", "stack name: prefixes the stack's resource names")
	region := fs.String("region", firstSet(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION")), "AWS region (default $AWS_REGION or $AWS_DEFAULT_REGION)")
	fs.StringVar(&o.cfg.Account, "account", awsserver.DefaultAccount, "account id in ARNs when STS does not answer")
	fs.StringVar(&o.cfg.Stack.Runtime, "runtime", "auto", "the agents' job runtime: auto (Docker when a daemon answers), docker or process")
	lease := fs.Duration("lease", 30*time.Second, "how long an attempt's lease lasts without a heartbeat")
	fs.StringVar(&o.init.AMI, "ami", "", "with --init: one image id for every agent (default: none in the launch template; each compute environment gets the ECS-optimized AMI of its imageType, architecture and GPUs from SSM)")
	fs.StringVar(&o.init.ArtifactsBucket, "artifacts-bucket", "", "with --init: S3 bucket the agents download tanda-agent-<arch> from (default: the AMI has "+awsserver.AgentBinary+")")
	fs.StringVar(&o.init.InstanceProfile, "instance-profile", "", "with --init: name or ARN of the agents' IAM instance profile")
	fs.StringVar(&o.cfg.Stack.InstanceRole, "instance-role", getenv("TANDA_INSTANCE_ROLE"), "name of the agents' IAM role: the agent API accepts only its sessions on the stack's instances (default $TANDA_INSTANCE_ROLE; unset, it accepts none)")
	fs.StringVar(&o.cfg.Stack.AgentAPI, "agent-url", "", "URL the agents reach the agent API at, written into their settings (default: http://<the address --listen bound>); its host is the server id their identities are signed for")
	fs.DurationVar(&o.cfg.IdleGrace, "idle-grace", 0, "idle instances retire after this (default: the provisioner's)")
	fs.DurationVar(&o.cfg.Scheduler.SweepEvery, "sweep-every", 0, "how often the sweeper ends attempts whose lease expired and re-rings lost doorbells (default: the scheduler's, 5s); an attempt whose instance is lost ends within --lease plus this")
	fs.DurationVar(&o.cfg.Scheduler.StalePending, "stale-pending", 0, "a PENDING job is re-evaluated this long after its last write, then at doubling ages up to 5m apart, in case its wake-up was lost (default: the scheduler's, 30s)")
	fs.Float64Var(&o.cfg.RateLimit, "rate-limit", 0, "API requests per second per access key before 429 TooManyRequestsException (0: no limit)")
	o.logs.register(fs)
	metricsOpts := metricsFlag(fs, defaultServeMetrics)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.cfg.MetricsListen = metricsOpts()
	if fs.NArg() > 0 {
		return o, fmt.Errorf("serve takes no arguments (got %q)", fs.Args())
	}
	if *backend != "aws" {
		return o, fmt.Errorf("--backend %q: the only backend of tanda serve is aws (for the embedded one, run tanda up)", *backend)
	}
	if o.cfg.Scheduler.SweepEvery < 0 {
		return o, fmt.Errorf("--sweep-every %s: must be positive", o.cfg.Scheduler.SweepEvery)
	}
	if o.cfg.Scheduler.StalePending < 0 {
		return o, fmt.Errorf("--stale-pending %s: must be positive", o.cfg.Scheduler.StalePending)
	}
	if *lease < time.Second {
		return o, fmt.Errorf("--lease %s: must be at least 1s", *lease)
	}
	o.cfg.Stack.LeaseSeconds = int(math.Ceil(lease.Seconds()))
	o.cfg.Stack.Region = *region
	o.cfg.Stack.Endpoint = getenv("AWS_ENDPOINT_URL")
	o.cfg.Stack = o.cfg.Stack.WithDefaults()
	if err := o.cfg.Stack.Validate(); err != nil {
		return o, err
	}
	return o, nil
}

// firstSet is the first non-empty value.
func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

func runServe(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseServe(args, os.Getenv)
	if err != nil {
		return err
	}
	if o.cfg.Logger, err = o.logs.logger(os.Stderr); err != nil {
		return err
	}
	if o.doInit {
		o.cfg.Init = &o.init
	}
	awsCfg, err := o.cfg.Stack.AWSConfig(ctx)
	if err != nil {
		return err
	}
	srv, err := awsserver.Open(ctx, awsCfg, o.cfg)
	if err != nil {
		return err
	}
	printServeBanner(out, srv)
	return srv.Run(ctx)
}

// printServeBanner says where the API is (the "endpoint: " line is read
// by scripts and tests), which stack it serves and which files it wrote.
func printServeBanner(out io.Writer, srv *awsserver.Server) {
	st := srv.Stack()
	where := "AWS"
	if st.Endpoint != "" {
		where = st.Endpoint
	}
	fmt.Fprintf(out, "Tanda serves stack %s on the AWS APIs (%s, region %s)\n", st.Stack, where, st.Region)
	fmt.Fprintf(out, "endpoint: %s\n", srv.Endpoint())
	fmt.Fprintf(out, "console: %s%s (sign in with an access key)\n", srv.Endpoint(), console.Prefix)
	fmt.Fprintf(out, "stack: %s\n", describeStack(st))
	if url, ok := srv.MetricsURL(); ok {
		fmt.Fprintf(out, "metrics: %s\n", url)
	}
	role := st.InstanceRole
	if role == "" {
		role = "unset (--instance-role): no instance is accepted"
	}
	fmt.Fprintf(out, "agent API: %s%s (instance role %s)\n", st.AgentAPI, agentapi.PathPrefix, role)
	if key, ok := srv.IssuedKey(); ok {
		fmt.Fprintf(out, "credentials: %s (profile %s, access key %s issued now)\n", absolute(srv.CredentialsFile()), kit.Profile, key.ID)
	} else {
		fmt.Fprintf(out, "credentials: %s (profile %s)\n", absolute(srv.CredentialsFile()), kit.Profile)
	}
	fmt.Fprintf(out, "config: %s\n", absolute(srv.ConfigFile()))
	fmt.Fprintf(out, "master key: %s (seals the access keys' secrets)\n", absolute(srv.KeyFile()))
	if res, ok := srv.Resources(); ok {
		fmt.Fprintf(out, "initialised: launch template %s version %d (image %s), queues %v\n",
			res.LaunchTemplate.ID, res.LaunchTemplate.DefaultVersion, res.LaunchTemplate.Image(), res.Queues)
	}
	fmt.Fprintf(out, "\nTry it:\n  AWS_SHARED_CREDENTIALS_FILE=%s AWS_CONFIG_FILE=%s AWS_PROFILE=%s aws batch describe-job-queues --endpoint-url %s\n",
		absolute(srv.CredentialsFile()), absolute(srv.ConfigFile()), kit.Profile, srv.Endpoint())
}

// describeStack names a stack's resources.
func describeStack(st awsstack.Settings) string {
	return fmt.Sprintf("%s (tables %s, %s; queues %s*; log group %s; event bus %s; launch template %s)",
		st.Stack, st.JobsTable, st.ItemsTable, st.QueuePrefix, st.LogGroup, st.EventBus, st.LaunchTemplate)
}
