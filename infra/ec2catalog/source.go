// Package ec2catalog is the catalogue of instance types EC2 offers in a
// region, read with DescribeInstanceTypes (every page) and kept in the
// store, so that a restart or a Lambda cold start reads one item rather
// than listing EC2 again; a copy older than MaxAge (a day) is listed anew.
// Their On-Demand list prices, when a ListPrices reads them (the AWS Price
// List API's, package pricelist), are read and kept with them.
package ec2catalog

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/internal/iamactions"
	"github.com/tanda-batch/tanda/provisioner"
)

// Kind is the store's item kind of a region's catalogue; its key is the
// region.
const Kind = "catalog"

// DefaultMaxAge is how long a listing serves before EC2 is listed again.
const DefaultMaxAge = 24 * time.Hour

// ec2API is the part of the EC2 API the catalogue calls; *ec2.Client has it.
type ec2API interface {
	DescribeInstanceTypes(ctx context.Context, in *ec2.DescribeInstanceTypesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstanceTypesOutput, error)
}

// Actions are the IAM actions the package calls: the catalogue's and
// SpotPrices'.
func Actions() []string { return iamactions.Union(CatalogActions(), SpotActions()) }

// CatalogActions are the IAM actions a Source calls.
func CatalogActions() []string { return iamactions.Of("ec2", (*ec2API)(nil)) }

// Items is where listings are kept: the store's items (control.Store has
// these methods).
type Items interface {
	GetItem(ctx context.Context, kind, key string) (batch.Item, error)
	PutItem(ctx context.Context, it batch.Item, expectVersion int64) (int64, error)
}

// ListPrices reads a region's On-Demand list prices, in USD per hour by
// instance type (*pricelist.Reader).
type ListPrices interface {
	OnDemand(ctx context.Context, region string) (map[string]float64, error)
}

// Options configure a Source. Region is required.
type Options struct {
	Region string
	// Prices, when set, reads the list prices each time EC2 is listed;
	// nil reads none.
	Prices ListPrices
	MaxAge time.Duration // default DefaultMaxAge
	Clock  batch.Clock   // default the system clock
	Logger *slog.Logger  // default slog.Default()
}

// Source lists a region's instance types.
type Source struct {
	api   ec2API
	items Items
	opts  Options
}

