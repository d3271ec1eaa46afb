package sim

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/provisioner"
)

// Report is what a simulation measured.
type Report struct {
	Trace            string                `json:"trace"`
	Policy           string                `json:"policy"`
	ComputeResources batch.ComputeResource `json:"computeResources"`

	Jobs        int `json:"jobs"`        // in the trace, placeable or not
	Skipped     int `json:"skipped"`     // trace records that are no job
	Unplaceable int `json:"unplaceable"` // fit no allowed instance type
	Finished    int `json:"finished"`
	// Failed jobs spent their attempts on reclaimed Spot instances.
	Failed int `json:"failed"`
	// NeverStarted jobs were still waiting when the simulation ended: a
	// policy that cannot provision for them (a static fleet too small).
	NeverStarted int `json:"neverStarted"`

	// RequestedVCPUHours is Σ job vCPUs × run time; BilledVCPUHours the
	// instances' vCPUs × billed time (per second, 60 s minimum, launch to
	// termination); Ratio the second over the first.
	RequestedVCPUHours float64 `json:"requestedVcpuHours"`
	BilledVCPUHours    float64 `json:"billedVcpuHours"`
	Ratio              float64 `json:"ratio"`
	// Dollars is what the instances cost at their prices: Spot prices in a
	// Spot compute environment, else On-Demand; OnDemandDollars what they
	// would have cost at On-Demand prices. OracleDollars is the lower
	// bound: each job's vCPU-seconds at the cheapest price per vCPU (Spot
	// prices in a Spot compute environment) among the allowed types that
	// hold it, with no boot and no idle.
	Dollars         float64 `json:"dollars"`
	OnDemandDollars float64 `json:"onDemandDollars"`
	OracleDollars   float64 `json:"oracleDollars"`
	// SpotPrices names the Spot prices of a Spot compute environment, and
	// SpotPricesEstimated counts its allowed types whose Spot price is an
	// estimate (package prices).
	SpotPrices          string `json:"spotPrices,omitempty"`
	SpotPricesEstimated int    `json:"spotPricesEstimated,omitempty"`
	// LaunchedTypes counts the instances launched, by type.
	LaunchedTypes map[string]int `json:"launchedTypes"`
	// Excess says where the billed vCPU-hours beyond the jobs' went.
	Excess Excess `json:"excess"`

	// Waits, submit to start.
	WaitP50 time.Duration `json:"waitP50"`
	WaitP95 time.Duration `json:"waitP95"`
	WaitP99 time.Duration `json:"waitP99"`
	WaitMax time.Duration `json:"waitMax"`

	// Reclaimed counts the Spot instances EC2 took back (under a spot
	// trace), InterruptedAttempts the attempts they ended, WastedVCPUHours
	// what those attempts had run, and NoCapacity the launches refused for
	// want of capacity (a spot trace with no zone available, or an ICE
	// scenario).
	Reclaimed           int     `json:"reclaimed"`
	InterruptedAttempts int     `json:"interruptedAttempts"`
	Retried             int     `json:"retried"` // interrupted attempts whose job had attempts left
	WastedVCPUHours     float64 `json:"wastedVcpuHours"`
	NoCapacity          int     `json:"noCapacity"`

	Launches      int `json:"launches"`   // instances launched
	FleetCalls    int `json:"fleetCalls"` // CreateFleet calls
	PeakInstances int `json:"peakInstances"`
	Passes        int `json:"passes"` // provisioner passes run
	// BackToMin is how long after the last job ended the fleet was back
	// at minvCpus; negative when it never was.
	BackToMin time.Duration `json:"backToMin"`
	// Simulated is the virtual time covered.
	Simulated time.Duration `json:"simulated"`

	// Series samples demand and capacity over time.
	Series []Sample `json:"-"`
}

// Excess splits the billed vCPU-hours that ran no job, by the state of the
// instance that billed them.
type Excess struct {
	// Booting is from launch until the agent registers.
	Booting float64 `json:"bootingVcpuHours"`
	// Idle is on registered instances that run no job.
	Idle float64 `json:"idleVcpuHours"`
	// RoomLeft is the room left on instances that run jobs: packing that
	// did not fill an instance, or jobs that ended before their
	// neighbours.
	RoomLeft float64 `json:"roomLeftVcpuHours"`
	// Minimum is billing's 60 s minimum beyond instances' lives.
	Minimum float64 `json:"minimumVcpuHours"`
}

// Sample is the state at one moment.
type Sample struct {
	At          time.Duration // from the trace's start
	WaitingVCPU float64       // RUNNABLE demand
	UsedVCPU    float64       // held by running jobs
	Provisioned float64       // vCPUs of live instances, booting or not
	Instances   int
}

