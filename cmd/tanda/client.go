package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awsbatch "github.com/aws/aws-sdk-go-v2/service/batch"

	"github.com/tanda-batch/tanda/deploy/kit"
	"github.com/tanda-batch/tanda/internal/awsclient"
)

// clientFlags are the connection flags every client command takes.
type clientFlags struct {
	endpoint string
	dataDir  string
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	def := os.Getenv("TANDA_ENDPOINT")
	if def == "" {
		def = "http://127.0.0.1:8265"
	}
	fs.StringVar(&c.endpoint, "endpoint", def, "Tanda's API endpoint (TANDA_ENDPOINT)")
	fs.StringVar(&c.dataDir, "data-dir", ".tanda", "data directory of 'tanda up', for its credentials")
}

// client is a Batch client for Tanda's endpoint.
type client struct {
	*awsbatch.Client
	cfg      aws.Config
	endpoint string
}

// connect loads credentials, preferring those 'tanda up' wrote.
func (c *clientFlags) connect(ctx context.Context) (*client, error) {
	var opts []func(*config.LoadOptions) error
	creds := filepath.Join(c.dataDir, "credentials")
	if _, err := os.Stat(creds); err == nil {
		opts = append(opts,
			config.WithSharedCredentialsFiles([]string{creds}),
			config.WithSharedConfigFiles([]string{filepath.Join(c.dataDir, "config")}),
			config.WithSharedConfigProfile(kit.Profile),
		)
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	cfg.HTTPClient = awsclient.Wrap(cfg.HTTPClient)
	bc := awsbatch.NewFromConfig(cfg, func(o *awsbatch.Options) { o.BaseEndpoint = aws.String(c.endpoint) })
	return &client{Client: bc, cfg: cfg, endpoint: c.endpoint}, nil
}
