package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/tanda-batch/tanda/bootstrap/imds"
	"github.com/tanda-batch/tanda/deploy/ec2agent"
)

// agentOptions are what `tanda agent` was asked to do.
type agentOptions struct {
	imdsEndpoint string
	workRoot     string
	level        slog.Level
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
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("agent takes no arguments (got %q)", fs.Args())
	}
	if err := o.level.UnmarshalText([]byte(*level)); err != nil {
		return o, fmt.Errorf("--log-level %q: use debug, info, warn or error", *level)
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
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: o.level}))
	md := imds.New(o.imdsEndpoint, imds.Options{})
	inst, be, err := ec2agent.Connect(ctx, md, logger)
	if err != nil {
		return err
	}
	agent, err := ec2agent.New(ctx, inst, be, ec2agent.Config{
		WorkRoot: o.workRoot,
		Notices:  imds.NewMonitor(md, imds.MonitorOptions{Logger: logger.With("component", "imds")}),
		Logger:   logger,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, agent.Banner())
	return agent.Run(ctx)
}