// sample records the state when it changed.
func (s *simulation) sample() {
	s.accrue()
	var smp Sample
	smp.At = s.clock.now.Sub(s.start)
	for _, k := range s.waiting {
		smp.WaitingVCPU += s.jobs[k].VCPUs
	}
	for _, i := range s.live {
		smp.Provisioned += i.inst.VCPUs
		smp.UsedVCPU += i.room.UsedVCPUs
		smp.Instances++
		// The state that holds from now, for Excess.
		switch {
		case !i.ready:
			s.rates.Booting += i.inst.VCPUs
		case i.room.Running == 0:
			s.rates.Idle += i.inst.VCPUs
		default:
			s.rates.RoomLeft += i.inst.VCPUs - i.room.UsedVCPUs
		}
	}
	if n := len(s.report.Series); n > 0 {
		last := s.report.Series[n-1]
		last.At = smp.At
		if last == smp {
			return
		}
	}
	s.report.Series = append(s.report.Series, smp)
}

// accrue adds to Excess the state noted at the last sample, which held
// until now, and clears it for the state sample notes next.
func (s *simulation) accrue() {
	hours := s.clock.now.Sub(s.since).Hours()
	s.report.Excess.Booting += s.rates.Booting * hours
	s.report.Excess.Idle += s.rates.Idle * hours
	s.report.Excess.RoomLeft += s.rates.RoomLeft * hours
	s.since, s.rates = s.clock.now, Excess{}
}

// finish computes the report from the run.
func (s *simulation) finish() {
	r := s.report
	end := s.clock.now
	r.Simulated = end.Sub(s.start)
	r.Launches, r.FleetCalls, r.PeakInstances, r.Passes, r.Finished = s.launches, s.fleetCalls, s.peakInstances, s.passes, s.finished
	r.Failed, r.NoCapacity = s.failed, s.noCapacity
	r.NeverStarted = r.Jobs - r.Finished - r.Failed - r.Unplaceable
	if s.ce.ComputeResources.Type == provisioner.ResourceSpot {
		r.SpotPrices, r.SpotPricesEstimated = s.spotPrices.Source, s.spotPrices.estimatedAmong(s.allowed)
	}
	r.LaunchedTypes = map[string]int{}
	for _, i := range s.instances {
		r.LaunchedTypes[i.inst.Type]++
		stop := end
		if i.terminated() {
			stop = i.terminatedAt
		}
		lived := stop.Sub(i.inst.LaunchedAt).Round(time.Second)
		billed := max(MinimumBilled, lived)
		hours := billed.Hours()
		r.Excess.Minimum += i.inst.VCPUs * (billed - lived).Hours()
		r.BilledVCPUHours += i.inst.VCPUs * hours
		r.Dollars += i.price * hours
		r.OnDemandDollars += i.onDemand * hours
	}
	var waits []time.Duration
	for k, j := range s.jobs {
		if s.where[k] == nil {
			continue
		}
		if s.done[k] {
			r.OracleDollars += j.VCPUs * j.Run.Hours() * s.cheapestPerVCPU(j)
		}
		waits = append(waits, s.startAt[k].Sub(s.start.Add(j.Submit)))
	}
	if r.RequestedVCPUHours > 0 {
		r.Ratio = r.BilledVCPUHours / r.RequestedVCPUHours
	}
	slices.Sort(waits)
	r.WaitP50, r.WaitP95, r.WaitP99 = percentile(waits, 0.50), percentile(waits, 0.95), percentile(waits, 0.99)
	if len(waits) > 0 {
		r.WaitMax = waits[len(waits)-1]
	}
	r.BackToMin = s.backToMin()
}

// cheapestPerVCPU is the lowest price per vCPU-hour among the allowed
// types that hold the job, at the prices the compute environment buys at.
func (s *simulation) cheapestPerVCPU(j Job) float64 {
	best := math.Inf(1)
	for _, t := range s.allowed {
		if t.VCPUs >= j.VCPUs && t.MemoryMiB >= j.MemoryMiB && t.GPUs >= j.GPUs {
			best = min(best, s.buyPrice(t)/t.VCPUs)
		}
	}
	if math.IsInf(best, 1) {
		return 0
	}
	return best
}

// backToMin is how long after the last job ended the live vCPUs were last
// above minvCpus; negative if they still are.
func (s *simulation) backToMin() time.Duration {
	floor := float64(*s.ce.ComputeResources.MinvCpus)
	live := 0.0
	for _, i := range s.live {
		live += i.inst.VCPUs
	}
	if live > floor {
		return -1
	}
	last := s.lastEnd
	for _, i := range s.instances {
		if i.terminated() && i.terminatedAt.After(last) {
			last = i.terminatedAt
		}
	}
	return last.Sub(s.lastEnd)
}

// percentile is the p-quantile of sorted ds (nearest rank).
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(ds)))) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

