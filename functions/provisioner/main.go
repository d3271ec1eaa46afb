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

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/deploy/awsserver/provisionfn"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	fn, err := open(context.Background(), logger)
	if err != nil {
		logger.Error("starting the provisioner function", "err", err)
		os.Exit(1)
	}
	lambda.Start(fn.Handle)
}

// open wires the provisioner function of the stack the environment names.
func open(ctx context.Context, logger *slog.Logger) (*provisionfn.Function, error) {
	b, err := awsserver.OpenBackendFromEnv(ctx, os.Getenv, awsserver.BackendOptions{
		Subnets: awsserver.SubnetsFromEnv(os.Getenv),
		Logger:  logger,
	})
	if err != nil {
		return nil, err
	}
	return b.ProvisionerFunction(ctx, os.Getenv(provisionfn.EnvInterruptionQueue), provisionfn.Options{})
}
