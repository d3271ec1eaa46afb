package ec2catalog

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/batch/batchtest"
)

var _ spotAPI = (*ec2.Client)(nil)

// fakeSpotAPI answers DescribeSpotPriceHistory from a fixed history.
type fakeSpotAPI struct {
	history []ec2types.SpotPrice
	calls   atomic.Int32
	fail    bool
}

func (f *fakeSpotAPI) DescribeSpotPriceHistory(_ context.Context, in *ec2.DescribeSpotPriceHistoryInput, _ ...func(*ec2.Options)) (*ec2.DescribeSpotPriceHistoryOutput, error) {
	f.calls.Add(1)
	if f.fail {
		return nil, errors.New("RequestLimitExceeded")
	}
	want := map[ec2types.InstanceType]bool{}
	for _, t := range in.InstanceTypes {
		want[t] = true
	}
	var out []ec2types.SpotPrice
	for _, sp := range f.history {
		if want[sp.InstanceType] {
			out = append(out, sp)
		}
	}
	return &ec2.DescribeSpotPriceHistoryOutput{SpotPriceHistory: out}, nil
}

func sp(typ, zone, price string, at time.Time) ec2types.SpotPrice {
	return ec2types.SpotPrice{InstanceType: ec2types.InstanceType(typ), AvailabilityZone: aws.String(zone), SpotPrice: aws.String(price), Timestamp: aws.Time(at)}
}

func TestSpotPricesAreTheLatestLowestAmongZonesAndKeptForATTL(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	api := &fakeSpotAPI{history: []ec2types.SpotPrice{
		sp("m5.large", "us-east-1a", "0.040", t0.Add(-time.Hour)),
		sp("m5.large", "us-east-1a", "0.035", t0.Add(-time.Minute)), // the latest in 1a
		sp("m5.large", "us-east-1b", "0.038", t0.Add(-2*time.Hour)),
		sp("c5.large", "us-east-1a", "0.031", t0.Add(-time.Hour)),
	}}
	clock := batchtest.NewClock(t0)
	s := NewSpotPrices(api, 5*time.Minute, clock)
	ctx := context.Background()
	got, err := s.SpotPrices(ctx, []string{"m5.large", "c5.large", "p5.48xlarge"})
	if err != nil {
		t.Fatal(err)
	}
	if got["m5.large"] != 0.035 || got["c5.large"] != 0.031 || len(got) != 2 {
		t.Errorf("prices %v, want m5.large 0.035 (1a's latest, below 1b's), c5.large 0.031, none for p5", got)
	}
	calls := api.calls.Load()
	clock.Advance(4 * time.Minute)
	if _, err := s.SpotPrices(ctx, []string{"m5.large", "p5.48xlarge"}); err != nil || api.calls.Load() != calls {
		t.Errorf("within the TTL: %d more calls (%v), want none, the missing price included", api.calls.Load()-calls, err)
	}
	clock.Advance(2 * time.Minute)
	api.fail = true
	if _, err := s.SpotPrices(ctx, []string{"m5.large"}); err == nil {
		t.Error("a failed read past the TTL gave no error")
	}
}

func TestSpotPricesFromMoto(t *testing.T) {
	s := NewSpotPrices(motoEC2(t), 0, nil)
	got, err := s.SpotPrices(context.Background(), []string{"m5.large", "c5.large"})
	if err != nil {
		t.Fatal(err)
	}
	// moto answers every type with a placeholder price: the call and its
	// parsing are what it can prove, not the prices.
	if got["m5.large"] <= 0 || got["c5.large"] <= 0 {
		t.Errorf("prices %v, want one for each type moto prices", got)
	}
}
