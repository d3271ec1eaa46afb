package awsserver

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tanda-batch/tanda/api/accesskeys"
	"github.com/tanda-batch/tanda/deploy/kit"
)

// runInit runs Init with the server's logger unless the options bring one.
func (s *Server) runInit(ctx context.Context, awsCfg aws.Config) error {
	o := *s.cfg.Init
	if o.Logger == nil {
		o.Logger = s.cfg.Logger.With("component", "init")
	}
	res, err := Init(ctx, awsCfg, s.cfg.Stack, o)
	if err != nil {
		return fmt.Errorf("initialising stack %s: %w", s.cfg.Stack.Stack, err)
	}
	s.resources = &res
	return nil
}

// backendOptions are the Backend's share of the server's configuration.
func (c *Config) backendOptions() BackendOptions {
	return BackendOptions{
		Account:   c.Account,
		IdleGrace: c.IdleGrace,
		RateLimit: c.RateLimit,
		Catalog:   c.Catalog,
		Logger:    c.Logger,
		Clock:     c.Clock,
	}
}

// openKeys opens the API's access keys, kept in the items table and
// sealed with the data directory's master key, and issues the first one
// on a first start.
func (s *Server) openKeys(ctx context.Context, store accesskeys.Store) (*accesskeys.Keys, *accesskeys.AccessKey, error) {
	return kit.OpenKeys(ctx, store, kit.KeyOptions{
		Dir: s.cfg.DataDir, KeyFile: s.KeyFile(), Region: s.cfg.Stack.Region, Description: "tanda serve", Clock: s.cfg.Clock,
	})
}
