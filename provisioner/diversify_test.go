package provisioner

import (
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
