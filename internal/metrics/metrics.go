// Package metrics exports what Tanda's parts do as Prometheus metrics,
// and as CloudWatch metrics in embedded metric format (EMF) where no
// Prometheus scrapes, in the Lambda functions' logs. It is the adapter
// behind the small observer hooks the core declares (control.Metrics,
// provisioner.Metrics, bootstrap.Metrics, httpapi.Metrics): they import no
// metrics library. Labels are bounded sets (queue, compute environment,
// instance type, operation, status): never a job or instance id.
package metrics

import (
	"maps"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Namespace prefixes every metric Tanda defines.
const Namespace = "tanda"

// Bucket sets, in seconds.
var (
	// latencyBuckets are for API calls and store and queue operations:
	// 0.25 ms to about 8 s.
	latencyBuckets = prometheus.ExponentialBuckets(0.00025, 2, 16)
	// waitBuckets are for the time a job waits: 10 ms to about 12 h.
	waitBuckets = prometheus.ExponentialBuckets(0.01, 4, 12)
	// runBuckets are for run times: 100 ms to about 29 h.
	runBuckets = prometheus.ExponentialBuckets(0.1, 4, 11)
)

// Registry holds Tanda's metrics. Its adapters (Control, API, Provisioner,
// Agent, Store, Queues, Jobs) feed them; Handler serves them.
type Registry struct {
	reg *prometheus.Registry

	mu    sync.Mutex
	ces   map[string]bool     // compute environments with gauges
	names map[string][]string // the metrics Tanda defines, with their labels

	jobsCreated       *prometheus.CounterVec
	transitions       *prometheus.CounterVec
	submitToRunnable  *prometheus.HistogramVec
	runnableToRunning *prometheus.HistogramVec
	runTime           *prometheus.HistogramVec

	apiRequests *prometheus.CounterVec
	apiDuration *prometheus.HistogramVec

	passes           *prometheus.CounterVec
	passDuration     prometheus.Histogram
	decisions        *prometheus.CounterVec
	launched         *prometheus.CounterVec
	launchErrors     *prometheus.CounterVec
	retired          *prometheus.CounterVec
	instances        *prometheus.GaugeVec
	desiredVCPUs     *prometheus.GaugeVec
	provisionedVCPUs *prometheus.GaugeVec
	usedVCPUs        *prometheus.GaugeVec
	runnableVCPUs    *prometheus.GaugeVec
	runnableJobs     *prometheus.GaugeVec
	minVCPUs         *prometheus.GaugeVec
	maxVCPUs         *prometheus.GaugeVec

	storeDuration *prometheus.HistogramVec
	storeErrors   *prometheus.CounterVec
	queueDuration *prometheus.HistogramVec
	queueErrors   *prometheus.CounterVec

	runningAttempts *prometheus.GaugeVec
	leaseRenewals   *prometheus.CounterVec
	leasesLost      *prometheus.CounterVec
}

// Options configure a Registry.
type Options struct {
	// NoProcess leaves out the Go runtime's and the process's metrics
	// (go_*, process_*): for the Lambda functions' EMF, where CloudWatch
	// has its own.
	NoProcess bool
}

// New makes a Registry with every metric registered.
func New(o Options) *Registry {
	r := &Registry{reg: prometheus.NewRegistry(), ces: map[string]bool{}, names: map[string][]string{}}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		r.names[Namespace+"_"+name] = labels
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
		r.reg.MustRegister(c)
		return c
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		r.names[Namespace+"_"+name] = labels
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, labels)
		r.reg.MustRegister(g)
		return g
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		r.names[Namespace+"_"+name] = labels
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help, Buckets: buckets}, labels)
		r.reg.MustRegister(h)
		return h
	}

	r.jobsCreated = counter("jobs_created_total", "Jobs written, by job queue and kind (job, array parent, array child).", "queue", "kind")
	r.transitions = counter("job_transitions_total", "Job status changes, by job queue, from and to status.", "queue", "from", "to")
	r.submitToRunnable = histogram("job_submit_to_runnable_seconds", "Time from a job's submission to its first RUNNABLE, by job queue.", waitBuckets, "queue")
	r.runnableToRunning = histogram("job_runnable_to_running_seconds", "Time a job waited RUNNABLE before it ran (each attempt), by job queue.", waitBuckets, "queue")
	r.runTime = histogram("job_run_seconds", "Run time of each attempt that ran, from RUNNING to its end, by job queue.", runBuckets, "queue")

	r.apiRequests = counter("api_requests_total", "AWS Batch API requests, by operation and HTTP status code.", "operation", "code")
	r.apiDuration = histogram("api_request_duration_seconds", "AWS Batch API request latency, by operation.", latencyBuckets, "operation")

	r.passes = counter("provisioner_passes_total", "Provisioner passes over every compute environment, by result (ok, error).", "result")
	r.passDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "provisioner_pass_duration_seconds",
		Help: "Duration of a provisioner pass over every compute environment.", Buckets: latencyBuckets,
	})
	r.reg.MustRegister(r.passDuration)
	r.names[Namespace+"_provisioner_pass_duration_seconds"] = nil
	r.names[jobsName] = []string{"queue", "status"}
	r.decisions = counter("provisioner_decisions_total", "Provisioner decisions per compute environment and pass, by action (launch, retire, hold).", "compute_environment", "action")
	r.launched = counter("provisioner_launched_instances_total", "Instances launched, by compute environment, instance type and lifecycle (on-demand, spot).", "compute_environment", "instance_type", "lifecycle")
	r.launchErrors = counter("provisioner_launch_errors_total", "Failed launches, by compute environment and error code (e.g. InsufficientInstanceCapacity).", "compute_environment", "code")
	r.retired = counter("provisioner_retired_instances_total", "Instances the provisioner terminated, by compute environment.", "compute_environment")
	r.instances = gauge("instances", "Instances, by compute environment, instance type, lifecycle (on-demand, spot) and state (pending, running, terminating).", "compute_environment", "instance_type", "lifecycle", "state")
	r.desiredVCPUs = gauge("compute_environment_desired_vcpus", "The provisioner's last desiredvCpus, by compute environment.", "compute_environment")
	r.provisionedVCPUs = gauge("compute_environment_provisioned_vcpus", "vCPUs of the instances not terminating, by compute environment.", "compute_environment")
	r.usedVCPUs = gauge("compute_environment_used_vcpus", "vCPUs the running attempts hold, by compute environment.", "compute_environment")
	r.runnableVCPUs = gauge("compute_environment_runnable_vcpus", "vCPUs the RUNNABLE jobs of the compute environment's queues ask for (demand).", "compute_environment")
	r.runnableJobs = gauge("compute_environment_runnable_jobs", "RUNNABLE jobs the compute environment provides for.", "compute_environment")
	r.minVCPUs = gauge("compute_environment_min_vcpus", "minvCpus, by compute environment.", "compute_environment")
	r.maxVCPUs = gauge("compute_environment_max_vcpus", "maxvCpus, by compute environment.", "compute_environment")

	r.storeDuration = histogram("store_operation_duration_seconds", "Store (SQLite or DynamoDB) operation latency, by operation.", latencyBuckets, "operation")
	r.storeErrors = counter("store_operation_errors_total", "Store operations that failed, by operation and kind (conflict: a conditional write lost; not_found; other).", "operation", "kind")
	r.queueDuration = histogram("queue_operation_duration_seconds", "Queue (embedded or SQS) operation latency, by operation; Receive includes its long-poll wait.", latencyBuckets, "operation")
	r.queueErrors = counter("queue_operation_errors_total", "Queue operations that failed, by operation.", "operation")

	r.runningAttempts = gauge("agent_running_attempts", "Attempts the agents run now, by compute environment.", "compute_environment")
	r.leaseRenewals = counter("agent_lease_renewals_total", "Heartbeats that renewed an attempt's lease, by compute environment.", "compute_environment")
	r.leasesLost = counter("agent_leases_lost_total", "Attempts whose agent found its lease lost, by compute environment.", "compute_environment")

	if !o.NoProcess {
		r.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return r
}

// Names lists the metrics Tanda defines (the jobs gauge among them, which
// Jobs collects) with their label names, without the Go runtime's and the
// process's.
func (r *Registry) Names() map[string][]string { return maps.Clone(r.names) }

// Gatherer is the registry, for tests and exporters.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

// Register adds a collector (Jobs, for instance).
func (r *Registry) Register(c prometheus.Collector) error { return r.reg.Register(c) }

// Handler serves the metrics in Prometheus's text format (or
// OpenMetrics, as the scraper asks).
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}
