package provisioner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tanda-batch/tanda/batch"
)

// DefaultDemandLimit bounds the RUNNABLE jobs counted per compute
// environment and pass.
const DefaultDemandLimit = 10000

// maxLaunchAttempts is how often one pass calls Launch for a compute
// environment: once, and once more with the offerings that ran out hidden.
const maxLaunchAttempts = 2

// Options tune a Provisioner; zero values take the defaults.
type Options struct {
	Clock               batch.Clock   // default batch.SystemClock
	IdleGrace           time.Duration // default DefaultIdleGrace
	UnavailableTTL      time.Duration // default DefaultUnavailableTTL
	DemandLimit         int           // default DefaultDemandLimit
	RegistrationTimeout time.Duration // default DefaultRegistrationTimeout
	Logger              *slog.Logger  // default slog.Default()
	// ForgetSilentAfter, when positive, forgets instances whose agent has
	// not reported for that long (Observer.ForgetInstance), so that their
	// attempts end as host losses: the records of instances lost without
	// a Terminate (Spot reclaimed, crashed) do not stay forever, and such an
	// instance, if it still runs, looks unregistered and is retired. Zero
	// keeps every record, for fleets that forget their own instances.
	ForgetSilentAfter time.Duration
	// SpotPrices, when set, gives the current Spot prices a Spot compute
	// environment's offerings are ranked by; without it, or for a type it
	// does not price, the On-Demand price ranks them.
	SpotPrices SpotPrices
	// AnyFit plans as if instances took any job that fits them, as ECS
	// places tasks, instead of by Packing; for the simulator's AWS Batch
	// baseline, whose agents are ECS's.
	AnyFit bool
	// Metrics, when set, is told what each pass saw and did.
	Metrics Metrics
}

// SpotPrices gives current Spot prices in USD per hour: for each of the
// named types it knows, the lowest among the region's zones.
type SpotPrices interface {
	SpotPrices(ctx context.Context, types []string) (map[string]float64, error)
}

// Provisioner reconciles every managed compute environment's instances with
// its demand: observe, plan, act, record.
type Provisioner struct {
	obs         Observer
	fleet       Fleet
	cat         *Catalog
	opts        Options
	unavailable *unavailableOfferings

	mu     sync.Mutex
	passes map[string]chan struct{} // per compute environment: held during its pass
}

