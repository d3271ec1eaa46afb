// Package pricelist reads EC2's On-Demand list prices for a region from
// the AWS Price List Query API (pricing:GetProducts): Linux, shared
// tenancy, no pre-installed software, no licence, in USD per hour by
// instance type. The API answers only at a few endpoints (EndpointRegion
// picks the nearest), and not at all in moto, whose tests cannot prove
// these calls; this package's tests answer them in the API's wire format
// instead.
package pricelist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/pricing"
	pricingtypes "github.com/aws/aws-sdk-go-v2/service/pricing/types"
	"github.com/aws/smithy-go"

	"github.com/tanda-batch/tanda/internal/iamactions"
)

// serviceCode is EC2's code in the Price List.
const serviceCode = "AmazonEC2"

// pageSize is the most products one GetProducts call returns.
const pageSize = 100

// pricingAPI is the part of the Price List API the Reader calls;
// *pricing.Client has it.
type pricingAPI interface {
	GetProducts(ctx context.Context, in *pricing.GetProductsInput, opts ...func(*pricing.Options)) (*pricing.GetProductsOutput, error)
}

// Actions are the IAM actions the package calls.
func Actions() []string { return iamactions.Of("pricing", (*pricingAPI)(nil)) }

// endpoints are the regions of the Price List Query API's endpoints, by
// the prefixes of the regions each is nearest to; the first prefix that
// begins a region wins. Regions of the GovCloud and isolated partitions
// have none.
var endpoints = []struct {
	prefixes []string
	region   string
}{
	{[]string{"us-gov-", "us-iso", "eu-iso"}, ""},
	{[]string{"cn-"}, "cn-northwest-1"},
	{[]string{"eu-", "me-", "af-", "il-"}, "eu-central-1"},
	{[]string{"ap-"}, "ap-south-1"},
	{[]string{""}, "us-east-1"}, // the Americas, and any region not named above
}

// EndpointRegion is the region of the Price List Query API endpoint
// nearest region: us-east-1, eu-central-1 or ap-south-1 (the documented
// endpoints), or cn-northwest-1 in China; false in a partition with none.
func EndpointRegion(region string) (string, bool) {
	for _, e := range endpoints {
		for _, p := range e.prefixes {
			if strings.HasPrefix(region, p) {
				return e.region, e.region != ""
			}
		}
	}
	return "", false
}

// maxAttempts bounds the attempts of one call: a read that fails falls
// back to other prices, so it need not wait long.
const maxAttempts = 3

// maxBackoff bounds the wait between two attempts.
const maxBackoff = 2 * time.Second

// NewClient returns a Price List client, configured as cfg, for the
// endpoint nearest region (EndpointRegion), making at most three attempts
// per call; false when region's partition has no endpoint. cfg's
// BaseEndpoint, when set (an emulator), still serves.
func NewClient(cfg aws.Config, region string) (*pricing.Client, bool) {
	at, ok := EndpointRegion(region)
	if !ok {
		return nil, false
	}
	return pricing.NewFromConfig(cfg, func(o *pricing.Options) {
		o.Region = at
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = maxAttempts
			so.MaxBackoff = maxBackoff
		})
		o.RetryMaxAttempts = 0
	}), true
}

// Reader reads a region's On-Demand list prices.
type Reader struct {
	api pricingAPI
	log *slog.Logger
}

// New returns a Reader calling api; log (slog.Default() when nil) says
// which products it skipped.
func New(api pricingAPI, log *slog.Logger) *Reader {
	if log == nil {
		log = slog.Default()
	}
	return &Reader{api: api, log: log}
}

// filters select the products of region whose price is what an instance
// Tanda launches costs On-Demand.
func filters(region string) []pricingtypes.Filter {
	terms := [][2]string{
		{"regionCode", region},
		{"operatingSystem", "Linux"},
		{"tenancy", "Shared"},
		{"preInstalledSw", "NA"},
		{"capacitystatus", "Used"},
		{"licenseModel", "No License required"},
	}
	out := make([]pricingtypes.Filter, len(terms))
	for i, t := range terms {
		out[i] = pricingtypes.Filter{Type: pricingtypes.FilterTypeTermMatch, Field: aws.String(t[0]), Value: aws.String(t[1])}
	}
	return out
}

