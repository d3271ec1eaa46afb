// Package sim replays a workload trace through Tanda's provisioner in
// virtual time: the provisioner's own planning and reconciling code, behind
// its Observer and Fleet, with a simulated EC2 (boot times, per-second
// billing with a 60 s minimum) and jobs placed on instances by the agent's
// rule (bootstrap.Room: dispatch order, fit). It reports what the trace
// would have cost and how long its jobs would have waited (`tanda sim`).
package sim

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/provisioner"
	"github.com/tanda-batch/tanda/provisioner/ec2shapes"
	"github.com/tanda-batch/tanda/provisioner/prices"
)

// Defaults of a simulation.
const (
	// DefaultBootMin and DefaultBootMax bound an instance's boot, from
	// launch to its agent's registration: the measured range of EC2 Linux
	// boots.
	DefaultBootMin = 25 * time.Second
	DefaultBootMax = 50 * time.Second
	// MinimumBilled is EC2's per-second billing minimum.
	MinimumBilled = 60 * time.Second
	// settle is how long after the last event the simulation watches the
	// fleet shrink before it stops.
	settle = 6 * time.Hour
)

// Config is a simulation's setup. Zero values take the defaults.
type Config struct {
	// ComputeResources are the simulated compute environment's, as
	// CreateComputeEnvironment takes them. The default is EC2
	// BEST_FIT_PROGRESSIVE over "optimal", minvCpus 0 and a maxvCpus that
	// holds the trace's busiest moment.
	ComputeResources *batch.ComputeResource
	// Catalog is the instance types; default EC2's (package ec2shapes) at
	// us-east-1's On-Demand list prices.
	Catalog *provisioner.Catalog
	// BootMin and BootMax bound the boot times drawn (DefaultBootMin,
	// DefaultBootMax).
	BootMin, BootMax time.Duration
	// IdleGrace is the provisioner's (its default when zero).
	IdleGrace time.Duration
	// Seed seeds the boot times.
	Seed uint64
	// Spot, when set, is Spot capacity over time: a Spot compute
	// environment's instances are reclaimed, after EC2's two-minute
	// warning, when their zone's series turns unavailable.
	Spot *SpotTrace
	// ICE, when set, is insufficient capacity over time: launches of the
	// offerings it names fail, as EC2's do when a pool runs dry.
	ICE *ICE
	// SpotPrices, when set, override the shipped Spot prices (package
	// prices, PriceRegion) for the types they name.
	SpotPrices *SpotPrices
	// Attempts is each job's retryStrategy.attempts (default 3): an
	// attempt lost with its instance is retried until they are spent, as
	// production does with "Host EC2 (instance i-...) terminated.".
	Attempts int
	// Policy is who provisions: PolicyTanda (the default, Tanda's own
	// provisioner) or a baseline (PolicyStatic, PolicyBatchDefault,
	// PolicyKarpenter); docs/SIMULATOR.md gives their rules.
	Policy string
	// MachineVCPUs is the size of the trace's own machine, for
	// PolicyStatic (0: the trace's MachineVCPUs, else the busiest
	// moment's vCPUs).
	MachineVCPUs int
	Logger       *slog.Logger
}

// DefaultAttempts is the jobs' retryStrategy.attempts when Config leaves it
// unset.
const DefaultAttempts = 3

// spotWarning is how long before reclaiming a Spot instance EC2 warns.
const spotWarning = 2 * time.Minute

