package awsstack

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/tanda-batch/tanda/awsclient"
)

// AWSConfig loads the SDK configuration the usual way (environment,
// shared files, instance role) in the stack's region, pointed at its
// Endpoint when it has one, with awsclient's HTTP client.
func (s Settings) AWSConfig(ctx context.Context) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithRegion(s.Region),
		config.WithHTTPClient(awsclient.HTTPClient()),
	}
	if s.Endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(s.Endpoint))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	return cfg, nil
}
