package awsstack

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// maxAttempts bounds the SDK's tries of one call. Throttling and other
// retryable errors are tried again with exponential backoff and jitter;
// with no client-side retry quota, a burst of throttling is waited out
// rather than turned into failed writes.
const maxAttempts = 10

// AWSConfig loads the SDK configuration the usual way (environment,
// shared files, instance role) in the stack's region, pointed at its
// Endpoint when it has one, with awsclient's HTTP client and a retryer
// that waits out throttling.
func (s Settings) AWSConfig(ctx context.Context) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(s.Region),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				o.RateLimiter = ratelimit.None
			})
		}),
	}
	if s.Endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(s.Endpoint))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	// Wrap the client the loader built, so that what it set up (such as
	// AWS_CA_BUNDLE's roots) is kept.
	cfg.HTTPClient = awsclient.Wrap(cfg.HTTPClient)
	return cfg, nil
}
