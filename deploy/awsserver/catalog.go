package awsserver

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/tanda-batch/tanda/infra/ec2catalog"
	"github.com/tanda-batch/tanda/infra/pricelist"
	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/provisioner/prices"
)

// localFamily is the family of one-machine Tanda's in-process instances,
// which EC2 cannot launch.
const localFamily = "local"

// builtinEC2Types are the built-in catalogue's types without the
// in-process ones: what serves when EC2's list cannot be read.
func builtinEC2Types() []provisioner.InstanceType {
	return slices.DeleteFunc(provisioner.DefaultCatalog().Types(), func(t provisioner.InstanceType) bool {
		return t.Family == localFamily
	})
}

// catalogSource is the stack's instance types: EC2's, kept in the items
// table, priced for the region by the AWS Price List API's list prices
// read with them, or by the built-in table.
type catalogSource struct {
	src    *ec2catalog.Source
	region string
	log    *slog.Logger
}

// load returns the region's instance types, priced. When EC2's list can be
// read neither from EC2 nor from the store, the built-in catalogue serves,
// with a warning, so the API still answers.
func (c catalogSource) load(ctx context.Context) []provisioner.InstanceType {
	l, err := c.src.Read(ctx)
	if err != nil {
		c.log.Warn("EC2's instance types cannot be read; using the built-in catalogue", "region", c.region, "err", err)
		return builtinEC2Types()
	}
	priced := prices.ApplyListed(c.region, l.Types, l.Prices)
	if est := prices.Estimated(priced); len(est) > 0 {
		c.log.Debug("instance types priced by estimate (no list price)",
			"region", c.region, "count", len(est), "types", strings.Join(est, " "))
	}
	c.log.Debug("instance types", "region", c.region, "count", len(priced), "listedAt", l.ListedAt,
		"listPrices", len(l.Prices), "pricedAt", l.PricedAt)
	return priced
}

// openCatalog reads the stack's catalogue: EC2's types through api, their
// list prices from the Price List API (through awsCfg, at the endpoint
// nearest region, or o.PriceListEndpoint).
func openCatalog(ctx context.Context, awsCfg aws.Config, api *ec2.Client, items ec2catalog.Items, region string, o BackendOptions) (catalogSource, *provisioner.Catalog, error) {
	log := o.Logger.With("component", "catalog")
	opts := ec2catalog.Options{Region: region, Clock: o.Clock, Logger: log}
	if o.PriceListEndpoint != "" {
		awsCfg.BaseEndpoint = aws.String(o.PriceListEndpoint)
	}
	if client, ok := pricelist.NewClient(awsCfg, region); ok {
		opts.Prices = pricelist.New(client, log)
	} else if o.Catalog == nil {
		log.Info("the Price List API has no endpoint in this region's partition; the built-in price table serves", "region", region)
	}
	cs := catalogSource{src: ec2catalog.New(api, items, opts), region: region, log: log}
	if o.Catalog != nil {
		return cs, o.Catalog, nil
	}
	cat, err := provisioner.NewCatalog(cs.load(ctx))
	if err != nil {
		return cs, nil, fmt.Errorf("building the instance-type catalogue: %w", err)
	}
	return cs, cat, nil
}

// RefreshCatalog reads the instance types again (EC2's list, and the list
// prices with it, are read anew once the stored ones are a day old) and
// swaps them into the catalogue the control plane and the provisioner use.
func (b *Backend) RefreshCatalog(ctx context.Context) error {
	if b.opts.Catalog != nil {
		return nil
	}
	if err := b.catalog.Replace(b.catalogSrc.load(ctx)); err != nil {
		return fmt.Errorf("refreshing the instance-type catalogue: %w", err)
	}
	return nil
}

// catalogCheckEvery is how often a long-running process reads the stored
// catalogue again: the stored listing is itself listed anew from EC2 once
// a day.
const catalogCheckEvery = time.Hour

// RunCatalogRefresh refreshes the catalogue every hour until ctx is done,
// logging failures.
func (b *Backend) RunCatalogRefresh(ctx context.Context) {
	t := time.NewTicker(catalogCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := b.RefreshCatalog(ctx); err != nil && ctx.Err() == nil {
				b.opts.Logger.Error("refreshing instance types", "err", err)
			}
		}
	}
}
