package ec2catalog

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/internal/iamactions"
	"github.com/tanda-batch/tanda/provisioner"
)

// DefaultSpotPriceTTL is how long a type's Spot price is used before it is
// read again.
const DefaultSpotPriceTTL = 5 * time.Minute

// spotTypesPerCall bounds the types one DescribeSpotPriceHistory call names.
const spotTypesPerCall = 100

// spotAPI is the part of the EC2 API SpotPrices calls.
type spotAPI interface {
	DescribeSpotPriceHistory(ctx context.Context, in *ec2.DescribeSpotPriceHistoryInput, opts ...func(*ec2.Options)) (*ec2.DescribeSpotPriceHistoryOutput, error)
}

// SpotActions are the IAM actions SpotPrices calls.
func SpotActions() []string { return iamactions.Of("ec2", (*spotAPI)(nil)) }

// SpotPrices reads current Spot prices with DescribeSpotPriceHistory
// (Linux/UNIX, the latest price per type and zone) and keeps each type's
// price, the lowest among the zones, for a TTL. It is the provisioner's
// provisioner.SpotPrices.
type SpotPrices struct {
	api   spotAPI
	ttl   time.Duration
	clock batch.Clock

	mu    sync.Mutex
	known map[string]spotPrice
}

type spotPrice struct {
	usd    float64 // 0: EC2 gave none
	readAt time.Time
}

var _ provisioner.SpotPrices = (*SpotPrices)(nil)

// NewSpotPrices reads Spot prices through api, keeping them for ttl
// (DefaultSpotPriceTTL when 0).
func NewSpotPrices(api spotAPI, ttl time.Duration, clock batch.Clock) *SpotPrices {
	if ttl <= 0 {
		ttl = DefaultSpotPriceTTL
	}
	if clock == nil {
		clock = batch.SystemClock{}
	}
	return &SpotPrices{api: api, ttl: ttl, clock: clock, known: map[string]spotPrice{}}
}

// SpotPrices returns the current Spot price of each of types EC2 prices,
// reading only those not read within the TTL.
func (s *SpotPrices) SpotPrices(ctx context.Context, types []string) (map[string]float64, error) {
	now := s.clock.Now()
	out := make(map[string]float64, len(types))
	var stale []string
	s.mu.Lock()
	for _, t := range types {
		p, ok := s.known[t]
		switch {
		case !ok || now.Sub(p.readAt) >= s.ttl:
			stale = append(stale, t)
		case p.usd > 0:
			out[t] = p.usd
		}
	}
	s.mu.Unlock()
	for chunk := range slices.Chunk(stale, spotTypesPerCall) {
		read, err := s.read(ctx, chunk, now)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		for _, t := range chunk {
			s.known[t] = spotPrice{usd: read[t], readAt: now}
			if read[t] > 0 {
				out[t] = read[t]
			}
		}
		s.mu.Unlock()
	}
	return out, nil
}

// read asks EC2 for the current prices of types: with StartTime now, the
// history holds each zone's price in force now.
func (s *SpotPrices) read(ctx context.Context, types []string, now time.Time) (map[string]float64, error) {
	names := make([]ec2types.InstanceType, len(types))
	for i, t := range types {
		names[i] = ec2types.InstanceType(t)
	}
	type key struct{ typ, zone string }
	latest := map[key]ec2types.SpotPrice{}
	pages := ec2.NewDescribeSpotPriceHistoryPaginator(s.api, &ec2.DescribeSpotPriceHistoryInput{
		InstanceTypes:       names,
		ProductDescriptions: []string{"Linux/UNIX", "Linux/UNIX (Amazon VPC)"},
		StartTime:           aws.Time(now),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading Spot prices: %w", err)
		}
		for _, sp := range page.SpotPriceHistory {
			k := key{string(sp.InstanceType), aws.ToString(sp.AvailabilityZone)}
			if cur, ok := latest[k]; !ok || aws.ToTime(sp.Timestamp).After(aws.ToTime(cur.Timestamp)) {
				latest[k] = sp
			}
		}
	}
	out := map[string]float64{}
	for k, sp := range latest {
		usd, err := strconv.ParseFloat(aws.ToString(sp.SpotPrice), 64)
		if err != nil || usd <= 0 {
			continue
		}
		if cur, ok := out[k.typ]; !ok || usd < cur {
			out[k.typ] = usd
		}
	}
	return out, nil
}
