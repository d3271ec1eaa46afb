// Command scheduler is the scheduler's Lambda function. SQS invokes it
// with batches of the submissions queue (ReportBatchItemFailures on): it
// evaluates the jobs whose doorbells ring there and submits the jobs of
// the S3 uploads the trigger rules match.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/tanda-batch/tanda/deploy/awsserver"
	"github.com/tanda-batch/tanda/functions/scheduler/internal/handler"
	"github.com/tanda-batch/tanda/internal/metrics"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	slog.SetDefault(logger)
	reg := metrics.New(metrics.Options{NoProcess: true})
	h, err := newHandler(context.Background(), logger, reg)
	if err != nil {
		logger.Error("starting the scheduler function", "err", err)
		os.Exit(1)
	}
	emf := metrics.NewEMF(reg, os.Getenv, os.Stdout)
	lambda.Start(func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		defer func() {
			if err := emf.Flush(); err != nil {
				logger.Warn("writing metrics", "err", err)
			}
		}()
		return h.Handle(ctx, ev)
	})
}

// newHandler connects to the stack the environment names, counting in reg.
func newHandler(ctx context.Context, logger *slog.Logger, reg *metrics.Registry) (*handler.Handler, error) {
	be, err := awsserver.OpenBackendFromEnv(ctx, os.Getenv, awsserver.BackendOptions{Logger: logger, Metrics: reg})
	if err != nil {
		return nil, err
	}
	return handler.New(be.Router(), handler.Options{Logger: logger}), nil
}
