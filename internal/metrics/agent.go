package metrics

import "github.com/prometheus/client_golang/prometheus"

// Agent is the hook of an agent of a compute environment
// (bootstrap.Config.Metrics): its running attempts, lease renewals and
// lost leases.
func (r *Registry) Agent(computeEnvironment string) AgentMetrics {
	return AgentMetrics{
		running: r.runningAttempts.WithLabelValues(computeEnvironment),
		renewed: r.leaseRenewals.WithLabelValues(computeEnvironment),
		lost:    r.leasesLost.WithLabelValues(computeEnvironment),
	}
}

// AgentMetrics counts one agent's attempts and leases.
type AgentMetrics struct {
	running prometheus.Gauge
	renewed prometheus.Counter
	lost    prometheus.Counter
}

func (m AgentMetrics) AttemptStarted() { m.running.Inc() }
func (m AgentMetrics) AttemptEnded()   { m.running.Dec() }
func (m AgentMetrics) LeaseRenewed()   { m.renewed.Inc() }
func (m AgentMetrics) LeaseLost()      { m.lost.Inc() }