// Run replays trace and reports.
func Run(ctx context.Context, trace Trace, cfg Config) (*Report, error) {
	cat := cfg.Catalog
	if cat == nil {
		var err error
		if cat, err = ec2Catalog(); err != nil {
			return nil, err
		}
	}
	cr := defaultResources(trace, cfg.ComputeResources)
	ce := batch.ComputeEnvironment{
		ComputeEnvironmentName: "sim", Type: batch.TypeManaged, State: batch.StateEnabled, Status: batch.StatusValid,
		ComputeResources: cr,
	}
	allowed, err := cat.ExpandFor(cr.InstanceTypes, cr.Type)
	if err != nil {
		return nil, fmt.Errorf("compute environment: %w", err)
	}
	if cr.MaxvCpus == nil {
		cr.MaxvCpus = new(peakVCPUs(trace, allowed))
	}
	if cfg.BootMin <= 0 {
		cfg.BootMin = DefaultBootMin
	}
	if cfg.BootMax <= 0 {
		cfg.BootMax = max(DefaultBootMax, cfg.BootMin)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &simulation{
		world: world{
			clock: &clock{now: start}, start: start, ce: ce,
			rng:  rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
			boot: [2]time.Duration{cfg.BootMin, cfg.BootMax},
			jobs: trace.Jobs, startAt: make([]time.Time, len(trace.Jobs)), where: make([]*instance, len(trace.Jobs)),
			attempts: make([]int, len(trace.Jobs)), live: map[string]*instance{}, spot: cfg.Spot, ice: cfg.ICE,
			spotPrices: shippedSpotPrices(cat.Types()).with(cfg.SpotPrices),
		},
		maxAttempts: cfg.Attempts,
		allowed:     allowed,
		report:      &Report{Trace: trace.Name, Jobs: len(trace.Jobs), Skipped: trace.Skipped, ComputeResources: *cr},
	}
	if s.maxAttempts <= 0 {
		s.maxAttempts = DefaultAttempts
	}
	s.attemptStart = map[int]time.Time{}
	s.since = start
	s.done = make([]bool, len(trace.Jobs))
	s.world.onLaunch = s.launched
	s.grace = cfg.IdleGrace
	if s.grace <= 0 {
		s.grace = provisioner.DefaultIdleGrace
	}
	if s.pass, err = s.policy(cfg, cat, trace, logger); err != nil {
		return nil, err
	}
	s.report.Policy = cmp.Or(cfg.Policy, PolicyTanda)
	for i, j := range trace.Jobs {
		s.push(event{at: start.Add(j.Submit), kind: evSubmit, job: i})
	}
	if err := s.loop(ctx); err != nil {
		return nil, err
	}
	s.finish()
	return s.report, nil
}

// PriceRegion is the region whose list prices the default catalogue
// carries.
const PriceRegion = "us-east-1"

// ec2Catalog is EC2's instance types (package ec2shapes) at PriceRegion's
// On-Demand prices.
func ec2Catalog() (*provisioner.Catalog, error) {
	types, err := ec2shapes.Types()
	if err != nil {
		return nil, fmt.Errorf("reading EC2's instance types: %w", err)
	}
	return provisioner.NewCatalog(prices.Apply(PriceRegion, types))
}

// defaultResources fills what the simulated compute environment leaves
// unset.
func defaultResources(trace Trace, given *batch.ComputeResource) *batch.ComputeResource {
	cr := batch.ComputeResource{}
	if given != nil {
		cr = *given
	}
	if cr.Type == "" {
		cr.Type = provisioner.ResourceEC2
	}
	if cr.AllocationStrategy == "" {
		cr.AllocationStrategy = provisioner.StrategyBestFitProgressive
		if cr.Type == provisioner.ResourceSpot {
			cr.AllocationStrategy = provisioner.StrategySpotPriceCapacityOptimized
		}
	}
	if len(cr.InstanceTypes) == 0 {
		cr.InstanceTypes = []string{"optimal"}
	}
	if cr.MinvCpus == nil {
		cr.MinvCpus = new(0)
	}
	if cr.DesiredvCpus == nil {
		cr.DesiredvCpus = new(*cr.MinvCpus)
	}
	return &cr
}

// peakVCPUs is the most vCPUs the trace's jobs hold at once, were each to
// start when submitted on its own instance of the smallest allowed type
// that holds it: a maxvCpus that never holds the trace back. (The vCPUs
// the jobs ask alone would: GPU types bring many vCPUs per GPU.)
func peakVCPUs(trace Trace, allowed []provisioner.InstanceType) int {
	type edge struct {
		at    time.Duration
		delta float64
	}
	edges := make([]edge, 0, 2*len(trace.Jobs))
	for _, j := range trace.Jobs {
		v := math.Inf(1)
		for _, t := range allowed {
			if t.VCPUs >= j.VCPUs && t.MemoryMiB >= j.MemoryMiB && t.GPUs >= j.GPUs {
				v = min(v, t.VCPUs)
			}
		}
		if math.IsInf(v, 1) {
			v = j.VCPUs // unplaceable: it never runs, and counts as asked
		}
		edges = append(edges, edge{j.Submit, v}, edge{j.Submit + j.Run, -v})
	}
	// Ends (negative) before starts at the same time.
	slices.SortFunc(edges, func(a, b edge) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.delta, b.delta)) })
	peak, cur := 0.0, 0.0
	for _, e := range edges {
		cur += e.delta
		peak = max(peak, cur)
	}
	return max(int(math.Ceil(peak)), 1)
}

