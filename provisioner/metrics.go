package provisioner

import (
	"errors"
	"time"
)

// Metrics is told what each pass saw and did, for monitoring (an adapter
// exports it; this package imports no metrics library). It is called on
// the provisioner's goroutine: implementations must be quick and must not
// block.
type Metrics interface {
	// Pass reports one compute environment's pass, after its decision was
	// carried out.
	Pass(r PassReport)
	// Reconciled reports a whole Reconcile: the compute environments it
	// provisioned (any other is gone, or no longer the provisioner's), how
	// long it took, and its error.
	Reconciled(ces []string, took time.Duration, err error)
}

// PassReport is what one compute environment's pass saw and did.
type PassReport struct {
	ComputeEnvironment string
	MinvCpus, MaxvCpus int
	DesiredvCpus       int
	// DemandJobs and DemandvCpus are the RUNNABLE jobs the pass read, and
	// the vCPUs they ask for.
	DemandJobs  int
	DemandvCpus float64
	// Waiting counts the jobs that fit an allowed type but got no capacity;
	// Unplaceable those that fit none.
	Waiting, Unplaceable int
	// Launched are the instances started; Retired counts the instances
	// terminated.
	Launched []Instance
	Retired  int
	// LaunchErrors are the codes of the launches that failed (ErrorCode).
	LaunchErrors []string
	// Instances are the compute environment's instances after the pass
	// (terminating ones included), with their loads by id.
	Instances []Instance
	Loads     map[string]Load
}

// VCPUs are the vCPUs of the pass's instances that are not terminating
// (pending or running: what is paid for), and those the attempts on them
// hold.
func (r PassReport) VCPUs() (provisioned, used float64) {
	for _, i := range r.Instances {
		if i.State != InstanceTerminating {
			provisioned += i.VCPUs
			used += r.Loads[i.ID].UsedVCPUs
		}
	}
	return provisioned, used
}

// MultiMetrics tells each of ms, in order, what a pass saw and did, as
// io.MultiWriter writes to each writer (the Prometheus metrics and the
// capacity history, for example). Nil members are skipped.
func MultiMetrics(ms ...Metrics) Metrics { return multiMetrics(ms) }

type multiMetrics []Metrics

func (ms multiMetrics) Pass(r PassReport) {
	for _, m := range ms {
		if m != nil {
			m.Pass(r)
		}
	}
}

func (ms multiMetrics) Reconciled(ces []string, took time.Duration, err error) {
	for _, m := range ms {
		if m != nil {
			m.Reconciled(ces, took, err)
		}
	}
}

// Unknown is the ErrorCode of an error that carries none.
const Unknown = "Unknown"

// ErrorCode names an error for metrics: the AWS error code it wraps (EC2's
// InsufficientInstanceCapacity, UnfulfillableCapacity...), else
// InsufficientCapacity for an *InsufficientCapacityError without one, else
// Unknown. The set is small, as a metric label must be.
func ErrorCode(err error) string {
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		if c := coded.ErrorCode(); c != "" {
			return c
		}
	}
	if IsInsufficientCapacity(err) {
		return "InsufficientCapacity"
	}
	return Unknown
}

// report tells Options.Metrics of a compute environment's pass.
func (p *Provisioner) report(in PlanInput, d Decision, launched []Instance, retired int, codes []string) {
	if p.opts.Metrics == nil {
		return
	}
	l := limitsOf(in)
	r := PassReport{
		ComputeEnvironment: in.CE.ComputeEnvironmentName,
		MinvCpus:           l.min, MaxvCpus: l.max, DesiredvCpus: d.DesiredvCpus,
		DemandJobs: len(in.Demand), Waiting: d.Waiting, Unplaceable: len(d.Unplaceable),
		Launched: launched, Retired: retired, LaunchErrors: codes,
		Instances: in.Instances, Loads: in.Loads,
	}
	for _, j := range in.Demand {
		r.DemandvCpus += j.VCPUs
	}
	p.opts.Metrics.Pass(r)
}
