package ec2catalog

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/tanda-batch/tanda/batch/batchtest"
	"github.com/tanda-batch/tanda/infra/mototest"
	"github.com/tanda-batch/tanda/internal/awsclient"
	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/provisioner/prices"
)

var _ ec2API = (*ec2.Client)(nil)

// countingAPI counts the calls that reach EC2, and fails them while fail
// is set.
type countingAPI struct {
	next  ec2API
	calls atomic.Int32
	fail  atomic.Bool
}

func (c *countingAPI) DescribeInstanceTypes(ctx context.Context, in *ec2.DescribeInstanceTypesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstanceTypesOutput, error) {
	c.calls.Add(1)
	if c.fail.Load() {
		return nil, errors.New("EC2 unreachable")
	}
	return c.next.DescribeInstanceTypes(ctx, in, opts...)
}

func motoEC2(t *testing.T) *ec2.Client {
	t.Helper()
	return ec2.New(ec2.Options{
		Region: mototest.Region, BaseEndpoint: aws.String(mototest.Endpoint(t)),
		Credentials: mototest.Credentials(), HTTPClient: awsclient.HTTPClient(),
	})
}

func byName(types []provisioner.InstanceType) map[string]provisioner.InstanceType {
	m := make(map[string]provisioner.InstanceType, len(types))
	for _, t := range types {
		m[t.Name] = t
	}
	return m
}

func TestListReadsEveryTypeEC2Offers(t *testing.T) {
	api := &countingAPI{next: motoEC2(t)}
	src := New(api, batchtest.NewItems(), Options{Region: mototest.Region})
	types, err := src.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(types) < 900 {
		t.Fatalf("listed %d types; EC2 (moto) offers over 900", len(types))
	}
	m := byName(types)
	checks := []struct {
		name string
		ok   func(provisioner.InstanceType) bool
		want string
	}{
		{"c5.large", func(t provisioner.InstanceType) bool {
			return t.Family == "c5" && t.Arch == provisioner.ArchX86 && t.VCPUs == 2 && t.MemoryMiB == 4096 && !t.NoSpot && !t.NoOnDemand
		}, "c5, x86_64, 2 vCPUs, 4 GiB, Spot and On-Demand"},
		{"g5.xlarge", func(t provisioner.InstanceType) bool {
			return t.GPUs == 1 && t.GPUModel == "A10G" && t.GPUMemoryMiB > 20000
		}, "one A10G with its memory"},
		{"p4d.24xlarge", func(t provisioner.InstanceType) bool { return t.GPUs == 8 && t.GPUModel == "A100" }, "eight A100s"},
		{"m6g.large", func(t provisioner.InstanceType) bool { return t.Arch == provisioner.ArchARM }, "arm64"},
		{"t3.micro", func(t provisioner.InstanceType) bool { return t.Burstable }, "burstable"},
		{"m1.small", func(t provisioner.InstanceType) bool { return t.PreviousGeneration }, "previous generation"},
	}
	for _, c := range checks {
		got, ok := m[c.name]
		if !ok || !c.ok(got) {
			t.Errorf("%s = %+v (listed %v), want %s", c.name, got, ok, c.want)
		}
	}
	if !slices.ContainsFunc(types, func(t provisioner.InstanceType) bool { return t.NoSpot }) {
		t.Error("no listed type is marked as not offered as Spot; EC2 has some")
	}
	for _, ty := range types {
		if ty.Arch != provisioner.ArchX86 && ty.Arch != provisioner.ArchARM {
			t.Errorf("%s has architecture %q", ty.Name, ty.Arch)
		}
	}
	if _, err := provisioner.NewCatalog(prices.Apply(mototest.Region, types)); err != nil {
		t.Errorf("the listing does not make a catalogue: %v", err)
	}
}

func TestEveryListedTypeHasAPriceOrAFlaggedEstimate(t *testing.T) {
	types, err := New(motoEC2(t), batchtest.NewItems(), Options{Region: mototest.Region}).List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	priced := prices.Apply(mototest.Region, types)
	listed, current := 0, 0
	for _, ty := range priced {
		if ty.PricePerHour <= 0 {
			t.Errorf("%s has no price", ty.Name)
		}
		if _, ok := prices.OnDemand(mototest.Region, ty.Name); ok == ty.PriceEstimated {
			t.Errorf("%s: listed price %v but PriceEstimated %v", ty.Name, ok, ty.PriceEstimated)
		}
		if !ty.PreviousGeneration {
			current++
			if !ty.PriceEstimated {
				listed++
			}
		}
	}
	t.Logf("%d types; %d current-generation, %d of them with a list price; estimated: %d", len(priced), current, listed, len(prices.Estimated(priced)))
	if listed*10 < current*8 {
		t.Errorf("only %d of %d current-generation types have a list price in us-east-1", listed, current)
	}
}

func TestTypesAreKeptAndListedAgainWhenOld(t *testing.T) {
	ctx := context.Background()
	api := &countingAPI{next: motoEC2(t)}
	items := batchtest.NewItems()
	clock := batchtest.NewClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func() *Source {
		return New(api, items, Options{Region: mototest.Region, Clock: clock, MaxAge: 24 * time.Hour, Logger: quiet})
	}

	first, err := open().Read(ctx)
	if err != nil || len(first.Types) < 900 || !first.ListedAt.Equal(clock.Now()) {
		t.Fatalf("first Read: %d types listed at %v, %v", len(first.Types), first.ListedAt, err)
	}
	calls := api.calls.Load()
	clock.Advance(23 * time.Hour)
	again, err := open().Read(ctx) // a restart, within the day
	if err != nil || len(again.Types) != len(first.Types) || api.calls.Load() != calls || !again.ListedAt.Equal(clock.Now().Add(-23*time.Hour)) {
		t.Fatalf("within a day: %d types listed at %v (%v), %d more EC2 calls; want the stored listing and none",
			len(again.Types), again.ListedAt, err, api.calls.Load()-calls)
	}
	if !slices.Equal(again.Types, first.Types) {
		t.Error("the stored listing differs from what was listed")
	}

	clock.Advance(2 * time.Hour)
	api.fail.Store(true)
	stale, err := open().Read(ctx)
	if err != nil || len(stale.Types) != len(first.Types) {
		t.Errorf("EC2 failing after a day: %d types, %v; want the stored listing", len(stale.Types), err)
	}
	api.fail.Store(false)
	calls = api.calls.Load()
	if l, err := open().Read(ctx); err != nil || api.calls.Load() == calls || !l.ListedAt.Equal(clock.Now()) {
		t.Errorf("after a day: listed at %v (%v) with %d EC2 calls; want a new listing", l.ListedAt, err, api.calls.Load()-calls)
	}

	api.fail.Store(true)
	if _, err := New(api, batchtest.NewItems(), Options{Region: "eu-west-3"}).Read(ctx); err == nil {
		t.Error("with nothing stored and EC2 failing, Read succeeded")
	}
}