// Event kinds.
const (
	evSubmit = iota
	evReady
	evFinish
	evWake
	evWarn    // a Spot instance's two-minute warning
	evReclaim // a Spot instance reclaimed
)

type event struct {
	at      time.Time
	kind    int
	job     int
	attempt int // of an evFinish: the attempt that ends
	inst    *instance
	seq     int
}

type events []event

func (e events) Len() int { return len(e) }
func (e events) Less(a, b int) bool {
	if !e[a].at.Equal(e[b].at) {
		return e[a].at.Before(e[b].at)
	}
	return e[a].seq < e[b].seq
}
func (e events) Swap(a, b int) { e[a], e[b] = e[b], e[a] }
func (e *events) Push(x any)   { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// simulation is one run.
type simulation struct {
	world
	pass    func(context.Context) error // a provisioning pass, of the policy simulated
	allowed []provisioner.InstanceType
	// packing is the rule by which instances take jobs: Tanda's agents',
	// or the zero rule (any job that fits) of the baselines' agents.
	packing provisioner.Packing
	grace   time.Duration
	queue   events
	seq     int
	report  *Report

	maxAttempts  int
	failed       int
	attemptStart map[int]time.Time // the current attempt's start, by job
	done         []bool            // by job: finished

	since time.Time // the state in rates holds since
	rates Excess    // vCPUs booting, idle and left over, since since

	finished  int
	lastEnd   time.Time
	lastEvent time.Time
	wakes     map[time.Time]bool
}

func (s *simulation) push(e event) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.queue, e)
}

// loop takes the events in time order; after each instant's events it
// runs a provisioner pass and places what waits.
func (s *simulation) loop(ctx context.Context) error {
	s.wakes = map[time.Time]bool{}
	for s.queue.Len() > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := s.queue[0].at
		if now.Sub(s.lastEvent) > settle && s.finished+s.failed == len(s.jobs)-s.report.Unplaceable {
			break
		}
		s.clock.now = now
		for s.queue.Len() > 0 && s.queue[0].at.Equal(now) {
			e := heap.Pop(&s.queue).(event)
			s.apply(e)
		}
		if err := s.pass(ctx); err != nil {
			return fmt.Errorf("provisioner pass at %s: %w", now.Sub(s.start), err)
		}
		s.passes++
		s.place()
		s.sample()
		s.scheduleWakes()
	}
	return nil
}

// apply takes one event.
func (s *simulation) apply(e event) {
	switch e.kind {
	case evSubmit:
		s.lastEvent = e.at
		j := s.jobs[e.job]
		if !s.placeable(j) {
			s.report.Unplaceable++
			return
		}
		s.waiting = append(s.waiting, e.job)
	case evReady:
		if !e.inst.terminated() {
			e.inst.ready = true
			e.inst.lastBusy = e.at
		}
	case evFinish:
		if e.attempt != s.attempts[e.job] || s.where[e.job] == nil || s.where[e.job].terminated() {
			return // an attempt lost with its instance
		}
		s.lastEvent = e.at
		j := s.jobs[e.job]
		i := s.where[e.job]
		i.room.Release(j.VCPUs, j.MemoryMiB, j.GPUs)
		i.running = slices.DeleteFunc(i.running, func(k int) bool { return k == e.job })
		i.lastBusy = e.at
		s.finished++
		s.done[e.job] = true
		s.report.RequestedVCPUHours += j.VCPUs * j.Run.Hours()
		if e.at.After(s.lastEnd) {
			s.lastEnd = e.at
		}
	case evWarn:
		if !e.inst.terminated() {
			e.inst.draining = true
		}
	case evReclaim:
		s.reclaim(e.inst)
	case evWake:
		delete(s.wakes, e.at)
	}
}

// placeable reports whether some allowed type could hold the job.
func (s *simulation) placeable(j Job) bool {
	for _, t := range s.allowed {
		if t.VCPUs >= j.VCPUs && t.MemoryMiB >= j.MemoryMiB && t.GPUs >= j.GPUs {
			return true
		}
	}
	return false
}

