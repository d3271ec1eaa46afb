package sim

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"

	"github.com/tanda-batch/tanda/provisioner"
)

// Policies: Tanda's provisioner, and the baselines it is measured against
// in the same run (docs/SIMULATOR.md).
const (
	PolicyTanda        = "tanda"
	PolicyStatic       = "static"
	PolicyBatchDefault = "batch-default"
	PolicyKarpenter    = "karpenter-like"
)

// Baselines lists the baseline policies.
var Baselines = []string{PolicyStatic, PolicyBatchDefault, PolicyKarpenter}

// Baseline settings.
const (
	// batchScaleDownDelay is AWS Batch's documented idle time before an
	// instance is retired (minScaleDownDelayMinutes' default, 20 minutes).
	batchScaleDownDelay = 20 * time.Minute
	// karpenterBatchIdle and karpenterBatchMax are Karpenter's batching
	// window: a batch closes 1 s after the last new job, or 10 s after the
	// first.
	karpenterBatchIdle = time.Second
	karpenterBatchMax  = 10 * time.Second
	// karpenterConsolidateAfter is how long a node stays empty before it
	// is removed (consolidationPolicy WhenEmpty; batch jobs cannot move,
	// so nodes are never consolidated while they run one).
	karpenterConsolidateAfter = 30 * time.Second
)

// policy returns the provisioning pass of cfg.Policy.
func (s *simulation) policy(cfg Config, cat *provisioner.Catalog, trace Trace, logger *slog.Logger) (func(context.Context) error, error) {
	switch cmp.Or(cfg.Policy, PolicyTanda) {
	case PolicyTanda:
		p := provisioner.New(&s.world, &s.world, cat, provisioner.Options{Clock: s.world.clock, IdleGrace: cfg.IdleGrace, Logger: logger, SpotPrices: s.spotPrices})
		s.packing = provisioner.NewPacking(s.allowed)
		return p.Reconcile, nil
	case PolicyBatchDefault:
		cr := *s.ce.ComputeResources
		cr.AllocationStrategy = provisioner.StrategyBestFitProgressive
		if cr.Type == provisioner.ResourceSpot {
			cr.AllocationStrategy = provisioner.StrategySpotCapacityOptimized
		}
		s.ce.ComputeResources = &cr
		s.grace = batchScaleDownDelay
		p := provisioner.New(&s.world, &s.world, cat, provisioner.Options{Clock: s.world.clock, IdleGrace: batchScaleDownDelay, Logger: logger, SpotPrices: s.spotPrices, AnyFit: true})
		return p.Reconcile, nil
	case PolicyStatic:
		return s.staticPass(trace, cfg.MachineVCPUs), nil
	case PolicyKarpenter:
		k := &karpenter{s: s}
		s.grace = karpenterConsolidateAfter
		return k.pass, nil
	}
	return nil, fmt.Errorf("unknown policy %q: want %s or one of %v", cfg.Policy, PolicyTanda, Baselines)
}

// staticPass launches, once, a fleet the size of the trace's machine (or
// of its busiest moment) of the allowed type cheapest per vCPU that holds
// its largest job, and never retires it: owning the cluster.
func (s *simulation) staticPass(trace Trace, machine int) func(context.Context) error {
	launched := false
	return func(ctx context.Context) error {
		if launched {
			return nil
		}
		launched = true
		largest := Job{}
		for _, j := range trace.Jobs {
			if j.VCPUs > largest.VCPUs {
				largest.VCPUs = j.VCPUs
			}
			largest.MemoryMiB = max(largest.MemoryMiB, j.MemoryMiB)
			largest.GPUs = max(largest.GPUs, j.GPUs)
		}
		types := slices.Clone(s.allowed)
		slices.SortStableFunc(types, func(a, b provisioner.InstanceType) int {
			return cmp.Or(cmp.Compare(s.buyPrice(a)/a.VCPUs, s.buyPrice(b)/b.VCPUs), cmp.Compare(b.VCPUs, a.VCPUs))
		})
		i := slices.IndexFunc(types, func(t provisioner.InstanceType) bool {
			return t.VCPUs >= largest.VCPUs && t.MemoryMiB >= largest.MemoryMiB && t.GPUs >= largest.GPUs
		})
		if i < 0 {
			return fmt.Errorf("static fleet: no allowed type holds the largest job (%v vCPUs, %d MiB, %d GPUs)", largest.VCPUs, largest.MemoryMiB, largest.GPUs)
		}
		size := float64(cmp.Or(machine, trace.MachineVCPUs))
		if size <= 0 {
			size = float64(deref(s.ce.ComputeResources.MaxvCpus))
		}
		n := int(math.Ceil(size / types[i].VCPUs))
		_, err := s.world.Launch(ctx, provisioner.LaunchRequest{CE: s.ce, Items: []provisioner.LaunchItem{{Type: types[i], Count: n}}})
		return err
	}
}

// karpenter provisions as Karpenter does for pods: it batches the jobs no
// instance can take (1 s after the last, at most 10 s after the first),
// packs each batch first-fit decreasing onto new nodes, each the cheapest
// allowed type that holds what was packed on it, within maxvCpus, and
// removes a node once it has been empty for consolidateAfter.
type karpenter struct {
	s          *simulation
	batchStart time.Time
	lastSeen   int             // waiting jobs at the last pass
	planned    map[int]bool    // jobs a booting node was launched for
	booting    map[string]bool // nodes launched and not yet ready
}