// New returns the Source of o.Region's types.
func New(api ec2API, items Items, o Options) *Source {
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.Clock == nil {
		o.Clock = batch.SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Source{api: api, items: items, opts: o}
}

// Listing is a region's instance types as EC2 listed them, with the list
// prices read when they were.
type Listing struct {
	Types    []provisioner.InstanceType // unpriced
	ListedAt time.Time
	// Prices are the On-Demand list prices in USD per hour by type, as
	// Options.Prices last read them, at PricedAt (which may be older than
	// ListedAt when a later read failed); nil when none has been read.
	Prices   map[string]float64
	PricedAt time.Time
}

// listing is a stored catalogue.
type listing struct {
	ListedAt int64                      `json:"listedAt"` // ms
	Types    []provisioner.InstanceType `json:"types"`
	PricedAt int64                      `json:"pricedAt,omitempty"` // ms
	Prices   map[string]float64         `json:"prices,omitempty"`
}

func (l listing) public() Listing {
	out := Listing{Types: l.Types, ListedAt: time.UnixMilli(l.ListedAt), Prices: l.Prices}
	if l.Prices != nil {
		out.PricedAt = time.UnixMilli(l.PricedAt)
	}
	return out
}

// Read returns the region's listing: the stored one while it is younger
// than MaxAge, else a new one, stored for the next reader. When EC2 cannot
// be listed, an older stored listing serves, with a warning. A new listing
// reads the list prices anew (Options.Prices); when they cannot be read,
// the stored ones serve, or none, with a warning that says why.
func (s *Source) Read(ctx context.Context) (Listing, error) {
	stored, version, err := s.load(ctx)
	if err != nil {
		s.opts.Logger.Warn("reading the stored instance types; listing EC2's", "region", s.opts.Region, "err", err)
	}
	now := s.opts.Clock.Now()
	if stored != nil && now.Sub(time.UnixMilli(stored.ListedAt)) < s.opts.MaxAge {
		return stored.public(), nil
	}
	types, err := s.List(ctx)
	if err != nil {
		if stored != nil {
			s.opts.Logger.Warn("listing EC2's instance types failed; using the stored listing",
				"region", s.opts.Region, "listedAt", time.UnixMilli(stored.ListedAt), "err", err)
			return stored.public(), nil
		}
		return Listing{}, err
	}
	l := listing{ListedAt: batch.Millis(now), Types: types}
	if stored != nil {
		l.Prices, l.PricedAt = stored.Prices, stored.PricedAt
	}
	s.readPrices(ctx, &l, now)
	if err := s.save(ctx, l, version); err != nil {
		s.opts.Logger.Warn("storing the instance types", "region", s.opts.Region, "err", err)
	}
	return l.public(), nil
}

// readPrices reads the list prices into l, keeping l's (the stored ones)
// when they cannot be read.
func (s *Source) readPrices(ctx context.Context, l *listing, now time.Time) {
	if s.opts.Prices == nil {
		return
	}
	prices, err := s.opts.Prices.OnDemand(ctx, s.opts.Region)
	switch {
	case err == nil:
		l.Prices, l.PricedAt = prices, batch.Millis(now)
	case l.Prices != nil:
		s.opts.Logger.Warn("reading On-Demand list prices failed; using those read before",
			"region", s.opts.Region, "pricedAt", time.UnixMilli(l.PricedAt), "err", err)
	default:
		s.opts.Logger.Warn("reading On-Demand list prices failed, and none were read before; the built-in price table serves",
			"region", s.opts.Region, "err", err)
	}
}

// List lists every instance type EC2 offers in the region, following pages.
// Types that run neither x86_64 nor arm64 Linux (Mac instances) are left
// out.
func (s *Source) List(ctx context.Context) ([]provisioner.InstanceType, error) {
	var out []provisioner.InstanceType
	pages := ec2.NewDescribeInstanceTypesPaginator(s.api, &ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(100)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing instance types in %s: %w", s.opts.Region, err)
		}
		for _, info := range page.InstanceTypes {
			if t, ok := typeOf(info); ok {
				out = append(out, t)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("listing instance types in %s: EC2 listed none", s.opts.Region)
	}
	return out, nil
}

// typeOf reads what the provisioner needs of one EC2 instance type.
func typeOf(info ec2types.InstanceTypeInfo) (provisioner.InstanceType, bool) {
	name := string(info.InstanceType)
	family, _, ok := strings.Cut(name, ".")
	if !ok || info.VCpuInfo == nil || info.MemoryInfo == nil || info.ProcessorInfo == nil {
		return provisioner.InstanceType{}, false
	}
	t := provisioner.InstanceType{
		Name: name, Family: family,
		VCPUs:              float64(aws.ToInt32(info.VCpuInfo.DefaultVCpus)),
		MemoryMiB:          aws.ToInt64(info.MemoryInfo.SizeInMiB),
		Burstable:          aws.ToBool(info.BurstablePerformanceSupported),
		PreviousGeneration: !aws.ToBool(info.CurrentGeneration),
		NoSpot:             true,
		NoOnDemand:         true,
	}
	for _, a := range info.ProcessorInfo.SupportedArchitectures {
		switch a {
		case ec2types.ArchitectureTypeX8664:
			t.Arch = provisioner.ArchX86
		case ec2types.ArchitectureTypeArm64:
			t.Arch = provisioner.ArchARM
		}
	}
	for _, u := range info.SupportedUsageClasses {
		switch u {
		case ec2types.UsageClassTypeSpot:
			t.NoSpot = false
		case ec2types.UsageClassTypeOnDemand:
			t.NoOnDemand = false
		}
	}
	if info.GpuInfo != nil {
		for _, g := range info.GpuInfo.Gpus {
			t.GPUs += int64(aws.ToInt32(g.Count))
			if t.GPUModel == "" {
				t.GPUModel = aws.ToString(g.Name)
				if g.MemoryInfo != nil {
					t.GPUMemoryMiB = int64(aws.ToInt32(g.MemoryInfo.SizeInMiB))
				}
			}
		}
	}
	if t.Arch == "" || t.VCPUs <= 0 || t.MemoryMiB <= 0 {
		return provisioner.InstanceType{}, false
	}
	return t, true
}

// load reads the stored listing; nil with version 0 when there is none.
func (s *Source) load(ctx context.Context) (*listing, int64, error) {
	it, err := s.items.GetItem(ctx, Kind, s.opts.Region)
	if errors.Is(err, batch.ErrNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(it.Doc))
	if err != nil {
		return nil, it.Version, fmt.Errorf("decoding stored listing: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, it.Version, fmt.Errorf("decoding stored listing: %w", err)
	}
	var l listing
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, it.Version, fmt.Errorf("decoding stored listing: %w", err)
	}
	return &l, it.Version, nil
}

// save stores a listing over the version read; another reader that stored
// first wins, which is as good.
func (s *Source) save(ctx context.Context, l listing, version int64) error {
	raw, err := json.Marshal(l)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	_, err = s.items.PutItem(ctx, batch.Item{Kind: Kind, Key: s.opts.Region, Doc: buf.Bytes()}, version)
	if errors.Is(err, batch.ErrConflict) {
		return nil
	}
	return err
}