// place starts waiting jobs on ready instances with room, by the agent's
// rule: each instance takes, in dispatch order, the waiting jobs that fit.
func (s *simulation) place() {
	if len(s.waiting) == 0 {
		return
	}
	for _, i := range s.instances {
		if !i.ready || i.terminated() || i.draining || !i.room.HasRoom() {
			continue
		}
		kept := s.waiting[:0]
		for _, k := range s.waiting {
			j := s.jobs[k]
			waited := s.clock.now.Sub(s.start.Add(j.Submit))
			if !s.packing.Takes(i.inst.VCPUs, j.VCPUs, j.MemoryMiB, j.GPUs, waited) || !i.room.Take(j.VCPUs, j.MemoryMiB, j.GPUs) {
				kept = append(kept, k)
				continue
			}
			if s.attempts[k] == 0 {
				s.startAt[k] = s.clock.now
			}
			s.attempts[k]++
			s.where[k] = i
			s.attemptStart[k] = s.clock.now
			i.running = append(i.running, k)
			i.lastBusy = s.clock.now
			s.push(event{at: s.clock.now.Add(j.Run), kind: evFinish, job: k, attempt: s.attempts[k]})
		}
		s.waiting = kept
		if len(s.waiting) == 0 {
			return
		}
	}
}

// waitingPass is how soon a pass runs again while jobs wait under a spot
// trace or an ICE scenario: capacity coming back, and an offering's hiding
// ending, have no event of their own, and the production provisioner
// passes every second or two anyway. Without them, every change is an
// event.
const waitingPass = 5 * time.Second

// scheduleWakes makes sure a pass runs when an idle instance's grace
// ends, so that it is retired on time, and soon again while jobs wait.
func (s *simulation) scheduleWakes() {
	if len(s.waiting) > 0 && (s.spot != nil || s.ice != nil) {
		at := s.clock.now.Add(waitingPass).Truncate(time.Second)
		if !s.wakes[at] {
			s.wakes[at] = true
			s.push(event{at: at, kind: evWake})
		}
	}
	for _, i := range s.live {
		if !i.ready || i.room.Running > 0 {
			continue
		}
		at := i.lastBusy.Add(s.grace + time.Second).Truncate(time.Second)
		if at.After(s.clock.now) && !s.wakes[at] {
			s.wakes[at] = true
			s.push(event{at: at, kind: evWake})
		}
	}
}

// launched schedules an instance's boot and, for Spot under a spot trace,
// its warning and reclamation when its zone runs out of capacity.
func (s *simulation) launched(i *instance) {
	s.push(event{at: i.readyAt, kind: evReady, inst: i})
	if i.zone == "" {
		return
	}
	zone := s.spot.Zones[slices.IndexFunc(s.spot.Zones, func(z SpotZone) bool { return z.Name == i.zone })]
	loss, ok := zone.nextLoss(i.inst.LaunchedAt.Sub(s.start))
	if !ok {
		return
	}
	at := s.start.Add(loss)
	warn := at.Add(-spotWarning)
	if warn.Before(i.inst.LaunchedAt) {
		warn = i.inst.LaunchedAt
	}
	s.push(event{at: warn, kind: evWarn, inst: i})
	s.push(event{at: at, kind: evReclaim, inst: i})
}

// reclaim ends a Spot instance: its attempts are lost, each retried (at the
// front of the queue, as a retried job is) while attempts remain, and the
// vCPU-hours they had run are counted as wasted.
func (s *simulation) reclaim(i *instance) {
	if i.terminated() {
		return
	}
	s.report.Reclaimed++
	var retried []int
	for _, k := range i.running {
		j := s.jobs[k]
		s.report.InterruptedAttempts++
		s.report.WastedVCPUHours += j.VCPUs * s.clock.now.Sub(s.attemptStart[k]).Hours()
		i.room.Release(j.VCPUs, j.MemoryMiB, j.GPUs)
		if s.attempts[k] < s.maxAttempts {
			retried = append(retried, k)
			s.report.Retried++
			continue
		}
		s.failed++
	}
	i.running = nil
	s.waiting = append(retried, s.waiting...)
	i.terminatedAt = s.clock.now
	delete(s.live, i.inst.ID)
}