// OnDemand returns the On-Demand price of every instance type the Price
// List prices in region, in USD per hour, reading every page. A product
// that cannot be read is skipped, and the skips are logged once; one
// without a positive hourly On-Demand price is left out. It fails when the
// API does (AccessDeniedException when the role may not call
// pricing:GetProducts) or prices nothing.
func (r *Reader) OnDemand(ctx context.Context, region string) (map[string]float64, error) {
	out := map[string]float64{}
	var skipped tally
	unpriced := 0
	pages := pricing.NewGetProductsPaginator(r.api, &pricing.GetProductsInput{
		ServiceCode:   aws.String(serviceCode),
		Filters:       filters(region),
		FormatVersion: aws.String("aws_v1"),
		MaxResults:    aws.Int32(pageSize),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading EC2 prices in %s from the Price List API: %w", region, explain(err))
		}
		for _, doc := range page.PriceList {
			typ, usd, err := productPrice(doc, region)
			switch {
			case err != nil:
				skipped.add(err)
			case usd <= 0:
				unpriced++
			case out[typ] == 0 || usd < out[typ]:
				out[typ] = usd
			}
		}
	}
	if skipped.n > 0 {
		r.log.Warn("skipped Price List products that could not be read",
			"region", region, "count", skipped.n, "first", skipped.first)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reading EC2 prices in %s from the Price List API: it priced no instance type (%d products without an hourly price, %d unreadable)",
			region, unpriced, skipped.n)
	}
	r.log.Debug("read EC2 prices from the Price List API", "region", region, "types", len(out), "unpriced", unpriced)
	return out, nil
}

// tally counts errors, keeping the first.
type tally struct {
	n     int
	first error
}

func (t *tally) add(err error) {
	if t.n == 0 {
		t.first = err
	}
	t.n++
}

// explain adds to an access-denied error what the role lacks.
func explain(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) && strings.HasPrefix(ae.ErrorCode(), "AccessDenied") {
		return fmt.Errorf("the role may not call pricing:GetProducts: %w", err)
	}
	return err
}

// product is what the Reader reads of one PriceList document: the
// product's attributes and its On-Demand terms (the Reserved ones, and
// their upfront fees, are not read).
type product struct {
	Product struct {
		Attributes struct {
			InstanceType string `json:"instanceType"`
			RegionCode   string `json:"regionCode"`
		} `json:"attributes"`
	} `json:"product"`
	Terms struct {
		OnDemand map[string]struct {
			PriceDimensions map[string]struct {
				Unit         string            `json:"unit"`
				PricePerUnit map[string]string `json:"pricePerUnit"`
			} `json:"priceDimensions"`
		} `json:"OnDemand"`
	} `json:"terms"`
}

// productPrice reads a PriceList document: its instance type and its
// hourly On-Demand price in USD (the lowest positive one when it has
// several dimensions; 0 when it has none).
func productPrice(doc, region string) (string, float64, error) {
	var p product
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return "", 0, fmt.Errorf("decoding a product: %w", err)
	}
	typ := p.Product.Attributes.InstanceType
	if typ == "" {
		return "", 0, errors.New("a product names no instance type")
	}
	if rc := p.Product.Attributes.RegionCode; rc != "" && rc != region {
		return "", 0, fmt.Errorf("%s: priced for region %s, not %s", typ, rc, region)
	}
	best := 0.0
	for _, term := range p.Terms.OnDemand {
		for _, dim := range term.PriceDimensions {
			usd, ok := dim.PricePerUnit["USD"]
			if dim.Unit != "Hrs" || !ok {
				continue
			}
			v, err := strconv.ParseFloat(usd, 64)
			if err != nil {
				return "", 0, fmt.Errorf("%s: price %q: %w", typ, usd, err)
			}
			if v > 0 && (best == 0 || v < best) {
				best = v
			}
		}
	}
	return typ, best, nil
}
