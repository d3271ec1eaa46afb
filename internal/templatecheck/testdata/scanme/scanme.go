// Package scanme is what ScanPackages's test reads: SDK inputs, reads of
// the environment, and an Actions function.
package scanme

import (
	"context"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

const envQueue = "SCANME_QUEUE"

type api interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Actions is what a registered adapter declares.
func Actions() []string { return nil }

func send(ctx context.Context, a api, getenv func(string) string) {
	_, _ = a.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: nil})
	_ = cloudwatchlogs.GetLogEventsInput{}
	_ = os.Getenv(envQueue)
	_, _ = os.LookupEnv("SCANME_LITERAL")
	_ = getenv("SCANME_GETENV")
	name := "computed"
	_ = os.Getenv(name)
}