// New builds a Provisioner.
func New(obs Observer, fleet Fleet, cat *Catalog, opts Options) *Provisioner {
	if opts.Clock == nil {
		opts.Clock = batch.SystemClock{}
	}
	if opts.IdleGrace <= 0 {
		opts.IdleGrace = DefaultIdleGrace
	}
	if opts.UnavailableTTL <= 0 {
		opts.UnavailableTTL = DefaultUnavailableTTL
	}
	if opts.DemandLimit <= 0 {
		opts.DemandLimit = DefaultDemandLimit
	}
	if opts.RegistrationTimeout <= 0 {
		opts.RegistrationTimeout = DefaultRegistrationTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Provisioner{
		obs: obs, fleet: fleet, cat: cat, opts: opts,
		unavailable: newUnavailableOfferings(opts.UnavailableTTL),
		passes:      map[string]chan struct{}{},
	}
}

// Run reconciles at once and then every interval until ctx is done, logging
// the errors of failed passes; it returns nil when ctx is done.
func (p *Provisioner) Run(ctx context.Context, interval time.Duration) error {
	if interval <= 0 {
		return fmt.Errorf("running provisioner: interval %v is not positive", interval)
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if err := p.Reconcile(ctx); err != nil && ctx.Err() == nil {
			p.opts.Logger.Error("provisioner pass failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

// Reconcile runs one pass over every managed EC2 or Spot compute
// environment. A compute environment's failure does not stop the others;
// the errors are joined.
func (p *Provisioner) Reconcile(ctx context.Context) (err error) {
	start := p.opts.Clock.Now()
	var seen []string
	if p.opts.Metrics != nil {
		defer func() { p.opts.Metrics.Reconciled(seen, p.opts.Clock.Now().Sub(start), err) }()
	}
	ces, err := p.obs.ComputeEnvironments(ctx)
	if err != nil {
		return fmt.Errorf("listing compute environments: %w", err)
	}
	var errs []error
	for _, ce := range ces {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		if ce.Status == batch.StatusDeleting {
			shrinking, err := p.deleting(ctx, ce)
			if err != nil {
				errs = append(errs, fmt.Errorf("compute environment %s: %w", ce.ComputeEnvironmentName, err))
				continue
			}
			if shrinking == nil {
				continue
			}
			ce = *shrinking
		}
		if !provisioned(ce) {
			continue
		}
		seen = append(seen, ce.ComputeEnvironmentName)
		if err := p.reconcileCE(ctx, ce); err != nil {
			errs = append(errs, fmt.Errorf("compute environment %s: %w", ce.ComputeEnvironmentName, err))
		}
	}
	return errors.Join(errs...)
}

// deleting handles a DELETING compute environment: it is forgotten once it
// has no instance left (nil), and until then shrinks to nothing, as if
// DISABLED with minvCpus 0.
func (p *Provisioner) deleting(ctx context.Context, ce batch.ComputeEnvironment) (*batch.ComputeEnvironment, error) {
	name := ce.ComputeEnvironmentName
	insts, err := p.fleet.Instances(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("listing instances: %w", err)
	}
	if len(insts) == 0 {
		if err := p.obs.ForgetComputeEnvironment(ctx, name); err != nil {
			return nil, fmt.Errorf("forgetting deleted compute environment: %w", err)
		}
		p.opts.Logger.Info("deleted compute environment forgotten", "computeEnvironment", name)
		return nil, nil
	}
	ce.State = batch.StateDisabled
	if ce.ComputeResources != nil {
		cr := *ce.ComputeResources
		cr.MinvCpus = new(0)
		ce.ComputeResources = &cr
	}
	return &ce, nil
}

// provisioned reports whether the provisioner owns the CE's instances.
func provisioned(ce batch.ComputeEnvironment) bool {
	cr := ce.ComputeResources
	return ce.Type == batch.TypeManaged && cr != nil && (cr.Type == ResourceEC2 || cr.Type == ResourceSpot)
}

// reconcileCE runs one pass for one compute environment, never two at once.
func (p *Provisioner) reconcileCE(ctx context.Context, ce batch.ComputeEnvironment) error {
	name := ce.ComputeEnvironmentName
	release, err := p.acquire(ctx, name)
	if err != nil {
		return fmt.Errorf("waiting for the running pass: %w", err)
	}
	defer release()

	in, err := p.observe(ctx, ce)
	if err != nil {
		return err
	}
	d := Plan(in)
	retired, retireReason := d.Retire, d.retireReason

	var errs []error
	nRetired := len(d.Retire)
	if err := p.retire(ctx, &in, d.Retire); err != nil {
		errs = append(errs, err)
		nRetired = 0
	}
	launched, notes, codes, err := p.launch(ctx, &in, &d)
	if err != nil {
		errs = append(errs, err)
	}
	p.report(in, d, launched, nRetired, codes)

	reason := d.Reason
	if len(notes) > 0 {
		reason = strings.Join(notes, "; ") + "; re-planned: " + d.Reason
		if d.retireReason == "" && retireReason != "" {
			reason += "; " + retireReason
		}
	}
	if est := estimatedPrices(in.Types); est != "" {
		reason += "; " + est
	}
	rec := batch.ScalingDecision{ // Launch records what was started, not what was tried
		At: batch.Millis(in.Now), DesiredvCpus: d.DesiredvCpus,
		Launch: summarize(launched), Retire: retired, Reason: reason,
	}
	if err := p.obs.RecordDecision(ctx, name, rec); err != nil {
		errs = append(errs, fmt.Errorf("recording decision: %w", err))
	}
	level := slog.LevelDebug
	if len(rec.Launch) > 0 || len(rec.Retire) > 0 || len(notes) > 0 {
		level = slog.LevelInfo
	}
	p.opts.Logger.Log(ctx, level, "provisioner decision", "computeEnvironment", name,
		"desiredvCpus", rec.DesiredvCpus, "launched", rec.Launch, "retired", rec.Retire, "reason", rec.Reason)
	return errors.Join(errs...)
}

// maxEstimatedNamed bounds the types a decision's reason names as priced
// by estimate.
const maxEstimatedNamed = 5

// estimatedPrices says which of types have estimated prices, for the
// decision's reason; "" when none has.
func estimatedPrices(types []InstanceType) string {
	var names []string
	for _, t := range types {
		if t.PriceEstimated {
			names = append(names, t.Name)
		}
	}
	switch {
	case len(names) == 0:
		return ""
	case len(names) > maxEstimatedNamed:
		return fmt.Sprintf("prices estimated (no list price) for %s and %d more", strings.Join(names[:maxEstimatedNamed], ", "), len(names)-maxEstimatedNamed)
	}
	return "prices estimated (no list price) for " + strings.Join(names, ", ")
}

// acquire waits until no other pass runs for the compute environment.
func (p *Provisioner) acquire(ctx context.Context, ce string) (release func(), err error) {
	p.mu.Lock()
	sem := p.passes[ce]
	if sem == nil {
		sem = make(chan struct{}, 1)
		p.passes[ce] = sem
	}
	p.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// observe gathers the plan's input. Instances are listed first: a pass
// launches only under the compute environment's lock, so none can appear
// unseen, and a job that starts between the reads is missed rather than
// counted twice.
func (p *Provisioner) observe(ctx context.Context, ce batch.ComputeEnvironment) (PlanInput, error) {
	name := ce.ComputeEnvironmentName
	types, err := p.cat.ExpandFor(ce.ComputeResources.InstanceTypes, ce.ComputeResources.Type)
	if err != nil {
		return PlanInput{}, fmt.Errorf("expanding instance types: %w", err)
	}
	if ce.ComputeResources.Type == ResourceSpot {
		types = p.withSpotPrices(ctx, name, types)
	}
	instances, err := p.fleet.Instances(ctx, name)
	if err != nil {
		return PlanInput{}, fmt.Errorf("listing instances: %w", err)
	}
	loads, err := p.obs.Loads(ctx, name)
	if err != nil {
		return PlanInput{}, fmt.Errorf("reading instance loads: %w", err)
	}
	now := p.opts.Clock.Now()
	if err := p.forgetSilent(ctx, name, loads, now); err != nil {
		return PlanInput{}, err
	}
	// Runs split where the packing rule's patience does: the planner
	// tells jobs apart by it (planner.classify).
	runs, err := p.obs.Demand(ctx, name, p.opts.DemandLimit, now.Add(-PackingPatience))
	if err != nil {
		return PlanInput{}, fmt.Errorf("reading demand: %w", err)
	}
	return PlanInput{
		CE: ce, Types: types,
		Unavailable: p.unavailable.names(ce.ComputeResources.Type == ResourceSpot, now),
		Instances:   instances, Loads: loads, Demand: expand(runs), Now: now,
		IdleGrace: p.opts.IdleGrace, RegistrationTimeout: p.opts.RegistrationTimeout, AnyFit: p.opts.AnyFit,
	}, nil
}

// withSpotPrices is types with their current Spot prices, as far as
// Options.SpotPrices knows them. When it fails, the On-Demand prices rank
// the offerings for this pass, and the failure is logged.
func (p *Provisioner) withSpotPrices(ctx context.Context, ce string, types []InstanceType) []InstanceType {
	if p.opts.SpotPrices == nil {
		return types
	}
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = t.Name
	}
	prices, err := p.opts.SpotPrices.SpotPrices(ctx, names)
	if err != nil {
		p.opts.Logger.Warn("reading Spot prices; ranking by On-Demand prices", "computeEnvironment", ce, "err", err)
		return types
	}
	out := slices.Clone(types)
	for i := range out {
		if price, ok := prices[out[i].Name]; ok && price > 0 {
			out[i].SpotPricePerHour = price
		}
	}
	return out
}

// forgetSilent forgets the instances whose agent has not reported for
// ForgetSilentAfter and removes them from loads: to the plan they are
// unregistered, and retired if they still run.
func (p *Provisioner) forgetSilent(ctx context.Context, ce string, loads map[string]Load, now time.Time) error {
	if p.opts.ForgetSilentAfter <= 0 {
		return nil
	}
	for id, l := range loads {
		if l.LastSeenAt.IsZero() || now.Sub(l.LastSeenAt) <= p.opts.ForgetSilentAfter {
			continue
		}
		if err := p.obs.ForgetInstance(ctx, ce, id); err != nil {
			return fmt.Errorf("forgetting silent instance %s: %w", id, err)
		}
		p.opts.Logger.Warn("instance forgotten: its agent went silent", "computeEnvironment", ce, "instance", id,
			"lastSeenAt", l.LastSeenAt)
		delete(loads, id)
	}
	return nil
}

// retire terminates instances and marks them terminating in the input, so
// that a re-plan no longer counts them.
func (p *Provisioner) retire(ctx context.Context, in *PlanInput, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := IgnoreInstanceNotFound(p.fleet.Terminate(ctx, in.CE.ComputeEnvironmentName, ids)); err != nil {
		return fmt.Errorf("terminating %s: %w", list(ids), err)
	}
	gone := map[string]bool{}
	for _, id := range ids {
		gone[id] = true
	}
	for i := range in.Instances {
		if gone[in.Instances[i].ID] {
			in.Instances[i].State = InstanceTerminating
		}
	}
	return nil
}

// launch executes d's launches. When offerings run out of capacity it hides
// them for the TTL and re-plans once with the rest, updating d. It returns
// the instances started, notes on the offerings that ran out, the codes of
// the failures (ErrorCode), and any launch error other than capacity.
func (p *Provisioner) launch(ctx context.Context, in *PlanInput, d *Decision) ([]Instance, []string, []string, error) {
	name := in.CE.ComputeEnvironmentName
	spot := in.CE.ComputeResources.Type == ResourceSpot
	var launched []Instance
	var notes, codes []string
	for attempt := 1; len(d.Launch) > 0; attempt++ {
		req := LaunchRequest{CE: in.CE, Items: d.Launch, ClientToken: ClientToken(name, d.Launch, in.Instances, in.Now)}
		got, err := p.fleet.Launch(ctx, req)
		launched = append(launched, got...)
		in.Instances = append(in.Instances, got...)
		if err == nil {
			break
		}
		ice, other := splitCapacityErrors(err)
		for _, e := range ice {
			codes = append(codes, ErrorCode(e))
			p.unavailable.mark(e.Type, spot, in.Now)
			notes = append(notes, fmt.Sprintf("%s had no capacity, hidden for %s", e.Type, seconds(p.opts.UnavailableTTL)))
			p.opts.Logger.Warn("insufficient capacity", "computeEnvironment", name, "err", e)
		}
		if other != nil {
			for _, e := range leaves(other) {
				codes = append(codes, ErrorCode(e))
			}
			return launched, notes, codes, fmt.Errorf("launching %s: %w", describe(req.Items, spot), other)
		}
		if attempt == maxLaunchAttempts {
			break
		}
		in.Unavailable = p.unavailable.names(spot, in.Now)
		*d = Plan(*in)
	}
	return launched, notes, codes, nil
}

// summarize says what was launched, as "2 x c6i.large" per type.
func summarize(instances []Instance) []string {
	var out []string
	index := map[string]int{}
	var counts []int
	for _, inst := range instances {
		if i, ok := index[inst.Type]; ok {
			counts[i]++
			continue
		}
		index[inst.Type] = len(out)
		out = append(out, inst.Type)
		counts = append(counts, 1)
	}
	for i := range out {
		out[i] = fmt.Sprintf("%d x %s", counts[i], out[i])
	}
	return out
}
