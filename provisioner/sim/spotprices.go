package sim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/provisioner/prices"
)

// SpotPrices are a simulation's Spot prices in USD per hour, per instance
// type and, where known, per Availability Zone. A Spot compute
// environment's instances are billed at them, and its provisioner ranks
// offerings by them through provisioner.Options.SpotPrices, as production
// ranks by DescribeSpotPriceHistory's: each type at its lowest price among
// the zones.
type SpotPrices struct {
	// Source says where the prices come from, for the report.
	Source string
	// byType holds, per type, the price per zone; the zone "" is the
	// type's price where no zone is named.
	byType    map[string]map[string]float64
	estimated map[string]bool // types whose price is an estimate
}

var _ provisioner.SpotPrices = (*SpotPrices)(nil)

// shippedSpotSource describes the prices of package prices.
const shippedSpotSource = "AWS Spot Instance Advisor, " + PriceRegion + " (2025-06): On-Demand list price less its savings"

// shippedSpotPrices are the Spot prices package prices gives types in
// PriceRegion.
func shippedSpotPrices(types []provisioner.InstanceType) *SpotPrices {
	p := &SpotPrices{Source: shippedSpotSource, byType: map[string]map[string]float64{}, estimated: map[string]bool{}}
	for name, s := range prices.SpotPrices(PriceRegion, types) {
		p.byType[name] = map[string]float64{"": s.USD}
		if s.Estimated {
			p.estimated[name] = true
		}
	}
	return p
}

// ReadSpotPrices reads Spot prices as CSV, one row per type or per type and
// zone: instance_type,usd_per_hour or instance_type,zone,usd_per_hour.
// Lines starting with # are skipped, and so is a header row (a first row
// whose first column is no instance type and whose last is no number). A type given with
// zones costs, in a zone not given, its lowest price among them. source
// names the prices in the report.
func ReadSpotPrices(source string, r io.Reader) (*SpotPrices, error) {
	p := &SpotPrices{Source: source, byType: map[string]map[string]float64{}}
	sc := bufio.NewScanner(r)
	line, rows := 0, 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, ",")
		for i := range cols {
			cols[i] = strings.TrimSpace(cols[i])
		}
		if len(cols) < 2 || len(cols) > 3 {
			return nil, fmt.Errorf("reading Spot prices: line %d: want instance_type,[zone,]usd_per_hour, got %q", line, text)
		}
		price, err := strconv.ParseFloat(cols[len(cols)-1], 64)
		if err != nil && rows == 0 && !strings.Contains(cols[0], ".") {
			rows++ // the header: instance_type,[zone,]usd_per_hour
			continue
		}
		rows++
		if err != nil || price <= 0 || math.IsInf(price, 0) || math.IsNaN(price) {
			return nil, fmt.Errorf("reading Spot prices: line %d: price %q is not a positive number", line, cols[len(cols)-1])
		}
		typ, zone := cols[0], ""
		if len(cols) == 3 {
			zone = cols[1]
			if zone == "" {
				return nil, fmt.Errorf("reading Spot prices: line %d: empty zone", line)
			}
		}
		if typ == "" {
			return nil, fmt.Errorf("reading Spot prices: line %d: empty instance type", line)
		}
		if p.byType[typ] == nil {
			p.byType[typ] = map[string]float64{}
		}
		if _, dup := p.byType[typ][zone]; dup {
			return nil, fmt.Errorf("reading Spot prices: line %d: %s %s is priced twice", line, typ, zone)
		}
		p.byType[typ][zone] = price
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading Spot prices: %w", err)
	}
	if len(p.byType) == 0 {
		return nil, errors.New("reading Spot prices: no prices")
	}
	return p, nil
}

// with is p with the types o prices taken from o, whole (every zone).
func (p *SpotPrices) with(o *SpotPrices) *SpotPrices {
	if o == nil {
		return p
	}
	out := &SpotPrices{Source: o.Source + ", over " + p.Source, byType: map[string]map[string]float64{}, estimated: map[string]bool{}}
	for t, z := range p.byType {
		out.byType[t] = z
		out.estimated[t] = p.estimated[t]
	}
	for t, z := range o.byType {
		out.byType[t] = z
		out.estimated[t] = o.estimated[t]
	}
	return out
}

// SpotPrices is provisioner.SpotPrices: each named type's lowest price
// among its zones, for those priced.
func (p *SpotPrices) SpotPrices(_ context.Context, types []string) (map[string]float64, error) {
	out := make(map[string]float64, len(types))
	for _, t := range types {
		if usd, ok := p.price(t, ""); ok {
			out[t] = usd
		}
	}
	return out, nil
}

// price is a type's price in zone. A zone named by a spot trace's series
// ("us-east-1b_intel_64") also matches its name up to the "_". Without a
// price for the zone, it is the type's price without a zone, else its
// lowest among the zones.
func (p *SpotPrices) price(typ, zone string) (float64, bool) {
	zones, ok := p.byType[typ]
	if !ok {
		return 0, false
	}
	if zone != "" {
		if usd, ok := zones[zone]; ok {
			return usd, true
		}
		if z, _, cut := strings.Cut(zone, "_"); cut {
			if usd, ok := zones[z]; ok {
				return usd, true
			}
		}
	}
	if usd, ok := zones[""]; ok {
		return usd, true
	}
	lowest := math.Inf(1)
	for _, usd := range zones {
		lowest = min(lowest, usd)
	}
	return lowest, !math.IsInf(lowest, 1)
}

// estimatedAmong counts the types whose Spot price is an estimate.
func (p *SpotPrices) estimatedAmong(types []provisioner.InstanceType) int {
	n := 0
	for _, t := range types {
		if p.estimated[t.Name] {
			n++
		}
	}
	return n
}

// hourly is what an hour of t costs in the simulated compute environment
// when spot tells whether it is Spot and zone is its zone ("" when none):
// its Spot price, when it has one, or its On-Demand price.
func (w *world) hourly(t provisioner.InstanceType, spot bool, zone string) float64 {
	if spot {
		if usd, ok := w.spotPrices.price(t.Name, zone); ok {
			return usd
		}
	}
	return t.PricePerHour
}

// buyPrice is what an hour of t costs the simulated compute environment
// where the zone is not known: what its policies rank types by, and the
// oracle's price.
func (s *simulation) buyPrice(t provisioner.InstanceType) float64 {
	return s.hourly(t, s.ce.ComputeResources.Type == provisioner.ResourceSpot, "")
}
