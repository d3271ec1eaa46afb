package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/bootstrap/rolecreds"
	"github.com/tanda-batch/tanda/deploy/ec2agent"
	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/internal/metrics"
)

// agentOptions are what `tanda agent` was asked to do.
type agentOptions struct {
	imdsEndpoint string
	workRoot     string
	level        slog.Level
	// credentialsPort is ec2agent.Config.CredentialsPort.
	credentialsPort int
	logFormat       string
	metrics         string
	// clockOffsetFile skews the agent's clock, for tests (agentClock).
	clockOffsetFile string
}

// parseAgent reads `tanda agent`'s flags and environment (getenv).
func parseAgent(args []string, getenv func(string) string) (agentOptions, error) {
	var o agentOptions
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	endpoint := getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT")
	if endpoint == "" {
		endpoint = imds.DefaultEndpoint
	}
	fs.StringVar(&o.imdsEndpoint, "imds-endpoint", endpoint, "instance metadata service (IMDSv2) URL; $AWS_EC2_METADATA_SERVICE_ENDPOINT when set, else "+imds.DefaultEndpoint)
	fs.StringVar(&o.workRoot, "work-root", ec2agent.DefaultWorkRoot, "where the jobs' working directories go")
	port := fs.Int("credentials-port", rolecreds.DefaultPort, "port of the job role credentials endpoint (on 169.254.170.2 for jobs on Docker's bridge, 127.0.0.1 on the host's network); 0 for any free port")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text (key=value) or json (one JSON object a line)")
	fs.StringVar(&o.metrics, "metrics-listen", "", "address of the Prometheus metrics endpoint (/metrics), e.g. :9265 for a scraper off the instance; empty: not served")
	fs.StringVar(&o.clockOffsetFile, "clock-offset-file", "", "tests only: skew the agent's clock by the duration in this file (e.g. -5m), re-read as it changes; refused unless IMDS and the stack's AWS endpoint are on loopback")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("agent takes no arguments (got %q)", fs.Args())
	}
	switch {
	case *port == 0:
		o.credentialsPort = rolecreds.AnyPort
	case *port > 0 && *port < 65536:
		o.credentialsPort = *port
	default:
		return o, fmt.Errorf("--credentials-port %d: use 1 to 65535, or 0 for any free port", *port)
	}
	if err := o.level.UnmarshalText([]byte(*level)); err != nil {
		return o, fmt.Errorf("--log-level %q: use debug, info, warn or error", *level)
	}
	if _, err := newLogger(io.Discard, o.logFormat, o.level); err != nil {
		return o, err
	}
	return o, nil
}

// runAgent is `tanda agent`, run on each instance the stack launches: it
// reads who it is and its stack's settings from IMDS, then runs jobs until
// SIGINT or SIGTERM. The attempts it runs then are left to their leases,
// which lapse, and the control plane retries them.
func runAgent(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseAgent(args, os.Getenv)
	if err != nil {
		return err
	}
	logger, err := newLogger(os.Stderr, o.logFormat, o.level)
	if err != nil {
		return err
	}
	reg := metrics.New(metrics.Options{})
	msrv, err := kit.ListenMetrics(reg, kit.MetricsOptions{Listen: o.metrics}, logger)
	if err != nil {
		return err
	}
	md := imds.New(o.imdsEndpoint, imds.Options{})
	inst, err := ec2agent.Discover(ctx, md, ec2agent.DiscoverOptions{})
	if err != nil {
		return fmt.Errorf("finding out which instance this is: %w", err)
	}
	clock, err := agentClock(o.clockOffsetFile, o.imdsEndpoint, inst.Settings.Endpoint)
	if err != nil {
		return err
	}
	be, err := ec2agent.OpenAWS(ctx, inst.Settings, clock, logger)
	if err != nil {
		return err
	}
	agent, err := ec2agent.New(ctx, inst, be, ec2agent.Config{
		Clock:           clock,
		WorkRoot:        o.workRoot,
		CredentialsPort: o.credentialsPort,
		Notices:         imds.NewMonitor(md, imds.MonitorOptions{Logger: logger.With("component", "imds")}),
		Logger:          logger,
		Metrics:         reg,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, agent.Banner())
	if msrv == nil {
		return agent.Run(ctx)
	}
	fmt.Fprintf(out, "metrics: %s\n", msrv.URL())
	var wg sync.WaitGroup
	mctx, stop := context.WithCancel(ctx)
	wg.Go(func() {
		if err := msrv.Run(mctx); err != nil {
			logger.Error("metrics endpoint stopped", "err", err)
		}
	})
	err = agent.Run(ctx)
	stop()
	wg.Wait()
	return err
}