// WriteText writes the report as a table.
func (r *Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	cr := r.ComputeResources
	rows := [][2]string{
		{"trace", r.Trace},
		{"provisioned by", r.Policy},
		{"compute environment", fmt.Sprintf("%s %s %s, minvCpus %d, maxvCpus %d", cr.Type, cr.AllocationStrategy, strings.Join(cr.InstanceTypes, ","), deref(cr.MinvCpus), deref(cr.MaxvCpus))},
		{"jobs", fmt.Sprintf("%d (finished %d, failed %d, unplaceable %d, never started %d; %d trace records skipped)", r.Jobs, r.Finished, r.Failed, r.Unplaceable, r.NeverStarted, r.Skipped)},
		{"requested vCPU-hours", number(r.RequestedVCPUHours)},
		{"billed vCPU-hours", number(r.BilledVCPUHours)},
		{"billed / requested", fmt.Sprintf("%.3f", r.Ratio)},
		{"billed beyond the jobs (vCPU-h)", fmt.Sprintf("booting %s, idle %s, room left on busy instances %s, 60 s minimum %s",
			number(r.Excess.Booting), number(r.Excess.Idle), number(r.Excess.RoomLeft), number(r.Excess.Minimum))},
		{"cost", r.cost()},
		{"oracle lower bound", "$" + number(r.OracleDollars) + r.atSpot()},
		{"cost / oracle", ratio(r.Dollars, r.OracleDollars)},
		{"job wait p50 / p95 / p99 / max", fmt.Sprintf("%s / %s / %s / %s", r.WaitP50, r.WaitP95, r.WaitP99, r.WaitMax)},
		{"instances launched", strconv.Itoa(r.Launches)},
		{"Spot instances reclaimed", fmt.Sprintf("%d (%d attempts interrupted, %d retried; %s vCPU-hours wasted)", r.Reclaimed, r.InterruptedAttempts, r.Retried, number(r.WastedVCPUHours))},
		{"launches without capacity", strconv.Itoa(r.NoCapacity)},
		{"CreateFleet calls", strconv.Itoa(r.FleetCalls)},
		{"peak instances", strconv.Itoa(r.PeakInstances)},
		{"back to minvCpus after the last job", backToMin(r.BackToMin)},
		{"provisioner passes", strconv.Itoa(r.Passes)},
		{"simulated", r.Simulated.Round(time.Second).String()},
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}

// spot reports whether the run was of a Spot compute environment.
func (r *Report) spot() bool { return r.ComputeResources.Type == provisioner.ResourceSpot }

// cost is the cost row: at Spot prices, beside On-Demand's, for Spot.
func (r *Report) cost() string {
	if !r.spot() {
		return "$" + number(r.Dollars)
	}
	saved := ""
	if r.OnDemandDollars > 0 {
		saved = fmt.Sprintf(", %.1f%% less", 100*(1-r.Dollars/r.OnDemandDollars))
	}
	est := ""
	if r.SpotPricesEstimated > 0 {
		est = fmt.Sprintf("; %d allowed types' Spot prices estimated", r.SpotPricesEstimated)
	}
	return fmt.Sprintf("$%s at Spot prices ($%s at On-Demand%s; Spot prices: %s%s)", number(r.Dollars), number(r.OnDemandDollars), saved, r.SpotPrices, est)
}

// atSpot notes that a figure is at Spot prices.
func (r *Report) atSpot() string {
	if r.spot() {
		return " at Spot prices"
	}
	return ""
}

// WriteSeriesCSV writes the samples as CSV.
func (r *Report) WriteSeriesCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"seconds", "waiting_vcpus", "used_vcpus", "provisioned_vcpus", "instances"}); err != nil {
		return err
	}
	for _, s := range r.Series {
		if err := cw.Write([]string{
			strconv.FormatFloat(s.At.Seconds(), 'f', 0, 64), number(s.WaitingVCPU), number(s.UsedVCPU), number(s.Provisioned), strconv.Itoa(s.Instances),
		}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func number(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", a/b)
}

func backToMin(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return d.Round(time.Second).String()
}

// WriteComparison writes reports of the same trace side by side, the first
// the one the others are measured against, with the oracle's bound last.
// For a Spot compute environment, costs are at Spot prices, and a column
// gives them at On-Demand prices too.
func WriteComparison(w io.Writer, reports []*Report) error {
	if len(reports) == 0 {
		return nil
	}
	base := reports[0]
	spot := base.spot()
	onDemand := func(r *Report) string {
		if !spot {
			return ""
		}
		if r == nil {
			return "\t-"
		}
		return "\t$" + number(r.OnDemandDollars)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "policy\tbilled/requested\tcost\tcost vs " + base.Policy + "\twait p95\twait p99\tlaunches\tnever started"
	if spot {
		head = "policy\tbilled/requested\tcost at Spot\tcost vs " + base.Policy + "\twait p95\twait p99\tlaunches\tnever started\tcost at On-Demand"
	}
	fmt.Fprintln(tw, head)
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%.3f\t$%s\t%s\t%s\t%s\t%d\t%d%s\n", r.Policy, r.Ratio, number(r.Dollars), ratio(r.Dollars, base.Dollars),
			r.WaitP95.Round(time.Second), r.WaitP99.Round(time.Second), r.Launches, r.NeverStarted, onDemand(r))
	}
	fmt.Fprintf(tw, "oracle (bound)\t1.000\t$%s\t%s\t0s\t0s\t-\t-%s\n", number(base.OracleDollars), ratio(base.OracleDollars, base.Dollars), onDemand(nil))
	return tw.Flush()
}