func (k *karpenter) pass(ctx context.Context) error {
	s := k.s
	now := s.clock.now
	if k.planned == nil {
		k.planned, k.booting = map[int]bool{}, map[string]bool{}
	}
	for id := range k.booting {
		if i, ok := s.live[id]; !ok || i.ready {
			delete(k.booting, id)
		}
	}
	if len(k.booting) == 0 {
		clear(k.planned)
	}
	if err := k.removeEmpty(ctx, now); err != nil {
		return err
	}
	var pending []int
	for _, j := range s.waiting {
		if !k.planned[j] {
			pending = append(pending, j)
		}
	}
	if len(pending) == 0 {
		k.batchStart, k.lastSeen = time.Time{}, 0
		return nil
	}
	if k.batchStart.IsZero() {
		k.batchStart = now
	}
	grew := len(pending) != k.lastSeen
	k.lastSeen = len(pending)
	if grew && now.Sub(k.batchStart) < karpenterBatchMax {
		s.wakeAt(now.Add(karpenterBatchIdle))
		s.wakeAt(k.batchStart.Add(karpenterBatchMax))
		return nil // the batch is still open
	}
	k.batchStart, k.lastSeen = time.Time{}, 0
	return k.launch(ctx, pending)
}

// removeEmpty terminates nodes empty for consolidateAfter.
func (k *karpenter) removeEmpty(ctx context.Context, now time.Time) error {
	var empty []string
	for id, i := range k.s.live {
		if i.ready && i.room.Running == 0 && now.Sub(i.lastBusy) >= karpenterConsolidateAfter {
			empty = append(empty, id)
		}
	}
	if len(empty) == 0 {
		return nil
	}
	slices.Sort(empty)
	return k.s.world.Terminate(ctx, k.s.ce.ComputeEnvironmentName, empty)
}

// launch packs the pending jobs onto new nodes.
func (k *karpenter) launch(ctx context.Context, pending []int) error {
	s := k.s
	types := slices.Clone(s.allowed)
	slices.SortFunc(types, func(a, b provisioner.InstanceType) int { return cmp.Compare(b.VCPUs, a.VCPUs) })
	// A bin for jobs without GPUs opens at the largest type without GPUs.
	largest := types[0]
	if i := slices.IndexFunc(types, func(t provisioner.InstanceType) bool { return t.GPUs == 0 }); i >= 0 {
		largest = types[i]
	}
	order := slices.Clone(pending)
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(s.jobs[b].VCPUs, s.jobs[a].VCPUs) })
	type bin struct {
		used  Job
		jobs  []int
		limit provisioner.InstanceType
	}
	var bins []*bin
	for _, jn := range order {
		j := s.jobs[jn]
		placed := false
		for _, b := range bins {
			if b.used.VCPUs+j.VCPUs <= b.limit.VCPUs && b.used.MemoryMiB+j.MemoryMiB <= b.limit.MemoryMiB && b.used.GPUs+j.GPUs <= b.limit.GPUs {
				b.used.VCPUs += j.VCPUs
				b.used.MemoryMiB += j.MemoryMiB
				b.used.GPUs += j.GPUs
				b.jobs = append(b.jobs, jn)
				placed = true
				break
			}
		}
		if !placed {
			limit := largest
			if j.GPUs > 0 || limit.VCPUs < j.VCPUs || limit.MemoryMiB < j.MemoryMiB {
				limit = cheapestHolding(types, j, s.buyPrice)
			}
			bins = append(bins, &bin{used: j, jobs: []int{jn}, limit: limit})
		}
	}
	budget := float64(deref(s.ce.ComputeResources.MaxvCpus))
	for _, i := range s.live {
		budget -= i.inst.VCPUs
	}
	var items []provisioner.LaunchItem
	for _, b := range bins {
		t := cheapestHolding(types, b.used, s.buyPrice)
		if t.Name == "" || t.VCPUs > budget {
			continue
		}
		budget -= t.VCPUs
		items = append(items, provisioner.LaunchItem{Type: t, Count: 1})
		for _, jn := range b.jobs {
			k.planned[jn] = true
		}
	}
	if len(items) == 0 {
		return nil
	}
	launched, err := s.world.Launch(ctx, provisioner.LaunchRequest{CE: s.ce, Items: items})
	for _, i := range launched {
		k.booting[i.ID] = true
	}
	return err
}

// cheapestHolding is the type cheapest at price that holds need; zero if
// none.
func cheapestHolding(types []provisioner.InstanceType, need Job, price func(provisioner.InstanceType) float64) provisioner.InstanceType {
	var best provisioner.InstanceType
	for _, t := range types {
		if t.VCPUs >= need.VCPUs && t.MemoryMiB >= need.MemoryMiB && t.GPUs >= need.GPUs &&
			(need.GPUs > 0 || t.GPUs == 0) && (best.Name == "" || price(t) < price(best)) {
			best = t
		}
	}
	if best.Name == "" { // a job without GPUs where only GPU types hold it
		for _, t := range types {
			if t.VCPUs >= need.VCPUs && t.MemoryMiB >= need.MemoryMiB && t.GPUs >= need.GPUs && (best.Name == "" || price(t) < price(best)) {
				best = t
			}
		}
	}
	return best
}

// wakeAt makes a pass run at t.
func (s *simulation) wakeAt(t time.Time) {
	t = t.Truncate(time.Second)
	if t.After(s.clock.now) && !s.wakes[t] {
		s.wakes[t] = true
		s.push(event{at: t, kind: evWake})
	}
}
