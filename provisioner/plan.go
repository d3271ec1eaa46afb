package provisioner

import (
	"math"
	"slices"
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
	// AnyFit places jobs on any instance they fit, not by Packing (see
	// Options.AnyFit).
	AnyFit bool
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
// fits the job, and if that type has no capacity the job waits; the
// progressive and Spot strategies: the type cheapest per vCPU among those
// with capacity; the ordered ones: the first listed), filled, and then
// shrunk to the cheapest type that holds what it got. The plan then places
// all the jobs as the next pass will, on the instances kept and launched in
// an order that does not depend on listing or registration, and packs again
// the jobs that would be left out; what still waits is counted, by cause.
//
// Idle instances are retired after the grace period, most expensive first,
// down to minvCpus, unless a waiting job would fit; instances whose agent
// never registered, and idle draining ones, are retired at once.
func Plan(in PlanInput) Decision {
	p := newPlanner(in)
	p.observe()
	p.placeOnCurrent()
	p.retireIdle()
	p.launchForDemand()
	p.keepFloor()
	p.settle()
	return p.decision()
}

// planner holds one Plan call's working state.
type planner struct {
	in          PlanInput
	lim         limits
	packing     Packing
	withinCache map[withinKey][]InstanceType // see within
	scratch     *fitIndex                    // firstFit's, kept between its calls
	// avail are the allowed types with capacity, in list order, and
	// sorted by price and by price per vCPU; allowedByPrice all of them.
	avail, availByPrice, availByValue, allowedByPrice []InstanceType

	// The demand, by shape class and size.
	classes []shapeClass
	classOf []int    // by demand index: its shape class
	order   []int    // demand indices, largest job first
	queue   []queued // the demand in that order, as placement reads it
	demandV float64

	// Current capacity.
	slots      []slot
	kept       float64 // vCPUs of the instances kept (not draining, not retired)
	freeBefore float64 // free vCPUs before placing demand
	placed     []bool  // by demand index: fits on a current instance
	nPlaced    int

	// Retirements, by cause.
	retire       []string
	retiredIdle  []string
	longestIdle  time.Duration
	keptForFloor []string
	unregistered []string
	drainedIdle  []string

	// Launches.
	admitted      []bool       // by demand index: new capacity is launched for it
	demandItems   []LaunchItem // for waiting jobs
	floorItems    []LaunchItem // for minvCpus
	nLaunched     int
	launchedV     float64
	largestLaunch float64

	// Jobs left waiting, by cause.
	unplaceable  []string
	waitDisabled int
	waitCapacity int
	waitNoOffer  int
	noOfferTypes map[string]bool
}

func newPlanner(in PlanInput) *planner {
	if in.RegistrationTimeout <= 0 {
		in.RegistrationTimeout = DefaultRegistrationTimeout
	}
	p := &planner{in: in, lim: limitsOf(in), noOfferTypes: map[string]bool{}}
	if !in.AnyFit {
		p.packing = NewPacking(in.Types).WithFloor(p.lim.min)
	}
	for _, t := range in.Types {
		if !in.Unavailable[t.Name] {
			p.avail = append(p.avail, t)
		}
	}
	spot := p.spot()
	p.availByPrice, p.availByValue, p.allowedByPrice = byPrice(p.avail, spot), byValue(p.avail, spot), byPrice(in.Types, spot)
	p.classify()
	return p
}

// classify sorts the demand into shape classes.
func (p *planner) classify() {
	index := map[shape]int{}
	p.classOf = make([]int, len(p.in.Demand))
	for i, j := range p.in.Demand {
		patient := !j.RunnableSince.IsZero() && p.in.Now.Sub(j.RunnableSince) >= PackingPatience
		sh := shape{need: j.need(), pin: j.InstanceType, patient: patient}
		c, ok := index[sh]
		if !ok {
			c = len(p.classes)
			index[sh] = c
			largest, opens := math.Inf(1), math.Inf(1)
			if j.InstanceType == "" && !patient {
				largest, opens = p.packing.placing(j.need()), p.packing.largest(j.need())
			}
			p.classes = append(p.classes, shapeClass{first: i, onGPU: p.mayUseGPU(j), largest: largest, opens: opens})
		}
		p.classOf[i] = c
	}
}

// decision assembles the Decision.
func (p *planner) decision() Decision {
	d := Decision{Retire: p.retire, Unplaceable: p.unplaceable}
	d.Waiting = p.waitDisabled + p.waitCapacity + p.waitNoOffer
	d.Launch = slices.Clone(p.demandItems)
	for _, it := range p.floorItems {
		d.Launch = addItem(d.Launch, it.Type, it.Count)
	}
	if p.diversifies() {
		for i := range d.Launch {
			d.Launch[i].Alternatives = p.alternatives(d.Launch[i].Type)
		}
	}

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

// addItem adds n instances of type t to items, which keep the order in
// which types first appear.
func addItem(items []LaunchItem, t InstanceType, n int) []LaunchItem {
	for i := range items {
		if items[i].Type.Name == t.Name {
			items[i].Count += n
			return items
		}
	}
	return append(items, LaunchItem{Type: t, Count: n})
}

// Diversification (the Spot strategies that let EC2 choose the pool).
const (
	// maxAlternatives bounds the types offered for one launch, its own
	// included: CreateFleet takes 300 overrides, one per type and subnet.
	maxAlternatives = 20
	// maxAlternativePremium bounds an alternative's price against the
	// planned type's: EC2 counts each instance as one unit, so a dearer
	// pool it picks for capacity costs that much more.
	maxAlternativePremium = 1.5
)

// spot reports whether the compute environment launches Spot capacity.
func (p *planner) spot() bool {
	cr := p.in.CE.ComputeResources
	return cr != nil && cr.Type == ResourceSpot
}

// diversifies reports whether launches offer EC2 alternatives: Spot with
// SPOT_CAPACITY_OPTIMIZED or SPOT_PRICE_CAPACITY_OPTIMIZED, which choose
// among pools by their spare capacity, as AWS Batch and Karpenter give
// them many. SPOT_CAPACITY_OPTIMIZED_PRIORITIZED keeps the planned type.
func (p *planner) diversifies() bool {
	cr := p.in.CE.ComputeResources
	return cr != nil && cr.Type == ResourceSpot &&
		(p.lim.strategy == StrategySpotCapacityOptimized || p.lim.strategy == StrategySpotPriceCapacityOptimized)
}

// alternatives are t and the available types of t's vCPUs that hold at
// least what t holds (memory, GPUs, and no GPUs where t has none), at most
// maxAlternativePremium times its price, cheapest first, up to
// maxAlternatives.
func (p *planner) alternatives(t InstanceType) []InstanceType {
	out := []InstanceType{t}
	spot := p.spot()
	limit := t.price(spot) * maxAlternativePremium
	for _, a := range p.availByPrice {
		if len(out) == maxAlternatives {
			break
		}
		// An alternative has t's vCPUs: a larger one would hold jobs the
		// packing rule keeps off it (Packing).
		if a.Name == t.Name || !a.capacity().holds(t.capacity()) || (t.GPUs == 0) != (a.GPUs == 0) || a.VCPUs > t.VCPUs+epsilon {
			continue
		}
		if t.price(spot) > 0 && a.price(spot) > limit {
			continue
		}
		out = append(out, a)
	}
	return out
}
