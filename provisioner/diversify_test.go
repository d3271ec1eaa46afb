package provisioner

import (
	"context"
	"errors"
	"testing"

	"github.com/tanda-batch/tanda/batch"
)

func TestSpotLaunchesOfferEC2Alternatives(t *testing.T) {
	for _, tt := range []struct {
		name, crType, strategy string
		want                   bool
	}{
		{"price-capacity-optimized", ResourceSpot, StrategySpotPriceCapacityOptimized, true},
		{"capacity-optimized", ResourceSpot, StrategySpotCapacityOptimized, true},
		{"prioritized keeps the planned type", ResourceSpot, StrategySpotCapacityOptimizedPrioritized, false},
		{"On-Demand keeps the planned type", ResourceEC2, StrategyBestFitProgressive, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ce := testCE("ce", tt.crType, tt.strategy, 0, 256)
			d := Plan(PlanInput{CE: ce, Types: mustExpand(t, ce), Demand: jobsOf(3, "j", 2, 4096, 0), Now: t0})
			if len(d.Launch) == 0 {
				t.Fatal("nothing launched")
			}
			for _, it := range d.Launch {
				if !tt.want {
					if len(it.Alternatives) != 0 {
						t.Errorf("%s: alternatives %v, want none", it.Type.Name, names(it.Alternatives))
					}
					continue
				}
				if len(it.Alternatives) < 2 || it.Alternatives[0].Name != it.Type.Name {
					t.Fatalf("%s: alternatives %v, want the planned type first and others", it.Type.Name, names(it.Alternatives))
				}
				if len(it.Alternatives) > maxAlternatives {
					t.Errorf("%d alternatives, more than %d", len(it.Alternatives), maxAlternatives)
				}
				for _, a := range it.Alternatives {
					if !a.capacity().holds(it.Type.capacity()) || a.GPUs != 0 || a.PricePerHour > it.Type.PricePerHour*maxAlternativePremium {
						t.Errorf("%s offered for %s: it must hold as much, have no GPUs and cost at most %.1fx", a.Name, it.Type.Name, maxAlternativePremium)
					}
				}
			}
		})
	}
}

func mustExpand(t *testing.T, ce batch.ComputeEnvironment) []InstanceType {
	t.Helper()
	types, err := testCatalog.ExpandFor(ce.ComputeResources.InstanceTypes, ce.ComputeResources.Type)
	if err != nil {
		t.Fatal(err)
	}
	return types
}

// spotPrices is a fixed price list, or a failure.
type spotPrices struct {
	prices map[string]float64
	err    error
}

func (s spotPrices) SpotPrices(_ context.Context, types []string) (map[string]float64, error) {
	return s.prices, s.err
}

func TestSpotOfferingsAreRankedBySpotPrices(t *testing.T) {
	for _, tt := range []struct {
		name   string
		prices SpotPrices
		want   string
	}{
		{"without Spot prices, the On-Demand price ranks", nil, "c6i.large"},
		{"the Spot price ranks", spotPrices{prices: map[string]float64{"c6i.large": 0.05, "m6i.large": 0.02}}, "m6i.large"},
		{"a failed read falls back to On-Demand", spotPrices{err: errors.New("throttled")}, "c6i.large"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ce := testCE("ce", ResourceSpot, StrategySpotPriceCapacityOptimized, 0, 64, "c6i.large", "m6i.large")
			h := newHarness(ce)
			h.prov.opts.SpotPrices = tt.prices
			h.obs.demand["ce"] = jobsOf(1, "j", 2, 2048, 0)
			if err := h.prov.Reconcile(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := h.launched(); len(got) != 1 || len(got[0]) != 1 || got[0][0] != "1 x "+tt.want {
				t.Errorf("launched %v, want 1 x %s", got, tt.want)
			}
		})
	}
}
