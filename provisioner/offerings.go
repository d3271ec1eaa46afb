package provisioner

import (
	"sync"
	"time"
)

// DefaultUnavailableTTL is how long an offering stays hidden after it ran
// out of capacity: Karpenter's UnavailableOfferingsTTL.
const DefaultUnavailableTTL = 3 * time.Minute

// offering is an instance type in one capacity type. The zone is left out:
// a fleet spreads a launch over all the compute environment's subnets before
// it reports insufficient capacity, and the planner does not choose zones,
// so the type is hidden in every zone (coarser than Karpenter's key).
type offering struct {
	typ  string
	spot bool
}

// unavailableOfferings is the negative cache of offerings that recently ran
// out of capacity, shared by all compute environments.
type unavailableOfferings struct {
	ttl   time.Duration
	mu    sync.Mutex
	until map[offering]time.Time
}

func newUnavailableOfferings(ttl time.Duration) *unavailableOfferings {
	return &unavailableOfferings{ttl: ttl, until: map[offering]time.Time{}}
}

// mark hides an offering until now + ttl.
func (u *unavailableOfferings) mark(typ string, spot bool, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.until[offering{typ: typ, spot: spot}] = now.Add(u.ttl)
}

// names lists the types of the capacity type hidden at now, and forgets
// the entries that have expired.
func (u *unavailableOfferings) names(spot bool, now time.Time) map[string]bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := map[string]bool{}
	for o, until := range u.until {
		switch {
		case !now.Before(until):
			delete(u.until, o)
		case o.spot == spot:
			out[o.typ] = true
		}
	}
	return out
}
