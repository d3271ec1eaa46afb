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

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/functions/internal/lambdaurl"
	"github.com/tanda-batch/tanda/infra/kmskeys"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	handler, err := open(context.Background(), logger)
	if err != nil {
		logger.Error("starting the api function", "err", err)
		os.Exit(1)
	}
	lambda.Start(handler)
}

// open wires the API handler of the stack the environment names.
func open(ctx context.Context, logger *slog.Logger) (lambdaurl.Func, error) {
	b, err := awsserver.OpenBackendFromEnv(ctx, os.Getenv, awsserver.BackendOptions{Logger: logger})
	if err != nil {
		return nil, err
	}
	keys, err := b.AccessKeys(os.Getenv(kmskeys.EnvKeyID))
	if err != nil {
		return nil, err
	}
	return lambdaurl.Handler(b.APIHandler(keys)), nil
}
