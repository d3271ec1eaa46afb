// Command api is Tanda's AWS Batch API as a Lambda function behind a
// function URL with AuthType NONE: the API verifies each request's SigV4
// signature itself, against the stack's access keys, whose secrets are
// sealed with the KMS key TANDA_KMS_KEY_ID names. The stack's resources
// come from awsstack.EnvVars.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/functions/internal/lambdaurl"
	"github.com/tanda-batch/tanda/infra/kmskeys"
	"github.com/tanda-batch/tanda/internal/metrics"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	reg := metrics.New(metrics.Options{NoProcess: true})
	handler, err := open(context.Background(), logger, reg)
	if err != nil {
		logger.Error("starting the api function", "err", err)
		os.Exit(1)
	}
	emf := metrics.NewEMF(reg, os.Getenv, os.Stdout)
	lambda.Start(func(ctx context.Context, ev events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
		defer func() {
			if err := emf.Flush(); err != nil {
				logger.Warn("writing metrics", "err", err)
			}
		}()
		return handler(ctx, ev)
	})
}

// open wires the API handler of the stack the environment names, counting
// in reg.
func open(ctx context.Context, logger *slog.Logger, reg *metrics.Registry) (lambdaurl.Func, error) {
	b, err := awsserver.OpenBackendFromEnv(ctx, os.Getenv, awsserver.BackendOptions{Logger: logger, Metrics: reg})
	if err != nil {
		return nil, err
	}
	keys, err := b.AccessKeys(os.Getenv(kmskeys.EnvKeyID))
	if err != nil {
		return nil, err
	}
	h, err := b.APIHandler(ctx, keys)
	if err != nil {
		return nil, err
	}
	return lambdaurl.Handler(h), nil
}
