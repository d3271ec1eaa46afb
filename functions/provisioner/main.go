// Command provisioner is Tanda's provisioner as a Lambda function that an
// EventBridge schedule invokes every minute: under a lease, it runs a
// provisioner pass every few seconds until shortly before its timeout,
// draining the interruption queue (TANDA_INTERRUPTION_QUEUE) of EC2 Spot
// and instance events before each. The stack's resources come from
// awsstack.EnvVars, the default subnets from TANDA_SUBNETS.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/deploy/awsserver/provisionfn"
	"github.com/tanda-batch/tanda/internal/metrics"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	reg := metrics.New(metrics.Options{NoProcess: true})
	fn, err := open(context.Background(), logger, reg)
	if err != nil {
		logger.Error("starting the provisioner function", "err", err)
		os.Exit(1)
	}
	emf := metrics.NewEMF(reg, os.Getenv, os.Stdout)
	lambda.Start(func(ctx context.Context, ev events.EventBridgeEvent) error {
		defer func() {
			if err := emf.Flush(); err != nil {
				logger.Warn("writing metrics", "err", err)
			}
		}()
		return fn.Handle(ctx, ev)
	})
}

// open wires the provisioner function of the stack the environment names,
// counting in reg, where the jobs gauge is too: each invocation's metrics
// then count the unfinished jobs, once a minute.
func open(ctx context.Context, logger *slog.Logger, reg *metrics.Registry) (*provisionfn.Function, error) {
	b, err := awsserver.OpenBackendFromEnv(ctx, os.Getenv, awsserver.BackendOptions{
		Subnets: awsserver.SubnetsFromEnv(os.Getenv),
		Logger:  logger,
		Metrics: reg,
	})
	if err != nil {
		return nil, err
	}
	if err := b.RegisterJobsGauge(); err != nil {
		return nil, err
	}
	return b.ProvisionerFunction(ctx, os.Getenv(provisionfn.EnvInterruptionQueue), provisionfn.Options{})
}
