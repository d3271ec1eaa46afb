package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tanda-batch/tanda/provisioner"
)

// Provisioner is the provisioner's hook (provisioner.Options.Metrics):
// passes, decisions, launches and their errors, retirements, instances
// and vCPUs per compute environment.
func (r *Registry) Provisioner() provisioner.Metrics { return provMetrics{r} }

type provMetrics struct{ r *Registry }

// Lifecycles, as EC2 names them.
const (
	onDemand = "on-demand"
	spot     = "spot"
)

func lifecycle(i provisioner.Instance) string {
	if i.Spot {
		return spot
	}
	return onDemand
}

// Pass records one compute environment's pass. The instance gauges of the
// compute environment are replaced, so types it no longer runs drop out.
func (m provMetrics) Pass(p provisioner.PassReport) {
	r, ce := m.r, p.ComputeEnvironment
	r.mu.Lock()
	r.ces[ce] = true
	r.mu.Unlock()
	acted := false
	if len(p.Launched) > 0 {
		r.decisions.WithLabelValues(ce, "launch").Inc()
		acted = true
	}
	if p.Retired > 0 {
		r.decisions.WithLabelValues(ce, "retire").Inc()
		r.retired.WithLabelValues(ce).Add(float64(p.Retired))
		acted = true
	}
	if !acted {
		r.decisions.WithLabelValues(ce, "hold").Inc()
	}
	for _, i := range p.Launched {
		r.launched.WithLabelValues(ce, i.Type, lifecycle(i)).Inc()
	}
	for _, code := range p.LaunchErrors {
		r.launchErrors.WithLabelValues(ce, code).Inc()
	}

	type key struct{ typ, life, state string }
	counts := map[key]int{}
	for _, i := range p.Instances {
		counts[key{i.Type, lifecycle(i), i.State}]++
	}
	provisioned, used := p.VCPUs()
	r.instances.DeletePartialMatch(prometheus.Labels{"compute_environment": ce})
	for k, n := range counts {
		r.instances.WithLabelValues(ce, k.typ, k.life, k.state).Set(float64(n))
	}
	r.desiredVCPUs.WithLabelValues(ce).Set(float64(p.DesiredvCpus))
	r.provisionedVCPUs.WithLabelValues(ce).Set(provisioned)
	r.usedVCPUs.WithLabelValues(ce).Set(used)
	r.runnableVCPUs.WithLabelValues(ce).Set(p.DemandvCpus)
	r.runnableJobs.WithLabelValues(ce).Set(float64(p.DemandJobs))
	r.minVCPUs.WithLabelValues(ce).Set(float64(p.MinvCpus))
	r.maxVCPUs.WithLabelValues(ce).Set(float64(p.MaxvCpus))
}

// Reconciled counts a pass and drops the gauges of compute environments
// the provisioner no longer provisions.
func (m provMetrics) Reconciled(ces []string, took time.Duration, err error) {
	r := m.r
	result := "ok"
	if err != nil {
		result = "error"
	}
	r.passes.WithLabelValues(result).Inc()
	r.passDuration.Observe(took.Seconds())
	keep := make(map[string]bool, len(ces))
	for _, ce := range ces {
		keep[ce] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for ce := range r.ces {
		if keep[ce] {
			continue
		}
		for _, g := range []*prometheus.GaugeVec{r.instances, r.desiredVCPUs, r.provisionedVCPUs, r.usedVCPUs, r.runnableVCPUs, r.runnableJobs, r.minVCPUs, r.maxVCPUs} {
			g.DeletePartialMatch(prometheus.Labels{"compute_environment": ce})
		}
		delete(r.ces, ce)
	}
}
