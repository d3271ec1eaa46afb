package metrics

import (
	"time"

	"github.com/tanda-batch/tanda/batch"
	"github.com/tanda-batch/tanda/control"
)

// Control is the control plane's hook (control.Options.Metrics): jobs
// created, status changes, and the waits and run times they end.
func (r *Registry) Control() control.Metrics { return controlMetrics{r} }

type controlMetrics struct{ r *Registry }

// JobsCreated counts new jobs; one written RUNNABLE has reached RUNNABLE.
func (m controlMetrics) JobsCreated(jobs []batch.Job) {
	for i := range jobs {
		j := &jobs[i]
		q := j.Internal.QueueName
		m.r.jobsCreated.WithLabelValues(q, kind(j)).Inc()
		if j.Status == batch.Runnable {
			m.r.submitToRunnable.WithLabelValues(q).Observe(since(j.CreatedAt, j.Internal.RunnableAt))
		}
	}
}

// kind tells a job, an array parent and an array child apart.
func kind(j *batch.Job) string {
	switch {
	case j.Internal.ArrayParent != "":
		return "child"
	case j.ArrayProperties != nil && j.ArrayProperties.Size != nil && *j.ArrayProperties.Size > 0:
		return "array"
	}
	return "job"
}

// JobChanged counts a transition and observes the wait or run it ends.
func (m controlMetrics) JobChanged(from batch.Status, j batch.Job) {
	q := j.Internal.QueueName
	m.r.transitions.WithLabelValues(q, from.String(), j.Status.String()).Inc()
	switch {
	case j.Status == batch.Runnable && j.Internal.Attempt == 0 && from < batch.Runnable:
		m.r.submitToRunnable.WithLabelValues(q).Observe(since(j.CreatedAt, j.Internal.RunnableAt))
	case j.Status == batch.Running:
		started := j.StartedAt
		if n := len(j.Attempts); n > 0 && j.Attempts[n-1].StartedAt > 0 {
			started = j.Attempts[n-1].StartedAt
		}
		m.r.runnableToRunning.WithLabelValues(q).Observe(since(j.Internal.RunnableAt, started))
	case from == batch.Running:
		if n := len(j.Attempts); n > 0 {
			a := j.Attempts[n-1]
			if a.StartedAt > 0 && a.StoppedAt >= a.StartedAt {
				m.r.runTime.WithLabelValues(q).Observe(since(a.StartedAt, a.StoppedAt))
			}
		}
	}
}

// since is the time between two epoch-millisecond instants, in seconds,
// never negative; 0 when either is unknown.
func since(fromMillis, toMillis int64) float64 {
	if fromMillis <= 0 || toMillis <= 0 || toMillis < fromMillis {
		return 0
	}
	return (time.Duration(toMillis-fromMillis) * time.Millisecond).Seconds()
}
