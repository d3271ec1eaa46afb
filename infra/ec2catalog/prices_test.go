package ec2catalog

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/tanda-batch/tanda/batch/batchtest"
)

// twoTypes is an EC2 that offers two instance types.
type twoTypes struct{}

func (twoTypes) DescribeInstanceTypes(context.Context, *ec2.DescribeInstanceTypesInput, ...func(*ec2.Options)) (*ec2.DescribeInstanceTypesOutput, error) {
	info := func(name string, vcpus int32, mib int64) ec2types.InstanceTypeInfo {
		return ec2types.InstanceTypeInfo{
			InstanceType:          ec2types.InstanceType(name),
			VCpuInfo:              &ec2types.VCpuInfo{DefaultVCpus: aws.Int32(vcpus)},
			MemoryInfo:            &ec2types.MemoryInfo{SizeInMiB: aws.Int64(mib)},
			ProcessorInfo:         &ec2types.ProcessorInfo{SupportedArchitectures: []ec2types.ArchitectureType{ec2types.ArchitectureTypeX8664}},
			SupportedUsageClasses: []ec2types.UsageClassType{ec2types.UsageClassTypeOnDemand, ec2types.UsageClassTypeSpot},
			CurrentGeneration:     aws.Bool(true),
		}
	}
	return &ec2.DescribeInstanceTypesOutput{InstanceTypes: []ec2types.InstanceTypeInfo{
		info("m5.large", 2, 8192), info("c5.large", 2, 4096),
	}}, nil
}

// fakePrices answers with prices, or fails with err.
type fakePrices struct {
	prices map[string]float64
	err    error
	calls  int
}

func (f *fakePrices) OnDemand(context.Context, string) (map[string]float64, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return maps.Clone(f.prices), nil
}

func TestListPricesAreReadWithTheListingAndKept(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	clock := batchtest.NewClock(t0)
	items := batchtest.NewItems()
	api := &fakePrices{prices: map[string]float64{"m5.large": 0.096, "c5.large": 0.085}}
	var log bytes.Buffer
	open := func() *Source {
		return New(twoTypes{}, items, Options{Region: "eu-west-3", Prices: api, Clock: clock,
			Logger: slog.New(slog.NewTextHandler(&log, nil))})
	}

	l, err := open().Read(ctx)
	if err != nil || !maps.Equal(l.Prices, api.prices) || !l.PricedAt.Equal(t0) || len(l.Types) != 2 {
		t.Fatalf("first Read: %d types, prices %v read at %v, %v; want the API's, now", len(l.Types), l.Prices, l.PricedAt, err)
	}

	clock.Advance(23 * time.Hour)
	if l, err := open().Read(ctx); err != nil || !maps.Equal(l.Prices, api.prices) || !l.PricedAt.Equal(t0) || api.calls != 1 {
		t.Errorf("a restart within the day: prices %v read at %v (%v), %d API calls; want the stored ones and no call",
			l.Prices, l.PricedAt, err, api.calls)
	}

	clock.Advance(2 * time.Hour)
	api.err = &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: pricing:GetProducts"}
	l, err = open().Read(ctx)
	if err != nil || !maps.Equal(l.Prices, api.prices) || !l.PricedAt.Equal(t0) || !l.ListedAt.Equal(clock.Now()) {
		t.Errorf("the API denied after a day: prices %v read at %v, listed at %v (%v); want a new listing with the stored prices",
			l.Prices, l.PricedAt, l.ListedAt, err)
	}
	if got := log.String(); strings.Count(got, "level=WARN") != 1 || !strings.Contains(got, "using those read before") || !strings.Contains(got, "AccessDeniedException") {
		t.Errorf("log = %q; want one warning saying why and that the stored prices serve", got)
	}
	if l, _ := open().Read(ctx); !maps.Equal(l.Prices, api.prices) || api.calls != 2 {
		t.Errorf("read again: prices %v after %d API calls; want the stored ones, and no new call within the day", l.Prices, api.calls)
	}

	clock.Advance(25 * time.Hour)
	api.err, api.prices = nil, map[string]float64{"m5.large": 0.1, "c5.large": 0.09}
	if l, err := open().Read(ctx); err != nil || !maps.Equal(l.Prices, api.prices) || !l.PricedAt.Equal(clock.Now()) {
		t.Errorf("the API answering again: prices %v read at %v (%v); want the new ones", l.Prices, l.PricedAt, err)
	}

	log.Reset()
	api.err = &smithy.GenericAPIError{Code: "AccessDeniedException"}
	l, err = New(twoTypes{}, batchtest.NewItems(), Options{Region: "eu-west-3", Prices: api, Clock: clock,
		Logger: slog.New(slog.NewTextHandler(&log, nil))}).Read(ctx)
	if err != nil || l.Prices != nil || !l.PricedAt.IsZero() || len(l.Types) != 2 {
		t.Errorf("denied with nothing stored: %d types, prices %v (%v); want the types, unpriced", len(l.Types), l.Prices, err)
	}
	if got := log.String(); strings.Count(got, "level=WARN") != 1 || !strings.Contains(got, "built-in price table") {
		t.Errorf("log = %q; want one warning that the built-in table serves", got)
	}
}
