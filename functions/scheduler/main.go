// Command scheduler is the scheduler's Lambda function. SQS invokes it
// with batches of the submissions queue (ReportBatchItemFailures on): it
// evaluates the jobs whose doorbells ring there and submits the jobs of
// the S3 uploads the trigger rules match.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/functions/scheduler/internal/handler"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	slog.SetDefault(logger)
	h, err := newHandler(context.Background(), logger)
	if err != nil {
		logger.Error("starting the scheduler function", "err", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// newHandler connects to the stack the environment names.
func newHandler(ctx context.Context, logger *slog.Logger) (*handler.Handler, error) {
	be, err := awsserver.OpenBackendFromEnv(ctx, os.Getenv, awsserver.BackendOptions{Logger: logger})
	if err != nil {
		return nil, err
	}
	return handler.New(be.Router(), handler.Options{Logger: logger}), nil
}
