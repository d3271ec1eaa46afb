package provisioner

import (
	"math"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// Compute resource types and allocation strategies (aws-batch-api.md §2.5,
// §4.2).
const (
	ResourceEC2  = "EC2"
	ResourceSpot = "SPOT"

	StrategyBestFit                          = "BEST_FIT"
	StrategyBestFitProgressive               = "BEST_FIT_PROGRESSIVE"
	StrategyBestFitProgressiveOrdered        = "BEST_FIT_PROGRESSIVE_ORDERED"
	StrategySpotCapacityOptimized            = "SPOT_CAPACITY_OPTIMIZED"
	StrategySpotPriceCapacityOptimized       = "SPOT_PRICE_CAPACITY_OPTIMIZED"
	StrategySpotCapacityOptimizedPrioritized = "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED"
)

// Defaults for the zero values of PlanInput and Options.
const (
	DefaultIdleGrace           = 60 * time.Second
	DefaultRegistrationTimeout = 5 * time.Minute
)

// PlanInput is the state Plan decides from, observed at one instant.
type PlanInput struct {
	// CE is the compute environment: state, status, computeResources
	// (min/max/desired vCPUs, allocation strategy, type, scaling policy) and
	// its last decision.
	CE batch.ComputeEnvironment
	// Types are the CE's instanceTypes, expanded (Catalog.Expand), in order.
	Types []InstanceType
	// Unavailable names the types that have no capacity now.
	Unavailable map[string]bool
	// Instances are the CE's instances; Loads their agents' reports, by id.
	Instances []Instance
	Loads     map[string]Load
	// Demand lists the RUNNABLE jobs in dispatch order.
	Demand []Job
	Now    time.Time
	// IdleGrace is how long an instance may sit idle before it is retired
	// (zero: DefaultIdleGrace); the CE's minScaleDownDelayMinutes wins when
	// longer. It counts from the end of the last job, or from the launch of
	// an instance that never ran one: unlike AWS's minScaleDownDelay, which
	// spares fresh instances, Tanda gives a new instance the same grace, so
	// an instance launched for a job that was cancelled meanwhile goes away.
	IdleGrace time.Duration
	// RegistrationTimeout is how long a launched instance may go without
	// its agent registering before it is retired (zero: the default).
	RegistrationTimeout time.Duration
}

// Decision is what one planning pass decided for a compute environment.
type Decision struct {
	// DesiredvCpus is the capacity kept plus launched, within [minvCpus,
	// maxvCpus + one instance] (maxvCpus for BEST_FIT On-Demand).
	DesiredvCpus int
	Launch       []LaunchItem
	// Retire lists instance ids to terminate.
	Retire []string
	// Unplaceable lists the jobs that fit no allowed instance type; no
	// capacity is launched for them.
	Unplaceable []string
	// Waiting counts the jobs that fit an allowed type but get no capacity
	// this pass: maxvCpus reached, types without capacity, CE disabled.
	Waiting int
	// Reason says why, in a sentence or a few.
	Reason string

	retireReason string // the retirement part of Reason
}

// Plan decides, for one compute environment, which instances to launch and
// which to retire. It is pure: the same input gives the same decision.
//
// Waiting jobs are first placed, largest first (first-fit decreasing by vCPUs,
// then memory), on the free capacity of current instances, launching ones
// included, so that repeated passes never launch twice for the same jobs.
// The rest, taken in dispatch order up to maxvCpus, are packed onto new
// instances: each new instance is opened with the type the allocation
// strategy prefers for its largest job (BEST_FIT: the cheapest type that
// fits the job, and if it has no capacity the job waits; the progressive and
// Spot strategies: the type cheapest per vCPU among those with capacity;
// the ordered ones: the first listed), filled, and then shrunk to the
// cheapest type that holds what it got. Idle instances are retired after the
// grace period, most expensive first, down to minvCpus; instances whose agent
// never registered and idle draining ones are retired at once.
func Plan(in PlanInput) Decision {
	p := newPlanner(in)
	p.observe()
	p.placeOnCurrent()
	p.retireIdle()
	p.launchForDemand()
	p.keepFloor()
	return p.decision()
}

// limits are a compute environment's scaling bounds and policy.
type limits struct {
	min, max int
	// floor is the capacity kept without demand: minvCpus, or a
	// desiredvCpus the user raised above the last decision.
	floor     int
	floorName string // "minvCpus" or "desiredvCpus"
	// noLaunch, when set, says why the CE may not scale out.
	noLaunch string
	// hardMax forbids exceeding maxvCpus at all (BEST_FIT On-Demand).
	hardMax  bool
	strategy string
	grace    time.Duration
}

func limitsOf(in PlanInput) limits {
	ce := in.CE
	cr := ce.ComputeResources
	if cr == nil {
		cr = &batch.ComputeResource{}
	}
	l := limits{
		min: deref(cr.MinvCpus), max: deref(cr.MaxvCpus),
		strategy: cr.AllocationStrategy, grace: in.IdleGrace,
	}
	if l.strategy == "" {
		l.strategy = StrategyBestFit
	}
	l.hardMax = l.strategy == StrategyBestFit && cr.Type != ResourceSpot
	if l.grace <= 0 {
		l.grace = DefaultIdleGrace
	}
	if sp := cr.ScalingPolicy; sp != nil && sp.MinScaleDownDelayMinutes != nil {
		l.grace = max(l.grace, time.Duration(*sp.MinScaleDownDelayMinutes)*time.Minute)
	}
	l.floor, l.floorName = l.min, "minvCpus"
	if d := deref(cr.DesiredvCpus); d > l.floor && (ce.Decision == nil || d > ce.Decision.DesiredvCpus) {
		l.floor, l.floorName = min(d, l.max), "desiredvCpus"
	}
	switch ce.Status {
	case batch.StatusDeleting, batch.StatusDeleted:
		l.noLaunch, l.min, l.floor = "being deleted", 0, 0
	case batch.StatusInvalid:
		l.noLaunch = "INVALID"
	}
	if ce.State == batch.StateDisabled {
		l.noLaunch = "DISABLED"
	}
	return l
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// planner holds one Plan call's working state.
type planner struct {
	in  PlanInput
	lim limits
	// avail are the allowed types with capacity, in list order.
	avail []InstanceType

	slots      []slot
	kept       float64 // vCPUs of the instances kept (not draining, not retired)
	freeBefore float64 // free vCPUs before placing demand
	demandV    float64
	placed     []bool // by demand index: fits on a current instance
	nPlaced    int

	retire        []string
	retiredIdle   []string
	longestIdle   time.Duration
	keptForFloor  []string
	unregistered  []string
	drainedIdle   []string
	unplaceable   []string
	waitDisabled  int
	waitCapacity  int
	waitNoOffer   int
	noOfferTypes  map[string]bool
	gpuOK         map[shape]bool // memo of mayUseGPU
	demandBins    []bin
	floorTypes    []InstanceType
	launchedV     float64
	largestLaunch float64
}

func newPlanner(in PlanInput) *planner {
	if in.RegistrationTimeout <= 0 {
		in.RegistrationTimeout = DefaultRegistrationTimeout
	}
	p := &planner{in: in, lim: limitsOf(in), noOfferTypes: map[string]bool{}, gpuOK: map[shape]bool{}}
	for _, t := range in.Types {
		if !in.Unavailable[t.Name] {
			p.avail = append(p.avail, t)
		}
	}
	return p
}

// decision assembles the Decision.
func (p *planner) decision() Decision {
	d := Decision{Retire: p.retire, Unplaceable: p.unplaceable}
	d.Waiting = p.waitDisabled + p.waitCapacity + p.waitNoOffer
	var types []InstanceType
	for _, b := range p.demandBins {
		types = append(types, b.typ)
	}
	d.Launch = aggregate(append(types, p.floorTypes...))

	upper := p.lim.max
	if !p.lim.hardMax {
		largest := p.largestLaunch
		for _, s := range p.slots {
			if !s.retired {
				largest = max(largest, s.inst.VCPUs)
			}
		}
		upper += int(math.Ceil(largest))
	}
	desired := int(math.Ceil(p.kept + p.launchedV - epsilon))
	d.DesiredvCpus = max(min(desired, upper), p.lim.min)
	d.Reason, d.retireReason = p.reason()
	return d
}

// aggregate counts instances per type, in order of first appearance.
func aggregate(types []InstanceType) []LaunchItem {
	var items []LaunchItem
	index := map[string]int{}
	for _, t := range types {
		if i, ok := index[t.Name]; ok {
			items[i].Count++
			continue
		}
		index[t.Name] = len(items)
		items = append(items, LaunchItem{Type: t, Count: 1})
	}
	return items
}
