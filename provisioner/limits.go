package provisioner

import (
	"time"

	"github.com/tanda-batch/tanda/batch"
)

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

// limitsOf reads the limits from the compute environment and the input.
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
